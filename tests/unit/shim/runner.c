/*
 * The runner for the Criterion stand-in (criterion/criterion.h beside this
 * file): runs every registered test in its own forked process, as many at
 * once as there are online cores, and reports like Criterion's synthesis
 * line. Exit status 0 only when every test passed.
 * Options: --filter=SUITE/NAME (a '*' at the end matches any rest), -j N.
 */
#define _DEFAULT_SOURCE
#include "criterion/criterion.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *suite, *name;
    tu_shim_test_fn fn;
    pid_t pid;
    double started;
} shim_test;

enum { MAX_TESTS = 1024 };
static shim_test tests[MAX_TESTS];
static int test_count;
static int failed_expectations; /* in the child: expectations that failed so far */
static const shim_test *current;

void tu_shim_register(const char *suite, const char *name, tu_shim_test_fn fn)
{
    if (test_count == MAX_TESTS) {
        fprintf(stderr, "shim: more than %d tests\n", MAX_TESTS);
        abort();
    }
    tests[test_count++] = (shim_test){suite, name, fn, 0, 0};
}

void tu_shim_fail(int fatal, const char *file, int line, const char *expression, const char *format, ...)
{
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    const char *text = message[0] == ' ' ? message + 1 : message;
    fprintf(stderr, "[----] %s:%d: %s failed in %s::%s\n[----]   %s\n", file, line, fatal ? "Assertion" : "Expectation",
            current ? current->suite : "?", current ? current->name : "?", text[0] ? text : expression);
    fflush(stderr);
    if (fatal)
        exit(1);
    failed_expectations++;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int selected(const shim_test *t, const char *filter)
{
    if (!filter)
        return 1;
    char full[512];
    snprintf(full, sizeof full, "%s/%s", t->suite, t->name);
    size_t n = strlen(filter);
    if (n > 0 && filter[n - 1] == '*')
        return strncmp(full, filter, n - 1) == 0;
    return strcmp(full, filter) == 0;
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--filter=", 9) == 0)
            filter = argv[i] + 9;
        else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc)
            jobs = atol(argv[++i]);
        else if (strncmp(argv[i], "-j", 2) == 0 && argv[i][2])
            jobs = atol(argv[i] + 2);
    }
    if (jobs < 1)
        jobs = 1;

    int passed = 0, failed = 0, crashed = 0, tested = 0, next = 0, running = 0;
    for (;;) {
        while (running < jobs && next < test_count) {
            shim_test *t = &tests[next++];
            if (!selected(t, filter))
                continue;
            fflush(stdout);
            fflush(stderr);
            t->started = now();
            t->pid = fork();
            if (t->pid < 0) {
                perror("fork");
                return 2;
            }
            if (t->pid == 0) {
                current = t;
                t->fn();
                fflush(stdout);
                exit(failed_expectations ? 1 : 0);
            }
            running++;
            tested++;
        }
        if (running == 0)
            break;
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            perror("wait");
            return 2;
        }
        for (int i = 0; i < test_count; i++) {
            shim_test *t = &tests[i];
            if (t->pid != pid)
                continue;
            double seconds = now() - t->started;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                passed++;
            } else if (WIFEXITED(status)) {
                failed++;
                fprintf(stderr, "[FAIL] %s::%s: (%.2fs)\n", t->suite, t->name, seconds);
            } else {
                crashed++;
                fprintf(stderr, "[FAIL] %s::%s: CRASH, signal %d (%.2fs)\n", t->suite, t->name,
                        WIFSIGNALED(status) ? WTERMSIG(status) : -1, seconds);
            }
            t->pid = 0;
            running--;
        }
    }
    fprintf(stderr, "[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d \n", tested, passed,
            failed, crashed);
    return failed || crashed || tested == 0 ? 1 : 0;
}
