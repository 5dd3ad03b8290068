/*
 * selftest.h -- failure counting for self-checking firmware apps.
 *
 *   check(ok, what)       prints "FAILED: <what>" and counts a failure unless ok
 *   selftest_report(name) prints "<name>: OK" or "<name>: FAILED"; returns the number of
 *                         failures (main's exit status: 0 = pass)
 */
#ifndef SELFTEST_H
#define SELFTEST_H

#include <stdio.h>

static int selftest_failures;

static inline void check(int ok, const char *what)
{
    if (!ok) {
        printf("FAILED: %s\n", what);
        selftest_failures++;
    }
}

static inline int selftest_report(const char *name)
{
    printf("%s: %s\n", name, selftest_failures ? "FAILED" : "OK");
    return selftest_failures;
}

#endif
