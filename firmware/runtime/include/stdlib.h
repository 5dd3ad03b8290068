#ifndef _ISS_STDLIB_H
#define _ISS_STDLIB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

/* exit: core writes (status | 1u<<31) to APB SoC CORESTATUS, then spins. */
void exit(int status) __attribute__((noreturn));
void _exit(int status) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));

int abs(int x);
long labs(long x);

/* Bump allocator over [__heap_start, __heap_end) in L2; free() is a no-op. */
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void free(void *p);

#ifdef __cplusplus
}
#endif

#endif
