/* Outputs held against each other and against the inputs, by identity. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

typedef struct file_id {
    bool exists;
    dev_t dev;
    ino_t ino;
    char where[PATH_MAX + 256]; /* a file not there yet: its directory resolved, then its name */
} file_id;

/* An existing file is its device and inode (links followed); a new one is
 * where it would be created, so o/a.csv and ./o/a.csv are one file. */
static void identify(const char *path, file_id *id) {
    struct stat st;
    memset(id, 0, sizeof *id);
    if (stat(path, &st) == 0) {
        id->exists = true;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        return;
    }
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX], real[PATH_MAX];
    const char *base = slash ? slash + 1 : path;
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (slash && n == 0) n = 1; /* "/name" */
    if (n >= sizeof dir) n = sizeof dir - 1;
    memcpy(dir, slash ? path : ".", slash ? n : 1);
    dir[slash ? n : 1] = '\0';
    if (realpath(dir, real)) snprintf(id->where, sizeof id->where, "%s/%s", real, base);
    else snprintf(id->where, sizeof id->where, "%s", path); /* cannot be created anyway */
}

static bool same(const file_id *a, const file_id *b) {
    if (a->exists != b->exists) return false;
    if (a->exists) return a->dev == b->dev && a->ino == b->ino;
    return strcmp(a->where, b->where) == 0;
}

int cli_check_files(const char *cmd, const cli_file *outs, int nouts, const cli_file *ins, int nins) {
    file_id a, b;
    for (int i = 0; i < nouts; i++) {
        if (!outs[i].path) continue;
        identify(outs[i].path, &a);
        for (int j = i + 1; j < nouts; j++) {
            if (!outs[j].path) continue;
            identify(outs[j].path, &b);
            if (!same(&a, &b)) continue;
            if (strcmp(outs[i].path, outs[j].path) == 0)
                return cli_error(cmd, "--%s and --%s name the same file '%s'", outs[i].flag, outs[j].flag,
                                 outs[i].path);
            return cli_error(cmd, "--%s %s and --%s %s are the same file", outs[i].flag, outs[i].path, outs[j].flag,
                             outs[j].path);
        }
        if (!a.exists) continue; /* an input exists */
        for (int j = 0; j < nins; j++) {
            if (!ins[j].path || (outs[i].may_replace && strcmp(outs[i].may_replace, ins[j].flag) == 0)) continue;
            identify(ins[j].path, &b);
            if (same(&a, &b))
                return cli_error(cmd, "--%s %s is the input file %s (--%s): writing it would destroy it",
                                 outs[i].flag, outs[i].path, ins[j].path, ins[j].flag);
        }
    }
    return CLI_OK;
}
