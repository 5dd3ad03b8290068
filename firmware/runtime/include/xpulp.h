#ifndef _ISS_XPULP_H
#define _ISS_XPULP_H
/*
 * XpulpV2 / CORE-V (CV32E40P v2) helpers for the instruction groups clang 22 has no builtin
 * for: SIMD dot products, SIMD add/sub/min/max/avg, shuffles, packs, clip, extract/insert,
 * post-increment loads/stores, hardware loops, and the XCVbitmanip instructions (which the
 * default `iss cc` keeps clang from emitting itself, see below).
 *
 * Everything is inline asm with the LLVM `cv.*` syntax, so it needs the `iss cc --isa corev`
 * build (clang defines __riscv_xcvsimd, __riscv_xcvalu, __riscv_xcvmem, ...).  Hardware loops
 * are emitted as `.word` (LLVM has no +xcvhwlp), see XP_HWLOOP below.
 *
 * Semantics (CV32E40P user manual, instruction_set_extensions.rst): element operations wrap (no saturation);
 * element 0 is the least significant byte / half-word; cv.avg(u) truncates the element sum
 * before the shift; dot products: dotup u*u, dotusp (rs1 unsigned) * (rs2 signed), dotsp s*s,
 * the sdot* forms add the accumulator.
 */
#include <stdint.h>

#if !defined(__riscv_xcvsimd) || !defined(__riscv_xcvalu) || !defined(__riscv_xcvmem)
#error "xpulp.h needs the CORE-V extensions: build with iss cc --isa corev"
#endif

/* ---- vector types (32-bit registers) ---- */
typedef signed char    v4s __attribute__((vector_size(4)));
typedef unsigned char  v4u __attribute__((vector_size(4)));
typedef short          v2s __attribute__((vector_size(4)));
typedef unsigned short v2u __attribute__((vector_size(4)));

#define XP_INLINE static inline __attribute__((always_inline))

/* build vectors: element 0 = first argument = least significant */
XP_INLINE v4s xp_v4s(int8_t e0, int8_t e1, int8_t e2, int8_t e3) { return (v4s){e0, e1, e2, e3}; }
XP_INLINE v4u xp_v4u(uint8_t e0, uint8_t e1, uint8_t e2, uint8_t e3) { return (v4u){e0, e1, e2, e3}; }
XP_INLINE v2s xp_v2s(int16_t e0, int16_t e1) { return (v2s){e0, e1}; }
XP_INLINE v2u xp_v2u(uint16_t e0, uint16_t e1) { return (v2u){e0, e1}; }
/* reinterpret a vector as / from a 32-bit word */
#define XP_U32(v)      ((uint32_t)__builtin_bit_cast(uint32_t, (v)))
#define XP_AS(T, w)    (__builtin_bit_cast(T, (uint32_t)(w)))

/* vectors cannot be "r" asm operands in LLVM's RISC-V backend: pass words */
#define XP_W(x) __builtin_bit_cast(uint32_t, (x))

/* ---- generic two-operand / accumulate templates ---- */
#define XP_BINOP(name, insn, T, TA, TB)                                          \
    XP_INLINE T name(TA a, TB b)                                                  \
    {                                                                             \
        uint32_t r;                                                               \
        __asm__(insn " %0, %1, %2" : "=r"(r) : "r"(XP_W(a)), "r"(XP_W(b)));       \
        return __builtin_bit_cast(T, r);                                          \
    }
#define XP_ACCOP(name, insn, TA, TB)                                              \
    XP_INLINE int32_t name(int32_t acc, TA a, TB b)                               \
    {                                                                             \
        __asm__(insn " %0, %1, %2" : "+r"(acc) : "r"(XP_W(a)), "r"(XP_W(b)));     \
        return acc;                                                               \
    }

/* ---- dot products: return sum_i a[i]*b[i] (+ acc for the sdot forms) ---- */
XP_BINOP(xp_dotsp4,   "cv.dotsp.b",  int32_t,  v4s, v4s)
XP_BINOP(xp_dotup4,   "cv.dotup.b",  uint32_t, v4u, v4u)
XP_BINOP(xp_dotusp4,  "cv.dotusp.b", int32_t,  v4u, v4s)
XP_BINOP(xp_dotsp2,   "cv.dotsp.h",  int32_t,  v2s, v2s)
XP_BINOP(xp_dotup2,   "cv.dotup.h",  uint32_t, v2u, v2u)
XP_BINOP(xp_dotusp2,  "cv.dotusp.h", int32_t,  v2u, v2s)
XP_ACCOP(xp_sdotsp4,  "cv.sdotsp.b",  v4s, v4s)
XP_ACCOP(xp_sdotup4,  "cv.sdotup.b",  v4u, v4u)
XP_ACCOP(xp_sdotusp4, "cv.sdotusp.b", v4u, v4s)
XP_ACCOP(xp_sdotsp2,  "cv.sdotsp.h",  v2s, v2s)
XP_ACCOP(xp_sdotup2,  "cv.sdotup.h",  v2u, v2u)
XP_ACCOP(xp_sdotusp2, "cv.sdotusp.h", v2u, v2s)

/* ---- element-wise arithmetic (wrapping) ---- */
XP_BINOP(xp_add4,  "cv.add.b",  v4s, v4s, v4s)
XP_BINOP(xp_sub4,  "cv.sub.b",  v4s, v4s, v4s)
XP_BINOP(xp_avg4,  "cv.avg.b",  v4s, v4s, v4s)
XP_BINOP(xp_avgu4, "cv.avgu.b", v4u, v4u, v4u)
XP_BINOP(xp_max4,  "cv.max.b",  v4s, v4s, v4s)
XP_BINOP(xp_min4,  "cv.min.b",  v4s, v4s, v4s)
XP_BINOP(xp_maxu4, "cv.maxu.b", v4u, v4u, v4u)
XP_BINOP(xp_minu4, "cv.minu.b", v4u, v4u, v4u)
XP_BINOP(xp_add2,  "cv.add.h",  v2s, v2s, v2s)
XP_BINOP(xp_sub2,  "cv.sub.h",  v2s, v2s, v2s)
XP_BINOP(xp_avg2,  "cv.avg.h",  v2s, v2s, v2s)
XP_BINOP(xp_avgu2, "cv.avgu.h", v2u, v2u, v2u)
XP_BINOP(xp_max2,  "cv.max.h",  v2s, v2s, v2s)
XP_BINOP(xp_min2,  "cv.min.h",  v2s, v2s, v2s)
XP_BINOP(xp_maxu2, "cv.maxu.h", v2u, v2u, v2u)
XP_BINOP(xp_minu2, "cv.minu.h", v2u, v2u, v2u)

/* ---- shuffles ---- */
/* r.b[k] = a.b[sel.b[k] & 3] */
XP_BINOP(xp_shuffle4, "cv.shuffle.b", v4s, v4s, v4u)
/* r.h[k] = a.h[sel.h[k] & 1] */
XP_BINOP(xp_shuffle2, "cv.shuffle.h", v2s, v2s, v2u)
/* cv.shuffle2.b: r.b[k] = (sel.b[k] & 4 ? a : old).b[sel.b[k] & 3]  (reads `old`) */
XP_INLINE v4s xp_shuffle2_4(v4s old, v4s a, v4u sel)
{
    uint32_t r = XP_W(old);
    __asm__("cv.shuffle2.b %0, %1, %2" : "+r"(r) : "r"(XP_W(a)), "r"(XP_W(sel)));
    return __builtin_bit_cast(v4s, r);
}
/* cv.shuffle2.h: r.h[k] = (sel.h[k] & 2 ? a : old).h[sel.h[k] & 1] */
XP_INLINE v2s xp_shuffle2_2(v2s old, v2s a, v2u sel)
{
    uint32_t r = XP_W(old);
    __asm__("cv.shuffle2.h %0, %1, %2" : "+r"(r) : "r"(XP_W(a)), "r"(XP_W(sel)));
    return __builtin_bit_cast(v2s, r);
}
/* immediate byte shuffles: r.b3 = a.b[I] (I = 0..3 picks shufflei0..3),
 * r.b2 = a.b[(imm>>4)&3], r.b1 = a.b[(imm>>2)&3], r.b0 = a.b[imm&3];  imm is 0..63.
 * XP_SHUFFLEI(a, b3, b2, b1, b0) builds the right instruction for 4 constant indices. */
#define XP_SHUFFLEI_N(I, a, imm)                                                   \
    ({                                                                             \
        uint32_t __r;                                                              \
        __asm__("cv.shufflei" #I ".sci.b %0, %1, %2" : "=r"(__r) : "r"(XP_W(a)), "i"(imm)); \
        __builtin_bit_cast(v4s, __r);                                              \
    })
#define XP_SHUFFLEI(a, b3, b2, b1, b0)                                             \
    ((b3) == 0 ? XP_SHUFFLEI_N(0, a, ((b2) << 4) | ((b1) << 2) | (b0))             \
   : (b3) == 1 ? XP_SHUFFLEI_N(1, a, ((b2) << 4) | ((b1) << 2) | (b0))             \
   : (b3) == 2 ? XP_SHUFFLEI_N(2, a, ((b2) << 4) | ((b1) << 2) | (b0))             \
               : XP_SHUFFLEI_N(3, a, ((b2) << 4) | ((b1) << 2) | (b0)))
/* cv.shuffle.sci.h: r.h1 = a.h[(imm>>1)&1], r.h0 = a.h[imm&1] */
#define XP_SHUFFLEI_H(a, imm)                                                      \
    ({                                                                             \
        uint32_t __r;                                                              \
        __asm__("cv.shuffle.sci.h %0, %1, %2" : "=r"(__r) : "r"(XP_W(a)), "i"(imm)); \
        __builtin_bit_cast(v2s, __r);                                              \
    })

/* ---- packs ---- */
/* cv.pack: {hi.h0, lo.h0} -> r.h1 = hi.h0, r.h0 = lo.h0 */
XP_BINOP(xp_pack_lo16, "cv.pack",   v2s, v2s, v2s)
/* cv.pack.h: r.h1 = hi.h1, r.h0 = lo.h1 */
XP_BINOP(xp_pack_hi16, "cv.pack.h", v2s, v2s, v2s)
/* cv.packhi.b: r.b3 = b3.b0, r.b2 = b2.b0, low half of `old` kept */
XP_INLINE v4s xp_packhi4(v4s old, int32_t b3, int32_t b2)
{
    uint32_t r = XP_W(old);
    __asm__("cv.packhi.b %0, %1, %2" : "+r"(r) : "r"(XP_W(b3)), "r"(XP_W(b2)));
    return __builtin_bit_cast(v4s, r);
}
/* cv.packlo.b: r.b1 = b1.b0, r.b0 = b0.b0, high half of `old` kept */
XP_INLINE v4s xp_packlo4(v4s old, int32_t b1, int32_t b0)
{
    uint32_t r = XP_W(old);
    __asm__("cv.packlo.b %0, %1, %2" : "+r"(r) : "r"(XP_W(b1)), "r"(XP_W(b0)));
    return __builtin_bit_cast(v4s, r);
}
/* four bytes into one vector with two instructions: {b3, b2, b1, b0} */
XP_INLINE v4s xp_pack4(int32_t b3, int32_t b2, int32_t b1, int32_t b0)
{
    v4s r = {0, 0, 0, 0};
    r = xp_packlo4(r, b1, b0);
    return xp_packhi4(r, b3, b2);
}

/* ---- clip (scalar, xcvalu) ---- */
/* cv.clip rD, rs1, B: clamp to [-2^(B-1), 2^(B-1)-1]; cv.clipu: [0, 2^(B-1)-1]; B = 0..31 */
#define XP_CLIP(x, B)                                                              \
    ({ int32_t __r; __asm__("cv.clip %0, %1, %2" : "=r"(__r) : "r"((int32_t)(x)), "i"(B)); __r; })
#define XP_CLIPU(x, B)                                                             \
    ({ int32_t __r; __asm__("cv.clipu %0, %1, %2" : "=r"(__r) : "r"((int32_t)(x)), "i"(B)); __r; })
/* register forms: cv.clipr clamps to [-(hi+1), hi], cv.clipur to [0, hi] */
XP_BINOP(xp_clipr,  "cv.clipr",  int32_t, int32_t, int32_t)
XP_BINOP(xp_clipur, "cv.clipur", int32_t, int32_t, int32_t)
XP_INLINE int32_t xp_clip_i8(int32_t x) { return XP_CLIP(x, 8); }    /* [-128, 127] */
XP_INLINE int32_t xp_clip_u8(int32_t x) { return XP_CLIPU(x, 9); }   /* [0, 255] */

/* ---- SIMD extract / insert (element index must be a constant) ---- */
#define XP_EXTRACT4(v, i)                                                          \
    ({ int32_t __r; __asm__("cv.extract.b %0, %1, %2" : "=r"(__r) : "r"(XP_W(v)), "i"(i)); __r; })
#define XP_EXTRACTU4(v, i)                                                         \
    ({ uint32_t __r; __asm__("cv.extractu.b %0, %1, %2" : "=r"(__r) : "r"(XP_W(v)), "i"(i)); __r; })
#define XP_EXTRACT2(v, i)                                                          \
    ({ int32_t __r; __asm__("cv.extract.h %0, %1, %2" : "=r"(__r) : "r"(XP_W(v)), "i"(i)); __r; })
#define XP_EXTRACTU2(v, i)                                                         \
    ({ uint32_t __r; __asm__("cv.extractu.h %0, %1, %2" : "=r"(__r) : "r"(XP_W(v)), "i"(i)); __r; })
/* returns v with element i replaced by the low bits of x */
#define XP_INSERT4(v, x, i)                                                        \
    ({ uint32_t __r = XP_W(v);                                                     \
       __asm__("cv.insert.b %0, %1, %2" : "+r"(__r) : "r"((int32_t)(x)), "i"(i));   \
       __builtin_bit_cast(__typeof__(v), __r); })
#define XP_INSERT2(v, x, i)                                                        \
    ({ uint32_t __r = XP_W(v);                                                     \
       __asm__("cv.insert.h %0, %1, %2" : "+r"(__r) : "r"((int32_t)(x)), "i"(i));   \
       __builtin_bit_cast(__typeof__(v), __r); })

/* ---- post-increment loads / stores: access *p, then p += step (bytes) ---- */
/* immediate step (constant, simm12) */
#define XP_LW_POSTINC(p, step)                                                     \
    ({ uint32_t __v; __asm__ volatile("cv.lw %0, (%1), %2" : "=r"(__v), "+r"(p) : "i"(step) : "memory"); __v; })
#define XP_LBU_POSTINC(p, step)                                                    \
    ({ uint32_t __v; __asm__ volatile("cv.lbu %0, (%1), %2" : "=r"(__v), "+r"(p) : "i"(step) : "memory"); __v; })
#define XP_LB_POSTINC(p, step)                                                     \
    ({ int32_t __v; __asm__ volatile("cv.lb %0, (%1), %2" : "=r"(__v), "+r"(p) : "i"(step) : "memory"); __v; })
#define XP_SW_POSTINC(p, v, step)                                                  \
    __asm__ volatile("cv.sw %1, (%0), %2" : "+r"(p) : "r"(v), "i"(step) : "memory")
#define XP_SB_POSTINC(p, v, step)                                                  \
    __asm__ volatile("cv.sb %1, (%0), %2" : "+r"(p) : "r"(v), "i"(step) : "memory")
/* function forms (pointer passed by address; step 4 / 1) */
XP_INLINE uint32_t xp_lw_inc(const void **pp)
{
    const void *p = *pp;
    uint32_t v;
    __asm__ volatile("cv.lw %0, (%1), 4" : "=r"(v), "+r"(p) : : "memory");
    *pp = p;
    return v;
}
XP_INLINE uint32_t xp_lbu_inc(const void **pp)
{
    const void *p = *pp;
    uint32_t v;
    __asm__ volatile("cv.lbu %0, (%1), 1" : "=r"(v), "+r"(p) : : "memory");
    *pp = p;
    return v;
}
/* register step */
XP_INLINE uint32_t xp_lw_incr(const void **pp, int32_t step)
{
    const void *p = *pp;
    uint32_t v;
    __asm__ volatile("cv.lw %0, (%1), %2" : "=r"(v), "+r"(p) : "r"(step) : "memory");
    *pp = p;
    return v;
}
XP_INLINE uint32_t xp_lbu_incr(const void **pp, int32_t step)
{
    const void *p = *pp;
    uint32_t v;
    __asm__ volatile("cv.lbu %0, (%1), %2" : "=r"(v), "+r"(p) : "r"(step) : "memory");
    *pp = p;
    return v;
}

/* ---- bit manipulation (XCVbitmanip) ----
 * `iss cc --isa corev` leaves XCVbitmanip out of the compiler's -mcpu (LLVM bug
 * llvm/llvm-project#197006: clang lowers __builtin_clz to a bare cv.fl1), so clang neither
 * emits these instructions nor accepts them in plain inline asm: wrap the instruction in
 * XP_BITMANIP_ASM("cv.cnt %0, %1").  (.S files get them from corev_asm.h.)
 */
#define XP_BITMANIP_ASM(insn)                                                           \
    ".option push\n\t.option arch, +xcvbitmanip\n\t" insn "\n\t.option pop"
#define XP_BITMANIP_UNOP(name, insn)                                                    \
    XP_INLINE uint32_t name(uint32_t a)                                                 \
    {                                                                                   \
        uint32_t r;                                                                     \
        __asm__(XP_BITMANIP_ASM(insn " %0, %1") : "=r"(r) : "r"(a));                     \
        return r;                                                                       \
    }
XP_BITMANIP_UNOP(xp_cnt, "cv.cnt")   /* number of set bits */
XP_BITMANIP_UNOP(xp_ff1, "cv.ff1")   /* index of the lowest set bit; 32 if a == 0 */
XP_BITMANIP_UNOP(xp_fl1, "cv.fl1")   /* index of the highest set bit (NOT clz); 32 if a == 0 */
XP_BITMANIP_UNOP(xp_clb, "cv.clb")   /* leading redundant sign bits (clrsb); 0 if a == 0 */
XP_INLINE uint32_t xp_ror(uint32_t a, uint32_t n)      /* rotate right by n & 31 */
{
    uint32_t r;
    __asm__(XP_BITMANIP_ASM("cv.ror %0, %1, %2") : "=r"(r) : "r"(a), "r"(n));
    return r;
}

/* ---- hardware loops (CV32E40P v2, manual corev_hw_loop.rst) ----
 *
 * Encodings (no assembler support, so `.word`):
 *   cv.setupi L, count(uimm12), end(uimm5)  0x0000462b | L<<7 | count<<20 | (end_off>>2)<<15
 *   cv.setup  L, rs1, end(uimm12)           0x0000472b | L<<7 | rs1<<15   | (end_off>>2)<<20
 * start = setup pc + 4, end = the first address AFTER the body (exclusive).
 * Body rules: >= 3 instructions, all 32-bit (the macros switch to .option norvc), no
 * branches / jumps / calls, count >= 1 (a count of 0 runs the body once, then leaves the
 * loop inactive); nested: loop 1 outer, loop 0 inner, outer end >= inner end + 8 bytes.
 *
 * Strings to paste into your own inline asm (the count must be in register x<XP_HWLOOP_REGNUM>;
 * use `register uint32_t n __asm__(XP_HWLOOP_REGNAME) = count;` and pass it as "r"(n)):
 *   XP_HWLOOP_SETUP(L)   "1: .word <cv.setup L, x31, 2f>" (local labels 1 and 2)
 *   XP_HWLOOP_END        "2:"
 *   XP_HWLOOP_SETUPI(L, N) "1: .word <cv.setupi L, N, 2f>"  (N constant 1..4095; the end
 *                        offset is a uimm5 in words: body of at most 30 instructions)
 *   XP_HWLOOP_SETUP_REG(L, REGNUM, S, E) the same as XP_HWLOOP_SETUP with your own count
 *                        register number and local labels S (placed here) / E (the end)
 *   XP_HWLOOP_BEGIN      ".option push; .option norvc; .balign 4" -- start every loop nest
 *                        with it (XP_HWLOOP_END pops the options)
 * A nested pair (loop 1 outer, count in t5; loop 0 inner, count in t6) is in
 * firmware/apps/xpulp_selftest/main.c.
 */
#define XP_STR_(x) #x
#define XP_STR(x) XP_STR_(x)
#define XP_HWLOOP_REGNAME "t6"
#define XP_HWLOOP_REGNUM 31
#define XP_HWLOOP_REGNAME1 "t5"   /* count register for the outer loop (loop 1) */
#define XP_HWLOOP_REGNUM1 30

#define XP_HWLOOP_BEGIN ".option push\n\t.option norvc\n\t.balign 4\n\t"
#define XP_HWLOOP_SETUP_REG(L, REGNUM, START, END)                                      \
    XP_STR(START) ": .word 0x0000472b | (" XP_STR(L) " << 7) | (" XP_STR(REGNUM)          \
    " << 15) | (((" XP_STR(END) "f - " XP_STR(START) "b) >> 2) << 20)\n\t"
#define XP_HWLOOP_SETUP(L) XP_HWLOOP_SETUP_REG(L, XP_HWLOOP_REGNUM, 1, 2)
#define XP_HWLOOP_SETUPI(L, N)                                                          \
    "1: .word 0x0000462b | (" XP_STR(L) " << 7) | ((" XP_STR(N)                          \
    ") << 20) | (((2f - 1b) >> 2) << 15)\n\t"
#define XP_HWLOOP_END "2:\n\t.option pop\n\t"

/* XP_HWLOOP(count, BODY, (outputs...), (inputs...), clobbers...)
 * runs the asm string BODY `count` times with hardware loop 0 (body executed at least once:
 * guard count == 0 yourself).  Outputs / inputs are parenthesised asm operand lists (may be
 * empty: ()), named operands recommended.  Example:
 *     XP_HWLOOP(n / 4,
 *               "cv.lw %[x], (%[pa]), 4\n\t"
 *               "cv.lw %[y], (%[pb]), 4\n\t"
 *               "cv.sdotsp.b %[acc], %[x], %[y]\n\t",
 *               ([acc] "+r"(acc), [pa] "+r"(pa), [pb] "+r"(pb), [x] "=&r"(x), [y] "=&r"(y)),
 *               (), "memory");
 */
#define XP_UNPAREN_(...) __VA_ARGS__
#define XP_COMMA_ARGS_(...) , ##__VA_ARGS__
#define XP_HWLOOP(count, BODY, OUTS, INS, ...)                                          \
    do {                                                                                \
        register uint32_t __xp_hwl_n __asm__(XP_HWLOOP_REGNAME) = (uint32_t)(count);    \
        __asm__ volatile(XP_HWLOOP_BEGIN XP_HWLOOP_SETUP(0) BODY XP_HWLOOP_END           \
                         : XP_UNPAREN_ OUTS                                             \
                         : [__xp_hwl_n] "r"(__xp_hwl_n) XP_COMMA_ARGS_ INS              \
                         : __VA_ARGS__);                                                \
    } while (0)

#endif
