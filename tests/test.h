/* A small test harness. TEST(name) { ... } registers a test; CHECK* record a
 * failure with file and line and let the test go on. The runner prints one
 * line per failure and, last, "N passed, N failed, N skipped". Run a subset
 * with `nabla_tests SUBSTRING`. */
#ifndef NABLA_TEST_H
#define NABLA_TEST_H

#include <math.h>
#include <stdio.h>

#include "nabla.h"

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Marks the running test skipped, saying why: it is counted as neither
 * passed nor failed. The test should return at once. */
void test_skip(const char *why);
/* Whether the library runs n threads in this build (not without OpenMP). */
int test_threads_available(int n);
/* Returns from the test, skipped, where n threads cannot run: a comparison
 * of thread counts would compare one thread with itself. */
#define SKIP_UNLESS_THREADS(n)                                                  \
    do {                                                                        \
        if (!test_threads_available(n)) {                                       \
            test_skip("needs " #n " threads; this build runs one");             \
            return;                                                             \
        }                                                                       \
    } while (0)
/* Relative-and-absolute closeness: |a - b| <= atol + rtol |b|. */
int test_close(double a, double b, double atol, double rtol);

#define TEST(name)                                                              \
    static void test_##name(void);                                              \
    __attribute__((constructor)) static void test_reg_##name(void) {            \
        test_register(#name, test_##name);                                      \
    }                                                                           \
    static void test_##name(void)

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);         \
    } while (0)
#define CHECK_MSG(cond, ...)                                                    \
    do {                                                                        \
        if (!(cond)) test_fail(__FILE__, __LINE__, __VA_ARGS__);                \
    } while (0)
#define CHECK_NEAR(a, b, atol, rtol)                                            \
    do {                                                                        \
        double a_ = (a), b_ = (b);                                              \
        if (!test_close(a_, b_, (atol), (rtol)))                                \
            test_fail(__FILE__, __LINE__, "%s = %.17g, expected %s = %.17g",    \
                      #a, a_, #b, b_);                                          \
    } while (0)
/* A library call that must succeed; prints nb_errmsg() when it does not. */
#define CHECK_OK(expr)                                                          \
    do {                                                                        \
        nb_status s_ = (expr);                                                  \
        if (s_ != NB_OK) test_fail(__FILE__, __LINE__, "%s failed: %s", #expr, nb_errmsg()); \
    } while (0)
#define CHECK_NOTNULL(expr)                                                     \
    do {                                                                        \
        if ((expr) == NULL) test_fail(__FILE__, __LINE__, "%s is NULL: %s", #expr, nb_errmsg()); \
    } while (0)
/* A call that must fail with status code, and a message containing substr. */
#define CHECK_ERR(expr, code, substr)                                           \
    do {                                                                        \
        nb_clear_error();                                                       \
        (void)(expr);                                                           \
        if (nb_errcode() != (code) || !strstr(nb_errmsg(), (substr)))           \
            test_fail(__FILE__, __LINE__, "%s: got error %d '%s', expected %d containing '%s'", \
                      #expr, (int)nb_errcode(), nb_errmsg(), (int)(code), (substr)); \
    } while (0)

/* The directory of committed fixtures (tests/fixtures), from NABLA_FIXTURES or the default. */
const char *test_fixture_dir(void);

#endif
