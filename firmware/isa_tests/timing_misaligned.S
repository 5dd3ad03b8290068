/*
 * timing_misaligned.S -- core timing micro-tests: misaligned loads and stores.
 *
 * Rule (docs/cluster.md table and "Timing modes"): a misaligned load/store that needs two
 * bus transactions costs +1, in `--timing accurate` mode only; `--timing fast` charges the
 * static 1 cycle.  Sources (../shared/reference/timing.md): §1 "Misaligned word, or halfword
 * crossing a word boundary: 2 -- two bus transactions" (S1, S2 load_store_unit.rst); §4b S6
 * calibration "misaligned lw: 2 (fast memory)".  A halfword inside one word (address = 1 mod 4)
 * is a single transaction: 1 cycle in both modes.
 * So TEND name, E_fast, E_accurate.  Every access is to an L1 (TCDM) buffer, one core, so
 * there are no bank conflicts in accurate mode.
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

    .section .l1_data, "aw", @progbits
    .balign 8
.Ltmis_buf:
    .rept 16
    .word   0x04030201
    .endr

    MAIN_BEGIN

    la      s0, .Ltmis_buf          /* word aligned, kept in s0 across the printf calls */

    /* 1. Control: 8 aligned lw: fast 4 + 8 = 12, accurate 12 */
    TSTART
    .rept 8
    lw      a0, 4(s0)
    .endr
    TEND lw_aligned_8, 12, 12

    /* 2. 8 lw at address = 1 mod 4: fast 4 + 8 x 1 = 12; accurate 4 + 8 x 2 = 20 */
    TSTART
    .rept 8
    lw      a0, 5(s0)
    .endr
    TEND lw_misaligned_1_8, 12, 20

    /* 3. 8 lw at address = 2 mod 4: fast 12; accurate 20 */
    TSTART
    .rept 8
    lw      a0, 6(s0)
    .endr
    TEND lw_misaligned_2_8, 12, 20

    /* 4. 8 lw at address = 3 mod 4: fast 12; accurate 20 */
    TSTART
    .rept 8
    lw      a0, 7(s0)
    .endr
    TEND lw_misaligned_3_8, 12, 20

    /* 5. 8 lh crossing a word boundary (address = 3 mod 4): fast 12; accurate 20 */
    TSTART
    .rept 8
    lh      a0, 7(s0)
    .endr
    TEND lh_crossing_word_8, 12, 20

    /* 6. 8 lhu at address = 1 mod 4: misaligned but inside one word, one transaction:
     *    12 in both modes */
    TSTART
    .rept 8
    lhu     a0, 5(s0)
    .endr
    TEND lhu_inside_word_8, 12, 12

    /* 7. 8 sw at address = 1 mod 4: fast 12; accurate 20 */
    li      a1, 0x55
    TSTART
    .rept 8
    sw      a1, 9(s0)
    .endr
    TEND sw_misaligned_1_8, 12, 20

    /* 8. 8 sh crossing a word boundary (address = 3 mod 4): fast 12; accurate 20 */
    li      a1, 0x55
    TSTART
    .rept 8
    sh      a1, 11(s0)
    .endr
    TEND sh_crossing_word_8, 12, 20

    /* 9. Misaligned lw + dependent addi: the table rows add up (misaligned +1 in accurate
     *    mode, load-use +1 in both): fast 4 + 8 x (1 + 1 + 1) = 28;
     *    accurate 4 + 8 x (2 + 1 + 1) = 36 */
    TSTART
    .rept 8
    lw      a0, 5(s0)
    addi    a1, a0, 1
    .endr
    TEND lw_misaligned_use_8, 28, 36

    /* 10. Post-increment cv.lw walking a misaligned pointer (s0 + 1, step 4):
     *     fast 4 + 8 = 12; accurate 4 + 8 x 2 = 20 */
    addi    a2, s0, 1
    TSTART
    .rept 8
    cv.lw   a0, (a2), 4
    .endr
    TEND cvlw_misaligned_8, 12, 20

    MAIN_END
