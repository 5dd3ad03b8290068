/*
 * Minimal libc for the PULP cluster simulator firmware.
 *
 * stdout: 32-bit store of each character to
 *         0x1A10F000 + (core_id << 3) + (cluster_id << 7)
 * exit:   store (status | 1u << 31) to APB SoC CORESTATUS (0x1A1040A0), spin.
 *
 * Built with -ffreestanding (=> -fno-builtin), so the loops below are not
 * turned back into calls to memcpy/memset by the optimiser.
 */
#define __ISS_LIBC_IMPL 1
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pulp.h>

/* ------------------------------------------------------------------ exit */

void exit(int status)
{
    hal_write32(ARCHI_APB_SOC_CORESTATUS, (uint32_t)status | (1u << ARCHI_EOC_BIT));
    for (;;)
        __asm__ volatile("1: j 1b");
}

void _exit(int status) __attribute__((alias("exit")));

void abort(void)
{
    exit(1);
}

int abs(int x) { return x < 0 ? -x : x; }
long labs(long x) { return x < 0 ? -x : x; }

/* ------------------------------------------------------------------ heap */

extern char __heap_start[], __heap_end[];
static char *heap_ptr;

void *malloc(size_t size)
{
    if (!heap_ptr)
        heap_ptr = __heap_start;
    size = (size + 7u) & ~(size_t)7u;
    if (size > (size_t)(__heap_end - heap_ptr))
        return NULL;
    void *p = heap_ptr;
    heap_ptr += size;
    return p;
}

void *calloc(size_t n, size_t size)
{
    size_t total = n * size;
    if (size && total / size != n)
        return NULL;
    void *p = malloc(total);
    if (p)
        memset(p, 0, total);
    return p;
}

void free(void *p) { (void)p; }

/* ------------------------------------------------------------------ string */

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0) {
        while (n >= 4) {
            *(uint32_t *)d = *(const uint32_t *)s;
            d += 4; s += 4; n -= 4;
        }
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    d += n; s += n;
    while (n--)
        *--d = *--s;
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;
    while (n && ((uintptr_t)d & 3u)) {
        *d++ = b; n--;
    }
    uint32_t w = b * 0x01010101u;
    while (n >= 4) {
        *(uint32_t *)d = w;
        d += 4; n -= 4;
    }
    while (n--)
        *d++ = b;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++; b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strcpy(char *dst, const char *src)
{
    char *d = dst;
    while ((*d++ = *src++))
        ;
    return dst;
}

/* ------------------------------------------------------------------ stdout */

static inline uintptr_t stdout_addr(void)
{
    uint32_t h = hal_mhartid();
    return ARCHI_STDOUT_ADDR + ((h & 0x1f) << 3) + (((h >> 5) & 0x3f) << 7);
}

int putchar(int c)
{
    hal_write32(stdout_addr(), (uint32_t)(unsigned char)c);
    return (unsigned char)c;
}

int puts(const char *s)
{
    uintptr_t a = stdout_addr();
    while (*s)
        hal_write32(a, (uint32_t)(unsigned char)*s++);
    hal_write32(a, '\n');
    return 0;
}

/* ------------------------------------------------------------------ printf */

typedef struct {
    char *buf;        /* NULL: write to stdout */
    size_t size;      /* buffer capacity (incl. NUL) */
    size_t len;       /* characters produced so far (may exceed size) */
    uintptr_t port;   /* stdout address */
} out_t;

static inline void out_c(out_t *o, char c)
{
    if (o->buf) {
        if (o->len + 1 < o->size)
            o->buf[o->len] = c;
    } else {
        hal_write32(o->port, (uint32_t)(unsigned char)c);
    }
    o->len++;
}

static void out_pad(out_t *o, char c, int n)
{
    while (n-- > 0)
        out_c(o, c);
}

#define F_LEFT  1
#define F_ZERO  2
#define F_PLUS  4
#define F_SPACE 8
#define F_ALT   16

/* Emit a formatted number: prefix (sign / 0x), digits, with width/precision. */
static void out_number(out_t *o, const char *digits, int ndig, const char *prefix,
                       int flags, int width, int prec)
{
    int plen = 0;
    while (prefix[plen])
        plen++;
    int zeros = 0;
    if (prec >= 0) {
        if (prec > ndig)
            zeros = prec - ndig;
        flags &= ~F_ZERO;
    }
    int total = plen + zeros + ndig;
    int pad = width > total ? width - total : 0;
    if (!(flags & F_LEFT) && !(flags & F_ZERO))
        out_pad(o, ' ', pad);
    for (int i = 0; i < plen; i++)
        out_c(o, prefix[i]);
    if (!(flags & F_LEFT) && (flags & F_ZERO))
        out_pad(o, '0', pad);
    out_pad(o, '0', zeros);
    for (int i = 0; i < ndig; i++)
        out_c(o, digits[i]);
    if (flags & F_LEFT)
        out_pad(o, ' ', pad);
}

/* Convert to digits (most significant first) into buf[32]; returns count. */
static int utoa_base(unsigned long long v, unsigned base, int upper, char *buf)
{
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    if ((v >> 32) == 0) {       /* fast 32-bit path: no __udivdi3 */
        uint32_t w = (uint32_t)v;
        do {
            tmp[n++] = dig[w % base];
            w /= base;
        } while (w);
    } else {
        do {
            tmp[n++] = dig[v % base];
            v /= base;
        } while (v);
    }
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

static void out_float(out_t *o, double x, int flags, int width, int prec)
{
    char buf[48];
    int n = 0;
    char prefix[2] = {0, 0};
    if (prec < 0)
        prec = 6;
    if (prec > 9)
        prec = 9;
    if (x != x) {
        out_number(o, "nan", 3, "", flags & ~F_ZERO, width, -1);
        return;
    }
    if (x < 0 || (x == 0 && 1.0 / x < 0)) {
        prefix[0] = '-';
        x = -x;
    } else if (flags & F_PLUS) {
        prefix[0] = '+';
    } else if (flags & F_SPACE) {
        prefix[0] = ' ';
    }
    if (x > 1.8e19) {
        out_number(o, "inf", 3, prefix, flags & ~F_ZERO, width, -1);
        return;
    }
    uint32_t scale = 1;
    for (int i = 0; i < prec; i++)
        scale *= 10;
    unsigned long long ip = (unsigned long long)x;
    double frac = (x - (double)ip) * (double)scale + 0.5;
    unsigned long long fp = (unsigned long long)frac;
    if (fp >= scale) {
        fp -= scale;
        ip++;
    }
    n = utoa_base(ip, 10, 0, buf);
    if (prec > 0 || (flags & F_ALT))
        buf[n++] = '.';
    if (prec > 0) {
        char fd[16];
        int fn = utoa_base(fp, 10, 0, fd);
        for (int i = fn; i < prec; i++)
            buf[n++] = '0';
        for (int i = 0; i < fn; i++)
            buf[n++] = fd[i];
    }
    out_number(o, buf, n, prefix, flags, width, -1);
}

static void do_format(out_t *o, const char *fmt, va_list ap)
{
    char buf[32];
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_c(o, *fmt);
            continue;
        }
        fmt++;
        int flags = 0;
        for (;; fmt++) {
            if (*fmt == '-') flags |= F_LEFT;
            else if (*fmt == '0') flags |= F_ZERO;
            else if (*fmt == '+') flags |= F_PLUS;
            else if (*fmt == ' ') flags |= F_SPACE;
            else if (*fmt == '#') flags |= F_ALT;
            else break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        if (flags & F_LEFT)
            flags &= ~F_ZERO;
        /* length: 0 int, 1 char(hh), 2 short(h), 3 long, 4 long long, 5 size_t */
        int len = 0;
        if (*fmt == 'h') {
            fmt++;
            len = 2;
            if (*fmt == 'h') { fmt++; len = 1; }
        } else if (*fmt == 'l') {
            fmt++;
            len = 3;
            if (*fmt == 'l') { fmt++; len = 4; }
        } else if (*fmt == 'z' || *fmt == 't') {
            fmt++;
            len = 5;
        } else if (*fmt == 'j') {
            fmt++;
            len = 4;
        }
        char c = *fmt;
        if (!c)
            break;
        switch (c) {
        case 'd':
        case 'i': {
            long long v;
            if (len == 4) v = va_arg(ap, long long);
            else if (len == 3) v = va_arg(ap, long);
            else if (len == 5) v = (long)va_arg(ap, size_t);
            else v = va_arg(ap, int);
            if (len == 1) v = (signed char)v;
            else if (len == 2) v = (short)v;
            const char *prefix = "";
            unsigned long long u;
            if (v < 0) { prefix = "-"; u = 0ull - (unsigned long long)v; }
            else {
                u = (unsigned long long)v;
                if (flags & F_PLUS) prefix = "+";
                else if (flags & F_SPACE) prefix = " ";
            }
            int n = (prec == 0 && u == 0) ? 0 : utoa_base(u, 10, 0, buf);
            out_number(o, buf, n, prefix, flags, width, prec);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            unsigned long long u;
            if (len == 4) u = va_arg(ap, unsigned long long);
            else if (len == 3) u = va_arg(ap, unsigned long);
            else if (len == 5) u = va_arg(ap, size_t);
            else u = va_arg(ap, unsigned int);
            if (len == 1) u = (unsigned char)u;
            else if (len == 2) u = (unsigned short)u;
            unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
            const char *prefix = "";
            if ((flags & F_ALT) && u != 0)
                prefix = c == 'x' ? "0x" : c == 'X' ? "0X" : c == 'o' ? "0" : "";
            int n = (prec == 0 && u == 0) ? 0 : utoa_base(u, base, c == 'X', buf);
            out_number(o, buf, n, prefix, flags, width, prec);
            break;
        }
        case 'p': {
            uintptr_t p = (uintptr_t)va_arg(ap, void *);
            int n = utoa_base(p, 16, 0, buf);
            out_number(o, buf, n, "0x", flags, width, prec);
            break;
        }
        case 'c': {
            buf[0] = (char)va_arg(ap, int);
            out_number(o, buf, 1, "", flags & ~F_ZERO, width, -1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int n = 0;
            while (s[n] && (prec < 0 || n < prec))
                n++;
            out_number(o, s, n, "", flags & ~F_ZERO, width, -1);
            break;
        }
        case 'f':
        case 'F': {
            double x = va_arg(ap, double);
            out_float(o, x, flags, width, prec);
            break;
        }
        case '%':
            out_c(o, '%');
            break;
        default:
            out_c(o, '%');
            out_c(o, c);
            break;
        }
    }
}

int vprintf(const char *fmt, va_list ap)
{
    out_t o = {NULL, 0, 0, stdout_addr()};
    do_format(&o, fmt, ap);
    return (int)o.len;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    char dummy;
    out_t o = {buf ? buf : &dummy, buf ? size : 0, 0, 0};
    do_format(&o, fmt, ap);
    if (buf && size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int sprintf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, (size_t)-1 >> 1, fmt, ap);
    va_end(ap);
    return n;
}
