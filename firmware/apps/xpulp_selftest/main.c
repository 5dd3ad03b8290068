/*
 * Self-check of firmware/runtime/include/xpulp.h: every helper on LCG-random operands
 * against a plain-C model of the CORE-V v2 semantics (CV32E40P user manual, instruction_set_extensions.rst), plus the
 * hardware-loop helpers (XP_HWLOOP, XP_HWLOOP_SETUPI, a nested pair of loops) and the
 * post-increment load/store helpers.
 *
 * Operands: 32-bit LCG state = 777; next(): state = state * 1664525 + 1013904223 (mod 2^32),
 * each operand is one next() value (a full 32-bit word).
 * Output: one line per group "<group> <ok|MISMATCH n>", then "xpulp_selftest: OK|FAILED".
 * Returns 0 iff every helper matched its model.  Built with --isa rv32imc (no CORE-V
 * extensions) it only prints "xpulp_selftest: skipped" and returns 0.
 */
#include <stdint.h>
#include <stdio.h>

#ifndef __riscv_xcvsimd
int main(void)
{
    printf("xpulp_selftest: skipped (needs iss cc --isa corev)\n");
    return 0;
}
#else
#include <xpulp.h>

static uint32_t lcg_state = 777u;
static uint32_t rnd(void) { return lcg_state = lcg_state * 1664525u + 1013904223u; }

static int failures;
static int group_bad;
static void check(uint32_t got, uint32_t exp, const char *what, uint32_t a, uint32_t b)
{
    if (got != exp) {
        if (group_bad < 3)
            printf("  %s(%08x, %08x) = %08x, expected %08x\n", what, (unsigned)a, (unsigned)b,
                   (unsigned)got, (unsigned)exp);
        group_bad++;
    }
}
static void end_group(const char *name)
{
    if (group_bad)
        printf("%s MISMATCH %d\n", name, group_bad);
    else
        printf("%s ok\n", name);
    failures += group_bad != 0;
    group_bad = 0;
}

/* element accessors on words */
static int32_t sb(uint32_t w, int i) { return (int8_t)(w >> (8 * i)); }
static uint32_t ub(uint32_t w, int i) { return (w >> (8 * i)) & 0xff; }
static int32_t sh(uint32_t w, int i) { return (int16_t)(w >> (16 * i)); }
static uint32_t uh(uint32_t w, int i) { return (w >> (16 * i)) & 0xffff; }

enum { ADD, SUB, AVG, AVGU, MAX, MIN, MAXU, MINU };
static uint32_t model_b(int op, uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    for (int i = 0; i < 4; i++) {
        int32_t x = sb(a, i), y = sb(b, i);
        uint32_t ux = ub(a, i), uy = ub(b, i);
        int32_t e;
        switch (op) {
        case ADD: e = x + y; break;
        case SUB: e = x - y; break;
        case AVG: e = (int8_t)(x + y) >> 1; break;
        case AVGU: e = ((ux + uy) & 0xff) >> 1; break;
        case MAX: e = x > y ? x : y; break;
        case MIN: e = x < y ? x : y; break;
        case MAXU: e = ux > uy ? ux : uy; break;
        default: e = ux < uy ? ux : uy; break;
        }
        r |= ((uint32_t)e & 0xff) << (8 * i);
    }
    return r;
}
static uint32_t model_h(int op, uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    for (int i = 0; i < 2; i++) {
        int32_t x = sh(a, i), y = sh(b, i);
        uint32_t ux = uh(a, i), uy = uh(b, i);
        int32_t e;
        switch (op) {
        case ADD: e = x + y; break;
        case SUB: e = x - y; break;
        case AVG: e = (int16_t)(x + y) >> 1; break;
        case AVGU: e = ((ux + uy) & 0xffff) >> 1; break;
        case MAX: e = x > y ? x : y; break;
        case MIN: e = x < y ? x : y; break;
        case MAXU: e = ux > uy ? ux : uy; break;
        default: e = ux < uy ? ux : uy; break;
        }
        r |= ((uint32_t)e & 0xffff) << (16 * i);
    }
    return r;
}

#define V4S(w) XP_AS(v4s, w)
#define V4U(w) XP_AS(v4u, w)
#define V2S(w) XP_AS(v2s, w)
#define V2U(w) XP_AS(v2u, w)

static int32_t clip_model(int32_t x, int lo, int hi) { return x < lo ? lo : x > hi ? hi : x; }

static volatile uint32_t words[8] = {0x11223344u, 0x55667788u, 0x99aabbccu, 0xddeeff00u,
                                     0x01020304u, 0x05060708u, 0x090a0b0cu, 0x0d0e0f10u};
static volatile uint32_t sink[8];

int main(void)
{
    const int N = 200;
    /* dot products */
    for (int t = 0; t < N; t++) {
        uint32_t a = rnd(), b = rnd(), c = rnd();
        int32_t ss = 0, us = 0, hs = 0, hus = 0;
        uint32_t uu = 0, huu = 0;
        for (int i = 0; i < 4; i++) {
            ss += sb(a, i) * sb(b, i);
            uu += ub(a, i) * ub(b, i);
            us += (int32_t)ub(a, i) * sb(b, i);
        }
        for (int i = 0; i < 2; i++) {
            hs += sh(a, i) * sh(b, i);
            huu += uh(a, i) * uh(b, i);
            hus += (int32_t)uh(a, i) * sh(b, i);
        }
        check(xp_dotsp4(V4S(a), V4S(b)), ss, "dotsp.b", a, b);
        check(xp_dotup4(V4U(a), V4U(b)), uu, "dotup.b", a, b);
        check(xp_dotusp4(V4U(a), V4S(b)), us, "dotusp.b", a, b);
        check(xp_dotsp2(V2S(a), V2S(b)), hs, "dotsp.h", a, b);
        check(xp_dotup2(V2U(a), V2U(b)), huu, "dotup.h", a, b);
        check(xp_dotusp2(V2U(a), V2S(b)), hus, "dotusp.h", a, b);
        check(xp_sdotsp4(c, V4S(a), V4S(b)), c + ss, "sdotsp.b", a, b);
        check(xp_sdotup4(c, V4U(a), V4U(b)), c + uu, "sdotup.b", a, b);
        check(xp_sdotusp4(c, V4U(a), V4S(b)), c + us, "sdotusp.b", a, b);
        check(xp_sdotsp2(c, V2S(a), V2S(b)), c + hs, "sdotsp.h", a, b);
        check(xp_sdotup2(c, V2U(a), V2U(b)), c + huu, "sdotup.h", a, b);
        check(xp_sdotusp2(c, V2U(a), V2S(b)), c + hus, "sdotusp.h", a, b);
    }
    end_group("dot");

    for (int t = 0; t < N; t++) {
        uint32_t a = rnd(), b = rnd();
        check(XP_U32(xp_add4(V4S(a), V4S(b))), model_b(ADD, a, b), "add.b", a, b);
        check(XP_U32(xp_sub4(V4S(a), V4S(b))), model_b(SUB, a, b), "sub.b", a, b);
        check(XP_U32(xp_avg4(V4S(a), V4S(b))), model_b(AVG, a, b), "avg.b", a, b);
        check(XP_U32(xp_avgu4(V4U(a), V4U(b))), model_b(AVGU, a, b), "avgu.b", a, b);
        check(XP_U32(xp_max4(V4S(a), V4S(b))), model_b(MAX, a, b), "max.b", a, b);
        check(XP_U32(xp_min4(V4S(a), V4S(b))), model_b(MIN, a, b), "min.b", a, b);
        check(XP_U32(xp_maxu4(V4U(a), V4U(b))), model_b(MAXU, a, b), "maxu.b", a, b);
        check(XP_U32(xp_minu4(V4U(a), V4U(b))), model_b(MINU, a, b), "minu.b", a, b);
        check(XP_U32(xp_add2(V2S(a), V2S(b))), model_h(ADD, a, b), "add.h", a, b);
        check(XP_U32(xp_sub2(V2S(a), V2S(b))), model_h(SUB, a, b), "sub.h", a, b);
        check(XP_U32(xp_avg2(V2S(a), V2S(b))), model_h(AVG, a, b), "avg.h", a, b);
        check(XP_U32(xp_avgu2(V2U(a), V2U(b))), model_h(AVGU, a, b), "avgu.h", a, b);
        check(XP_U32(xp_max2(V2S(a), V2S(b))), model_h(MAX, a, b), "max.h", a, b);
        check(XP_U32(xp_min2(V2S(a), V2S(b))), model_h(MIN, a, b), "min.h", a, b);
        check(XP_U32(xp_maxu2(V2U(a), V2U(b))), model_h(MAXU, a, b), "maxu.h", a, b);
        check(XP_U32(xp_minu2(V2U(a), V2U(b))), model_h(MINU, a, b), "minu.h", a, b);
    }
    end_group("alu");

    for (int t = 0; t < N; t++) {
        uint32_t a = rnd(), s = rnd(), old = rnd();
        uint32_t e = 0, e2 = 0, eh = 0, eh2 = 0;
        for (int i = 0; i < 4; i++) {
            uint32_t sel = ub(s, i);
            e |= ub(a, sel & 3) << (8 * i);
            e2 |= ub((sel & 4) ? a : old, sel & 3) << (8 * i);
        }
        for (int i = 0; i < 2; i++) {
            uint32_t sel = uh(s, i);
            eh |= uh(a, sel & 1) << (16 * i);
            eh2 |= uh((sel & 2) ? a : old, sel & 1) << (16 * i);
        }
        check(XP_U32(xp_shuffle4(V4S(a), V4U(s))), e, "shuffle.b", a, s);
        check(XP_U32(xp_shuffle2_4(V4S(old), V4S(a), V4U(s))), e2, "shuffle2.b", a, s);
        check(XP_U32(xp_shuffle2(V2S(a), V2U(s))), eh, "shuffle.h", a, s);
        check(XP_U32(xp_shuffle2_2(V2S(old), V2S(a), V2U(s))), eh2, "shuffle2.h", a, s);
        /* constant selectors */
        uint32_t r0 = XP_U32(XP_SHUFFLEI(V4S(a), 0, 1, 2, 3));   /* byte reverse */
        uint32_t r1 = XP_U32(XP_SHUFFLEI(V4S(a), 1, 1, 1, 1));
        uint32_t r2 = XP_U32(XP_SHUFFLEI(V4S(a), 2, 0, 3, 2));
        uint32_t r3 = XP_U32(XP_SHUFFLEI(V4S(a), 3, 2, 1, 0));   /* identity */
        uint32_t rh = XP_U32(XP_SHUFFLEI_H(V2S(a), 1));           /* h1 = h0, h0 = h1 */
        check(r0, ub(a, 0) << 24 | ub(a, 1) << 16 | ub(a, 2) << 8 | ub(a, 3), "shufflei0", a, 0);
        check(r1, ub(a, 1) * 0x01010101u, "shufflei1", a, 0);
        check(r2, ub(a, 2) << 24 | ub(a, 0) << 16 | ub(a, 3) << 8 | ub(a, 2), "shufflei2", a, 0);
        check(r3, a, "shufflei3", a, 0);
        check(rh, uh(a, 0) << 16 | uh(a, 1), "shuffle.sci.h", a, 0);
    }
    end_group("shuffle");

    for (int t = 0; t < N; t++) {
        uint32_t a = rnd(), b = rnd(), old = rnd();
        check(XP_U32(xp_pack_lo16(V2S(a), V2S(b))), (a << 16) | (b & 0xffff), "pack", a, b);
        check(XP_U32(xp_pack_hi16(V2S(a), V2S(b))), (a & 0xffff0000u) | (b >> 16), "pack.h", a, b);
        check(XP_U32(xp_packhi4(V4S(old), a, b)), (a & 0xff) << 24 | (b & 0xff) << 16 | (old & 0xffff),
              "packhi.b", a, b);
        check(XP_U32(xp_packlo4(V4S(old), a, b)), (old & 0xffff0000u) | (a & 0xff) << 8 | (b & 0xff),
              "packlo.b", a, b);
        check(XP_U32(xp_pack4(a, b, old, a ^ b)),
              (a & 0xff) << 24 | (b & 0xff) << 16 | (old & 0xff) << 8 | ((a ^ b) & 0xff), "pack4", a, b);
    }
    end_group("pack");

    for (int t = 0; t < N; t++) {
        int32_t x = (int32_t)rnd() >> (rnd() & 31);
        int32_t hi = (int32_t)(rnd() >> 20);
        check(xp_clip_i8(x), clip_model(x, -128, 127), "clip8", x, 0);
        check(xp_clip_u8(x), clip_model(x, 0, 255), "clipu9", x, 0);
        check(XP_CLIP(x, 1), clip_model(x, -1, 0), "clip1", x, 0);
        check(XP_CLIP(x, 16), clip_model(x, -32768, 32767), "clip16", x, 0);
        check(XP_CLIPU(x, 5), clip_model(x, 0, 15), "clipu5", x, 0);
        check(xp_clipr(x, hi), clip_model(x, -hi - 1, hi), "clipr", x, hi);
        check(xp_clipur(x, hi), clip_model(x, 0, hi), "clipur", x, hi);
    }
    end_group("clip");

    for (int t = 0; t < N; t++) {
        uint32_t a = rnd(), x = rnd();
        v4s v = V4S(a);
        v2s h = V2S(a);
        check(XP_EXTRACT4(v, 0), sb(a, 0), "extract.b0", a, 0);
        check(XP_EXTRACT4(v, 3), sb(a, 3), "extract.b3", a, 0);
        check(XP_EXTRACTU4(v, 1), ub(a, 1), "extractu.b1", a, 0);
        check(XP_EXTRACTU4(v, 2), ub(a, 2), "extractu.b2", a, 0);
        check(XP_EXTRACT2(h, 1), sh(a, 1), "extract.h1", a, 0);
        check(XP_EXTRACTU2(h, 0), uh(a, 0), "extractu.h0", a, 0);
        check(XP_U32(XP_INSERT4(v, x, 2)), (a & 0xff00ffffu) | (x & 0xff) << 16, "insert.b2", a, x);
        check(XP_U32(XP_INSERT4(v, x, 0)), (a & 0xffffff00u) | (x & 0xff), "insert.b0", a, x);
        check(XP_U32(XP_INSERT2(h, x, 1)), (a & 0xffffu) | x << 16, "insert.h1", a, x);
    }
    end_group("extract_insert");

    {   /* post-increment helpers */
        const volatile uint32_t *p = words;
        uint32_t s = 0;
        for (int i = 0; i < 8; i++)
            s += XP_LW_POSTINC(p, 4) * (uint32_t)(i + 1);
        uint32_t e = 0;
        for (int i = 0; i < 8; i++)
            e += words[i] * (uint32_t)(i + 1);
        check(s, e, "lw_postinc", 0, 0);
        check((uint32_t)(p - words), 8, "lw_postinc ptr", 0, 0);
        const void *q = (const void *)words;
        uint32_t b0 = xp_lbu_inc(&q), b1 = xp_lbu_inc(&q);
        check(b0 | b1 << 8, words[0] & 0xffff, "lbu_inc", 0, 0);
        check(xp_lw_incr(&q, 6), words[0] >> 16 | words[1] << 16, "lw_incr misaligned", 0, 0);
        check(xp_lbu_incr(&q, -1), ub(words[2], 0), "lbu_incr", 0, 0);
        check((uint32_t)((const uint8_t *)q - (const uint8_t *)words), 7, "incr ptr", 0, 0);
        const volatile int8_t *pb = (const volatile int8_t *)words;
        check(XP_LB_POSTINC(pb, 3), sb(words[0], 0), "lb_postinc0", 0, 0);
        check(XP_LB_POSTINC(pb, 3), sb(words[0], 3), "lb_postinc3", 0, 0);
        volatile uint32_t *w = sink;
        XP_SW_POSTINC(w, 0xcafe0001u, 4);
        XP_SW_POSTINC(w, 0xcafe0002u, 4);
        volatile uint8_t *wb = (volatile uint8_t *)w;
        XP_SB_POSTINC(wb, 0x5a, 1);
        XP_SB_POSTINC(wb, 0xa5, 3);
        XP_SB_POSTINC(wb, 0x77, 1);
        check(sink[0], 0xcafe0001u, "sw_postinc", 0, 0);
        check(sink[1], 0xcafe0002u, "sw_postinc", 0, 0);
        check(sink[2] & 0xffff, 0xa55a, "sb_postinc", 0, 0);
        check(sink[2] >> 16, 0, "sb_postinc skip", 0, 0);      /* bytes 10, 11 skipped */
        check(sink[3], 0x77, "sb_postinc", 0, 0);
        check((uint32_t)((volatile uint8_t *)wb - (volatile uint8_t *)sink), 13, "sb ptr", 0, 0);
    }
    end_group("postinc");

    {   /* hardware loops */
        for (uint32_t n = 1; n <= 40; n += 13) {
            uint32_t a = 0, b = 0, c = 5;
            XP_HWLOOP(n,
                      "addi %[a], %[a], 1\n\t"
                      "add %[b], %[b], %[a]\n\t"
                      "add %[c], %[c], %[k]\n\t",
                      ([a] "+r"(a), [b] "+r"(b), [c] "+r"(c)), ([k] "r"(3)), );
            check(a, n, "hwloop a", n, 0);
            check(b, n * (n + 1) / 2, "hwloop b", n, 0);
            check(c, 5 + 3 * n, "hwloop c", n, 0);
        }
        uint32_t x = 0, y = 0;
        __asm__ volatile(XP_HWLOOP_BEGIN XP_HWLOOP_SETUPI(0, 100)
                         "addi %0, %0, 2\n\t"
                         "addi %1, %1, 3\n\t"
                         "addi %0, %0, -1\n\t"
                         XP_HWLOOP_END
                         : "+r"(x), "+r"(y));
        check(x, 100, "setupi x", 0, 0);
        check(y, 300, "setupi y", 0, 0);
        /* nested: loop 1 (outer, count in t5) around loop 0 (inner, count in t6) */
        register uint32_t outer __asm__(XP_HWLOOP_REGNAME1) = 7;
        register uint32_t inner __asm__(XP_HWLOOP_REGNAME) = 9;
        uint32_t s = 0, o = 0;
        __asm__ volatile(XP_HWLOOP_BEGIN
                         XP_HWLOOP_SETUP_REG(1, XP_HWLOOP_REGNUM1, 3, 4)
                         XP_HWLOOP_SETUP_REG(0, XP_HWLOOP_REGNUM, 5, 6)
                         "addi %[s], %[s], 1\n\t"
                         "addi %[s], %[s], 1\n\t"
                         "addi %[s], %[s], -1\n\t"
                         "6:\n\t"
                         "addi %[o], %[o], 1\n\t"
                         "addi %[o], %[o], 1\n\t"
                         "4:\n\t.option pop\n\t"
                         : [s] "+r"(s), [o] "+r"(o)
                         : "r"(outer), "r"(inner));
        check(s, 63, "nested inner", 0, 0);
        check(o, 14, "nested outer", 0, 0);
    }
    end_group("hwloop");

    printf("xpulp_selftest: %s\n", failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}
#endif
