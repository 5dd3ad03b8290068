/*
 * timing_mul.S -- core timing micro-tests: multiplier.
 *
 * Rules (docs/cluster.md table; sources in ../shared/reference/timing.md):
 *   mul: 1 cycle                                   timing.md §1 "mul 1" (S1)
 *   mulh, mulhsu, mulhu: 5 cycles, a structural stall whether or not the result is used
 *                                                  timing.md §1 "mulh... 5" (S1, S3 RTL state
 *                                                  machine; S6 calibration 64 MULH = 323 cyc)
 *   MUL results are forwarded: a dependent instruction right after costs nothing extra
 *                                                  timing.md §1 Hazards (S1)
 *   other Xpulp multiplier ops (cv.mac, cv.msu, cv.muls, cv.mulhhs, cv.mulsN, cv.sdotsp.b): 1
 *                                                  timing.md §1 "Other Xpulp multiplier ops 1"
 *                                                  [I] from S3 RTL; the contract table has no
 *                                                  row for them, so they take the base cost.
 */
/* ---- timing harness (the same block is in every firmware/isa_tests/timing_*.S) ----
 * Measurement contract (docs/cluster.md, "Core timing model"): `csrr rd, mcycle` returns
 * the cycles of every instruction before it; the csrr itself costs 4 (timing.md §1, CSR
 * access to mcycle = 4).  So for
 *       TSTART            (csrr s10, mcycle)
 *       <code under test>
 *       TEND name, E      (csrr s11, mcycle; print s11 - s10)
 * the measured delta is 4 + cycles(code under test), and E below is always written that way.
 * TEND name, E_fast, E_accurate gives a different expectation for `--timing accurate`.
 * Every TEND line prints  "timing <name>: measured <d>, expected <E>[ (fast) / <A> (accurate)]";
 * tests/test_timing.py reads E (and A) from this source and compares.  s10/s11 are reserved.
 * Everything is assembled with .option norvc (all instructions 32-bit, word aligned) unless a
 * section says otherwise, so no compressed form can shift an alignment by surprise.
 */
    .option norelax
    .option norvc

    .macro TSTART
    csrr    s10, mcycle
    .endm

    .macro TEND name, exp, acc=-1
    csrr    s11, mcycle
    .pushsection .rodata.timing_names, "a", @progbits
.Ltiming_name\@: .asciz "\name"
    .popsection
    la      a1, .Ltiming_name\@
    sub     a2, s11, s10
    li      a3, \exp
    .if \acc == -1
    li      a4, \exp
    .else
    li      a4, \acc
    .endif
    call    timing_report
    .endm

    .section .rodata.timing_fmt, "a", @progbits
.Ltiming_fmt1: .asciz "timing %s: measured %d, expected %d\n"
.Ltiming_fmt2: .asciz "timing %s: measured %d, expected %d (fast) / %d (accurate)\n"
.Ltiming_done: .asciz "timing done\n"

    .text
    .balign 4
    /* timing_report(a1 = name, a2 = measured, a3 = expected fast, a4 = expected accurate) */
    .type timing_report, @function
timing_report:
    addi    sp, sp, -16
    sw      ra, 12(sp)
    la      a0, .Ltiming_fmt1
    beq     a3, a4, 1f
    la      a0, .Ltiming_fmt2
1:  call    printf
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret
    .size timing_report, . - timing_report

    /* main prologue / epilogue: save ra and s0-s11 (sections use any register but sp, s10, s11) */
    .macro MAIN_BEGIN
    .text
    .balign 4
    .globl main
    .type main, @function
main:
    addi    sp, sp, -64
    sw      ra, 60(sp)
    sw      s0, 56(sp)
    sw      s1, 52(sp)
    sw      s2, 48(sp)
    sw      s3, 44(sp)
    sw      s4, 40(sp)
    sw      s5, 36(sp)
    sw      s6, 32(sp)
    sw      s7, 28(sp)
    sw      s8, 24(sp)
    sw      s9, 20(sp)
    sw      s10, 16(sp)
    sw      s11, 12(sp)
    .endm

    .macro MAIN_END
    la      a0, .Ltiming_done
    call    printf
    lw      ra, 60(sp)
    lw      s0, 56(sp)
    lw      s1, 52(sp)
    lw      s2, 48(sp)
    lw      s3, 44(sp)
    lw      s4, 40(sp)
    lw      s5, 36(sp)
    lw      s6, 32(sp)
    lw      s7, 28(sp)
    lw      s8, 24(sp)
    lw      s9, 20(sp)
    lw      s10, 16(sp)
    lw      s11, 12(sp)
    addi    sp, sp, 64
    li      a0, 0
    ret
    .size main, . - main
    .endm
/* ---- end of the timing harness ---- */

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
