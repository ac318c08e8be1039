/*
 * A stand-in for the part of Criterion's API these tests use, for builds where
 * Criterion itself cannot run: under ThreadSanitizer Criterion aborts at
 * start-up ("Could not initialize inheritable arena", Snaipe/Criterion#274),
 * because BoxFort looks for free address space where TSan keeps its shadow.
 * Same meaning as Criterion's macros: Test() registers a test, cr_assert_*
 * stops the test on failure, cr_expect_* records it and goes on. The runner
 * (runner.c) forks one process per test, like Criterion.
 */
#ifndef VDB_TEST_CRITERION_SHIM_H
#define VDB_TEST_CRITERION_SHIM_H

#include <stdio.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

typedef void (*tu_shim_test_fn)(void);

void tu_shim_register(const char *suite, const char *name, tu_shim_test_fn fn);
void tu_shim_fail(int fatal, const char *file, int line, const char *expression, const char *format, ...)
    __attribute__((format(printf, 5, 6)));

#define Test(suite, name, ...)                                                                                         \
    static void tu_shim_test_##suite##_##name(void);                                                                   \
    __attribute__((constructor)) static void tu_shim_register_##suite##_##name(void)                                   \
    {                                                                                                                  \
        tu_shim_register(#suite, #name, tu_shim_test_##suite##_##name);                                                \
    }                                                                                                                  \
    static void tu_shim_test_##suite##_##name(void)

/* The optional message is a literal format and its arguments; " " joins it, or stands alone when there is none. */
#define TU_SHIM_CHECK(fatal, condition, expression, ...)                                                               \
    do {                                                                                                               \
        if (!(condition))                                                                                              \
            tu_shim_fail(fatal, __FILE__, __LINE__, expression, " " __VA_ARGS__);                                      \
    } while (0)

#define cr_assert(c, ...) TU_SHIM_CHECK(1, (c), #c, __VA_ARGS__)
#define cr_expect(c, ...) TU_SHIM_CHECK(0, (c), #c, __VA_ARGS__)
#define cr_assert_fail(...) TU_SHIM_CHECK(1, 0, "cr_assert_fail", __VA_ARGS__)

#define TU_SHIM_OP(fatal, a, op, b, ...) TU_SHIM_CHECK(fatal, (a)op(b), #a " " #op " " #b, __VA_ARGS__)
#define cr_assert_eq(a, b, ...) TU_SHIM_OP(1, a, ==, b, __VA_ARGS__)
#define cr_expect_eq(a, b, ...) TU_SHIM_OP(0, a, ==, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) TU_SHIM_OP(1, a, !=, b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...) TU_SHIM_OP(0, a, !=, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) TU_SHIM_OP(1, a, <, b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...) TU_SHIM_OP(0, a, <, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) TU_SHIM_OP(1, a, <=, b, __VA_ARGS__)
#define cr_expect_leq(a, b, ...) TU_SHIM_OP(0, a, <=, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) TU_SHIM_OP(1, a, >, b, __VA_ARGS__)
#define cr_expect_gt(a, b, ...) TU_SHIM_OP(0, a, >, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) TU_SHIM_OP(1, a, >=, b, __VA_ARGS__)
#define cr_expect_geq(a, b, ...) TU_SHIM_OP(0, a, >=, b, __VA_ARGS__)

#define cr_assert_null(p, ...) TU_SHIM_CHECK(1, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_expect_null(p, ...) TU_SHIM_CHECK(0, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...) TU_SHIM_CHECK(1, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_expect_not_null(p, ...) TU_SHIM_CHECK(0, (p) != NULL, #p " != NULL", __VA_ARGS__)

#define cr_assert_float_eq(a, b, eps, ...)                                                                             \
    TU_SHIM_CHECK(1, fabs((double)(a) - (double)(b)) <= (eps), #a " ~ " #b, __VA_ARGS__)
#define cr_expect_float_eq(a, b, eps, ...)                                                                             \
    TU_SHIM_CHECK(0, fabs((double)(a) - (double)(b)) <= (eps), #a " ~ " #b, __VA_ARGS__)

#define cr_assert_arr_eq(a, b, size, ...) TU_SHIM_CHECK(1, memcmp((a), (b), (size)) == 0, #a " == " #b, __VA_ARGS__)
#define cr_expect_arr_eq(a, b, size, ...) TU_SHIM_CHECK(0, memcmp((a), (b), (size)) == 0, #a " == " #b, __VA_ARGS__)

#define cr_assert_str_eq(a, b, ...) TU_SHIM_CHECK(1, strcmp((a), (b)) == 0, #a " == " #b, __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...) TU_SHIM_CHECK(0, strcmp((a), (b)) == 0, #a " == " #b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) TU_SHIM_CHECK(1, strcmp((a), (b)) != 0, #a " != " #b, __VA_ARGS__)
#define cr_expect_str_neq(a, b, ...) TU_SHIM_CHECK(0, strcmp((a), (b)) != 0, #a " != " #b, __VA_ARGS__)

/* Criterion's cr_log_info (criterion/logging.h), to stderr. */
#define cr_log_info(...) (fprintf(stderr, "[----] " __VA_ARGS__), fputc('\n', stderr))

#endif
