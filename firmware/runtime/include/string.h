#ifndef _ISS_STRING_H
#define _ISS_STRING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);

#ifdef __cplusplus
}
#endif

/* Firmware is built with -ffreestanding (=> -fno-builtin): route the common
 * calls through the compiler builtins so small constant-size copies/fills
 * are still inlined.  Out-of-line calls resolve to the runtime's libc.c. */
#ifndef __ISS_LIBC_IMPL
#define memcpy(d, s, n)  __builtin_memcpy((d), (s), (n))
#define memmove(d, s, n) __builtin_memmove((d), (s), (n))
#define memset(d, c, n)  __builtin_memset((d), (c), (n))
#define memcmp(a, b, n)  __builtin_memcmp((a), (b), (n))
#define strlen(s)        __builtin_strlen(s)
#endif

#endif
