/*
 * timing_div.S -- core timing micro-tests: the serial divider (div, divu, rem, remu).
 *
 * Rule (docs/cluster.md table): 3 + clz(divisor); divisor 0 -> 35; signed op with a negative
 * divisor: 2 + clz(~divisor) (clz(0) = 32).  The cost depends on the divisor only.
 * Sources (../shared/reference/timing.md §1 "divider formula", §4b):
 *   S1 CV32E40P pipeline.rst: 3..35 cycles, depends on the leading zeros of the divisor;
 *   S5/S6 GVSoC ri5ky model and its RTL calibration: b=0x9876 -> 19, b=1 -> 34,
 *   b=0x40000000 -> 4, b=0 -> 35;
 *   S3 RTL cv32e40p_alu.sv (read for this test): div_shift = (no_one ? 31 : clz' - 1)
 *   + (divisor negative & signed ? 0 : 1), where clz' counts on the divisor (unsigned or
 *   positive) or on ~divisor (signed, negative); cycles = shift + 3.  So: unsigned/positive
 *   d != 0: clz(d) + 3; d = 0: 32 + 3 = 35; negative d != -1: clz(~d) - 1 + 3 = clz(~d) + 2;
 *   d = -1: 31 + 3 = 34 = 2 + clz(0).  The formula of the contract agrees in every case.
 * The dynamic cost must use the divisor value at the moment the divide executes (section 19
 * changes it between divides inside one block).  A dependent instruction right after a divide
 * costs nothing extra (timing.md §1 Hazards: EX->ID forwarding of DIV results).
 * Dividend: 0x7fffffff (s1) unless said otherwise (no overflow case).
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

    /* the dividend lives in s1 (a* / t* registers do not survive the printf of each TEND);
     * every section loads its divisor into a2 (a3..a5) itself */
    li      s1, 0x7fffffff

    /* ---- unsigned ---- */
    /* 1. divu by 1: clz(1) = 31 -> 34 each: 4 + 4 x 34 = 140 */
    li      a2, 1
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_d1, 140

    /* 2. divu by 0x40000000: clz = 1 -> 4 each: 4 + 4 x 4 = 20 */
    li      a2, 0x40000000
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_d40000000, 20

    /* 3. divu by 0x9876 (16 significant bits): clz = 16 -> 19 each: 4 + 4 x 19 = 80 */
    li      a2, 0x9876
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_d9876, 80

    /* 4. divu by 0: 35 each: 4 + 4 x 35 = 144 */
    li      a2, 0
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_d0, 144

    /* 5. divu by 0x80000000: clz = 0 -> 3 each: 4 + 4 x 3 = 16 */
    li      a2, 0x80000000
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_d80000000, 16

    /* 6. divu by 0xffffffff (unsigned: no leading zero) -> 3 each: 4 + 4 x 3 = 16 */
    li      a2, -1
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_dffffffff, 16

    /* 7. divu by 1 with dividend 0: the cost does not depend on the dividend: 140 */
    li      a2, 1
    TSTART
    .rept 4
    divu    a0, zero, a2
    .endr
    TEND divu_d1_dividend0, 140

    /* ---- signed ---- */
    /* 8. div by 1: 34 each: 4 + 4 x 34 = 140 */
    li      a2, 1
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_d1, 140

    /* 9. div by 0x9876 (positive): 19 each: 4 + 4 x 19 = 80 */
    li      a2, 0x9876
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_d9876, 80

    /* 10. div by 0: 35 each: 4 + 4 x 35 = 144 */
    li      a2, 0
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_d0, 144

    /* 11. div by -1: 2 + clz(~(-1)) = 2 + clz(0) = 2 + 32 = 34 each: 4 + 4 x 34 = 140 */
    li      a2, -1
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_dm1, 140

    /* 12. div by -2: ~d = 1, clz = 31 -> 33 each: 4 + 4 x 33 = 136 */
    li      a2, -2
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_dm2, 136

    /* 13. div by -0x9876: ~d = 0x9875, clz = 16 -> 18 each: 4 + 4 x 18 = 76 */
    li      a2, -0x9876
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_dm9876, 76

    /* 14. div by 0x80000000 (most negative): ~d = 0x7fffffff, clz = 1 -> 3 each: 4 + 12 = 16 */
    li      a2, 0x80000000
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_d80000000, 16

    /* ---- remainders (same divider, same cost) ---- */
    /* 15. rem by 0x40000000: 4 each: 4 + 4 x 4 = 20 */
    li      a2, 0x40000000
    TSTART
    .rept 4
    rem     a0, s1, a2
    .endr
    TEND rem_d40000000, 20

    /* 16. remu by 0: 35 each: 4 + 4 x 35 = 144 */
    li      a2, 0
    TSTART
    .rept 4
    remu    a0, s1, a2
    .endr
    TEND remu_d0, 144

    /* 17. rem by -1: 34 each: 4 + 4 x 34 = 140 */
    li      a2, -1
    TSTART
    .rept 4
    rem     a0, s1, a2
    .endr
    TEND rem_dm1, 140

    /* 18. remu by 0x9876: 19 each: 4 + 4 x 19 = 80 */
    li      a2, 0x9876
    TSTART
    .rept 4
    remu    a0, s1, a2
    .endr
    TEND remu_d9876, 80

    /* 19. The divisor changes between divides of one straight-line block; the cost must
     *     follow the value each divide sees:
     *       addi a2 = 1 (1), div (34), lui a2 = 0x40000000 (1), div (4),
     *       addi a2 = 0 (1), divu (35), lui + addi a2 = -0x9876 (2), div (~d = 0x9875: 18)
     *     total 1 + 34 + 1 + 4 + 1 + 35 + 2 + 18 = 96 -> 4 + 96 = 100 */
    TSTART
    addi    a2, zero, 1
    div     a0, s1, a2
    lui     a2, 0x40000
    div     a0, s1, a2
    addi    a2, zero, 0
    divu    a0, s1, a2
    lui     a2, %hi(-0x9876)
    addi    a2, a2, %lo(-0x9876)
    div     a0, s1, a2
    TEND div_divisor_changes_in_block, 100

    /* 20. div followed by a dependent instruction (forwarded, no extra), divisor 0x40000000:
     *     4 + 4 x (4 + 1) = 24 */
    li      a2, 0x40000000
    TSTART
    .rept 4
    div     a0, s1, a2
    addi    a3, a0, 1
    .endr
    TEND div_then_dependent_4, 24

    /* 21. Different divisors in different registers, one block:
     *     div by 1 (34) + div by 0 (35) + divu by 0x9876 (19) + remu by 0x80000000 (3)
     *     = 91 -> 4 + 91 = 95 */
    li      a2, 1
    li      a3, 0
    li      a4, 0x9876
    li      a5, 0x80000000
    TSTART
    div     a0, s1, a2
    div     a0, s1, a3
    divu    a0, s1, a4
    remu    a0, s1, a5
    TEND div_mixed_divisors, 95

    MAIN_END
