/* The test runner: every registered test, or those whose name contains argv[1]. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define MAX_TESTS 4096
typedef struct {
    const char *name;
    test_fn fn;
} test_entry;
static test_entry tests[MAX_TESTS];
static int ntests, cur_failed;
static const char *cur_name, *cur_skipped;

void test_register(const char *name, test_fn fn) {
    if (ntests < MAX_TESTS) tests[ntests++] = (test_entry){name, fn};
}

void test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    if (cur_failed < 10) {
        fprintf(stderr, "FAIL %s (%s:%d): ", cur_name, file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    cur_failed++;
}

void test_skip(const char *why) { cur_skipped = why; }

int test_threads_available(int n) {
    int saved = nb_get_threads();
    nb_set_threads(n);
    int got = nb_get_threads();
    nb_set_threads(saved);
    return got >= n;
}

int test_close(double a, double b, double atol, double rtol) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    if (a == b) return 1;
    return fabs(a - b) <= atol + rtol * fabs(b);
}

const char *test_fixture_dir(void) {
    const char *d = getenv("NABLA_FIXTURES");
    return d ? d : "tests/fixtures";
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const test_entry *)a)->name, ((const test_entry *)b)->name);
}

int main(int argc, char **argv) {
    qsort(tests, (size_t)ntests, sizeof tests[0], by_name);
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1])) continue;
        cur_name = tests[i].name;
        cur_failed = 0;
        cur_skipped = NULL;
        nb_clear_error();
        tests[i].fn();
        if (cur_failed) failed++;
        else if (cur_skipped) skipped++, fprintf(stderr, "SKIP %s: %s\n", cur_name, cur_skipped);
        else passed++;
        if (getenv("NABLA_TEST_VERBOSE"))
            fprintf(stderr, "%s %s\n", cur_failed ? "FAIL" : cur_skipped ? "skip" : "ok  ", cur_name);
    }
    printf("unit: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
