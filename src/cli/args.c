/* The option parser every subcommand shares. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* Writes s with its control bytes escaped: a path or a field from a file may
 * hold a newline (the message must stay one line), a CR or an ESC sequence
 * (which a terminal would obey). */
static void put_escaped(FILE *f, const char *s) {
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '\n') fputs("\\n", f);
        else if (*c == '\r') fputs("\\r", f);
        else if (*c == '\t') fputs("\\t", f);
        else if (*c < 0x20 || *c == 0x7f) fprintf(f, "\\x%02x", *c);
        else if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) fprintf(f, "\\u%04x", c[1]), c++; /* C1 controls */
        else fputc(*c, f);
    }
}

char cli_kept[512];
bool cli_keep;

int cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[1024], *msg = small;
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof small && (msg = malloc((size_t)n + 1)) != NULL) { /* long paths are not cut */
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    /* under mpirun the first line is kept: main prints the one the ranks agree on */
    FILE *out = !cli_keep ? stderr : !*cli_kept ? fmemopen(cli_kept, sizeof cli_kept, "w") : NULL;
    if (out) {
        fprintf(out, "nabla %s: ", cmd);
        put_escaped(out, msg ? msg : small);
        if (out == stderr) fputc('\n', out);
        else fclose(out);
    }
    if (msg != small) free(msg);
    return CLI_ERR;
}

int cli_lib_error(const char *cmd) {
    return cli_error(cmd, "%s", *nb_errmsg() ? nb_errmsg() : "failed");
}

bool cli_stderr_is_tty(void) { return isatty(2) == 1; }

cli_opt *cli_find(cli_opt *opts, int nopts, const char *name) {
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].name, name) == 0) return &opts[i];
    return NULL;
}

static void print_help(const cli_cmd *cmd, const cli_opt *opts, int nopts) {
    printf("usage: nabla %s %s\n\n%s\n\noptions:\n", cmd->name, cmd->usage, cmd->summary);
    for (int i = 0; i < nopts; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", opts[i].name, opts[i].metavar ? " " : "",
                 opts[i].metavar ? opts[i].metavar : "");
        printf("  %-26s %s\n", left, opts[i].help);
    }
    printf("  %-26s %s\n", "--help", "show this help and exit");
}

static bool parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* ERANGE on underflow (1e-320 is subnormal, 1e-400 rounds to 0) is a
     * value, not an error; only overflow is */
    if (end == s || *end != '\0' || !isfinite(v) || (errno == ERANGE && fabs(v) >= 1)) return false;
    *out = v;
    return true;
}

static bool parse_long(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE) return false;
    *out = v;
    return true;
}

static int parse_list(const cli_cmd *cmd, const cli_opt *o, const char *s, cli_list *l) {
    l->n = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[128];
        if (len == 0 || len >= sizeof item)
            return cli_error(cmd->name, "--%s: expected a comma-separated list of numbers, got '%s'", o->name, s);
        memcpy(item, p, len);
        item[len] = '\0';
        double v;
        bool ok = parse_double(item, &v);
        if (ok && o->kind == CLI_INTS && (v != floor(v) || fabs(v) > 1e15)) ok = false;
        if (!ok)
            return cli_error(cmd->name, "--%s: '%s' is not a %s", o->name, item,
                             o->kind == CLI_INTS ? "whole number" : "finite number");
        if (l->n == CLI_LIST_MAX)
            return cli_error(cmd->name, "--%s: more than %d values", o->name, CLI_LIST_MAX);
        l->v[l->n++] = v;
        if (!comma) break;
        p = comma + 1;
    }
    return CLI_OK;
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_opt *opts, int nopts) {
    for (int i = 0; i < nopts; i++) opts[i].seen = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(cmd, opts, nopts);
            return CLI_HELP;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
            return cli_error(cmd->name, "unexpected argument '%s' (see nabla %s --help)", arg, cmd->name);
        char name[64];
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (len >= sizeof name)
            return cli_error(cmd->name, "unknown option '%.40s...' (see nabla %s --help)", arg, cmd->name);
        memcpy(name, arg + 2, len);
        name[len] = '\0';
        cli_opt *o = cli_find(opts, nopts, name);
        if (!o) return cli_error(cmd->name, "unknown option '--%s' (see nabla %s --help)", name, cmd->name);
        if (o->seen) return cli_error(cmd->name, "--%s given twice", name);
        o->seen = true;
        if (o->kind == CLI_FLAG) {
            if (eq) return cli_error(cmd->name, "--%s takes no value", name);
            *(bool *)o->dst = true;
            continue;
        }
        const char *val;
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else return cli_error(cmd->name, "--%s needs a value (%s)", name, o->metavar ? o->metavar : "VALUE");
        switch (o->kind) {
        case CLI_INT:
            if (!parse_long(val, (long *)o->dst))
                return cli_error(cmd->name, "--%s: '%s' is not a whole number", name, val);
            break;
        case CLI_DOUBLE:
            if (!parse_double(val, (double *)o->dst))
                return cli_error(cmd->name, "--%s: '%s' is not a finite number", name, val);
            break;
        case CLI_STR:
            if (!*val) return cli_error(cmd->name, "--%s: empty value", name);
            *(const char **)o->dst = val;
            break;
        case CLI_DOUBLES:
        case CLI_INTS:
            if (parse_list(cmd, o, val, (cli_list *)o->dst) != CLI_OK) return CLI_ERR;
            break;
        case CLI_FLAG:
            break;
        }
    }
    return CLI_OK;
}
