/* Atomic output: write beside the target, then rename over it. */
#include <errno.h>
#include <fcntl.h>
#ifndef __wasi__ /* WebAssembly: no signals, no mkstemp, no file modes; the page writes no files */
#include <signal.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nabla/io.h"

/* The temporary files being written, for nb_outfile_remove_all (a signal
 * handler): a fixed table, so that reading it needs no lock and no malloc. */
#define LIVE_MAX 16
static char *volatile live[LIVE_MAX];

static void live_set(const char *old, char *now) {
    for (int i = 0; i < LIVE_MAX; i++)
        if (live[i] == old) {
            live[i] = now;
            return;
        }
}

void nb_outfile_remove_all(void) {
    for (int i = 0; i < LIVE_MAX; i++) {
        char *t = live[i];
        if (t) unlink(t); /* async-signal-safe */
    }
}

static void outfile_clear(nb_outfile *f) {
    if (f->tmp) live_set(f->tmp, NULL);
    free(f->path);
    free(f->tmp);
    f->fp = NULL;
    f->path = f->tmp = NULL;
}

nb_status nb_outfile_open(nb_outfile *f, const char *path) {
    if (!f || !path || !*path) return nb_fail(NB_EINVAL, "open output: no file name given");
    memset(f, 0, sizeof *f);
#ifdef __wasi__
    return nb_fail(NB_EIO, "%s: cannot create: this WebAssembly build writes no files", path);
#else
    /* Fail now, not at the rename, so that a command writing several files
     * finds out before it commits any of them. */
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return nb_fail(NB_EIO, "%s: cannot write: %s", path, strerror(EISDIR));
    size_t n = strlen(path);
    f->path = malloc(n + 1);
    f->tmp = malloc(n + 16);
    if (!f->path || !f->tmp) {
        outfile_clear(f);
        return nb_fail(NB_ENOMEM, "%s: out of memory", path);
    }
    memcpy(f->path, path, n + 1);
    snprintf(f->tmp, n + 16, "%s.tmp.XXXXXX", path);
    /* no signal between creating the file and recording it */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    int fd = mkstemp(f->tmp);
    if (fd >= 0) live_set(NULL, f->tmp);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) {
        nb_status s = nb_fail(NB_EIO, "%s: cannot create: %s", path, strerror(errno));
        outfile_clear(f);
        return s;
    }
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        close(fd);
        unlink(f->tmp);
        outfile_clear(f);
        return nb_fail(NB_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    return NB_OK;
#endif
}

nb_status nb_outfile_commit(nb_outfile *f, bool sync) {
    if (!f || !f->fp) return nb_fail(NB_EINVAL, "commit output: file is not open");
    int err = 0;
    if (fflush(f->fp) != 0 || ferror(f->fp)) err = errno ? errno : EIO;
    if (!err && sync && fsync(fileno(f->fp)) != 0) err = errno;
    if (fclose(f->fp) != 0 && !err) err = errno ? errno : EIO;
    f->fp = NULL;
    if (!err) {
#ifndef __wasi__
        /* Keep the usual permissions of a new file rather than mkstemp's 0600. */
        mode_t mask = umask(0);
        umask(mask);
        chmod(f->tmp, 0666 & ~mask);
#endif
        if (rename(f->tmp, f->path) != 0) err = errno;
    }
    if (err) {
        unlink(f->tmp);
        nb_status s = nb_fail(NB_EIO, "%s: cannot write: %s", f->path, strerror(err));
        outfile_clear(f);
        return s;
    }
    if (sync) { /* make the rename itself durable */
        char *slash = strrchr(f->path, '/');
        int dfd = -1;
        if (!slash) dfd = open(".", O_RDONLY);
        else {
            *slash = '\0';
            dfd = open(*f->path ? f->path : "/", O_RDONLY);
            *slash = '/';
        }
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    outfile_clear(f);
    return NB_OK;
}

void nb_outfile_abort(nb_outfile *f) {
    if (!f) return;
    if (f->fp) fclose(f->fp);
    if (f->tmp) unlink(f->tmp);
    outfile_clear(f);
}
