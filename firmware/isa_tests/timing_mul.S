/*
 * timing_mul.S -- core timing micro-tests: multiplier.
 *
 * Rules (docs/cluster.md table; source ids Sn: timing_harness.inc):
 *   mul: 1 cycle                                   S1 "mul 1"
 *   mulh, mulhsu, mulhu: 5 cycles, a structural stall whether or not the result is used
 *                                                  S1 "mulh... 5" (S3 RTL state
 *                                                  machine; S6 calibration 64 MULH = 323 cyc)
 *   MUL results are forwarded: a dependent instruction right after costs nothing extra
 *                                                  S1 Hazards
 *   other Xpulp multiplier ops (cv.mac, cv.msu, cv.muls, cv.mulhhs, cv.mulsN, cv.sdotsp.b): 1
 *                                                  only MUL_H is multicycle in the multiplier
 *                                                  [I] from S3 RTL; the contract table has no
 *                                                  row for them, so they take the base cost.
 */
#include "timing_harness.inc"   /* TSTART/TEND, MAIN_BEGIN/MAIN_END, timing_report */

    MAIN_BEGIN

    /* operands in s1, s2, s3 (a* / t* registers do not survive the printf of each TEND) */
    li      s1, 0x12345
    li      s2, -7
    li      s3, 3

    /* 1. 16 dependent mul: 4 + 16 x 1 = 20 */
    TSTART
    .rept 16
    mul     a0, a0, s1
    .endr
    TEND mul_chain_16, 20

    /* 2. 8 mulh: 4 + 8 x 5 = 44 */
    TSTART
    .rept 8
    mulh    a0, s1, s2
    .endr
    TEND mulh_8, 44

    /* 3. 8 mulhsu: 4 + 8 x 5 = 44 */
    TSTART
    .rept 8
    mulhsu  a0, s1, s2
    .endr
    TEND mulhsu_8, 44

    /* 4. 8 mulhu: 4 + 8 x 5 = 44 */
    TSTART
    .rept 8
    mulhu   a0, s1, s2
    .endr
    TEND mulhu_8, 44

    /* 5. mulh followed by an INDEPENDENT addi: the stall is structural (EX busy), so still
     *    5 + 1 per pair: 4 + 8 x (5 + 1) = 52 */
    TSTART
    .rept 8
    mulh    a0, s1, s2
    addi    a4, s3, 1
    .endr
    TEND mulh_then_independent_8, 52

    /* 6. mulh followed by a DEPENDENT addi: forwarded, nothing more: 4 + 8 x (5 + 1) = 52 */
    TSTART
    .rept 8
    mulh    a0, s1, s2
    addi    a4, a0, 1
    .endr
    TEND mulh_then_dependent_8, 52

    /* 7. mul followed by a dependent instruction: 4 + 8 x (1 + 1) = 20 */
    TSTART
    .rept 8
    mul     a0, s1, s2
    add     a4, a0, a0
    .endr
    TEND mul_then_dependent_8, 20

    /* 8. Xpulp multiply / MAC / dot-product ops (all 1 cycle, no MULH state machine):
     *    4 x 6 = 24 instructions -> 4 + 24 = 28 */
    TSTART
    .rept 4
    cv.mac      a0, s1, s2
    cv.msu      a0, s1, s2
    cv.muls     a4, s1, s2
    cv.mulhhs   a4, s1, s2
    cv.mulsn    a4, s1, s2, 3
    cv.sdotsp.b a0, s1, s2
    .endr
    TEND xpulp_mul_ops_24, 28

    MAIN_END
