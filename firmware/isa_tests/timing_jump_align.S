/*
 * timing_jump_align.S -- core timing micro-tests: jumps and taken branches whose target is a
 * 32-bit instruction at a non-word-aligned address.
 *
 * Rule (docs/cluster.md table): +1 for a jump or taken branch to a 32-bit instruction at a
 * non-word-aligned address.  Sources (../shared/reference/timing.md §1, S1 CV32E40P table):
 *   "Jump whose target is a non-word-aligned 32-bit (non-RVC) instruction: 3" (jal/jalr 2 + 1)
 *   "Branch taken to a non-word-aligned 32-bit target: 4" (taken branch 3 + 1)
 * and §2: the only alignment cost is that +1 -- no penalty for a 16-bit target at any address,
 * for a 32-bit instruction reached in straight-line code at a non-word-aligned address, or for
 * a branch instruction that itself sits at a non-word-aligned address.
 *
 * Layout: the file is .option norvc (no surprise compression); `.2byte 0x0001` is a c.nop
 * (16-bit) placed by hand to shift the next instruction by 2 bytes.  Each repetition below is
 * a whole number of words long, so every repetition starts word aligned (checked on the
 * disassembly: `iss disasm`).
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

    /* 1. jal to a misaligned 32-bit target:
     *      A: jal x0, 1f (2 + 1) | A+4: c.nop (skipped) | A+6: 1: addi (1) | A+10: c.nop (1)
     *    5 per repetition (12 bytes): 4 + 8 x 5 = 44 */
    TSTART
    .rept 8
    jal     zero, 1f
    .2byte  0x0001
1:  addi    a0, a0, 1
    .2byte  0x0001
    .endr
    TEND jal_to_misaligned_32bit_8, 44

    /* 2. Control: jal to an ALIGNED 32-bit target over two skipped c.nops:
     *      A: jal (2) | A+4, A+6: c.nop (skipped) | A+8: addi (1)
     *    3 per repetition: 4 + 8 x 3 = 28 */
    TSTART
    .rept 8
    jal     zero, 1f
    .2byte  0x0001
    .2byte  0x0001
1:  addi    a0, a0, 1
    .endr
    TEND jal_to_aligned_32bit_8, 28

    /* 3. jal to a misaligned 16-bit target: no penalty (the rule is for 32-bit targets):
     *      A: jal (2) | A+4: c.nop (skipped) | A+6: 1: c.nop (1) | A+8: addi (1)
     *    4 per repetition: 4 + 8 x 4 = 36 */
    TSTART
    .rept 8
    jal     zero, 1f
    .2byte  0x0001
1:  .2byte  0x0001
    addi    a0, a0, 1
    .endr
    TEND jal_to_misaligned_16bit_8, 36

    /* 4. jal to an aligned 16-bit target followed by a 32-bit instruction at a misaligned
     *    address (reached in straight line, not by the jump): no penalty:
     *      A: jal (2) | A+4: 1: c.nop (1) | A+6: addi (1) | A+10: c.nop (1)
     *    5 per repetition: 4 + 8 x 5 = 44 */
    TSTART
    .rept 8
    jal     zero, 1f
1:  .2byte  0x0001
    addi    a0, a0, 1
    .2byte  0x0001
    .endr
    TEND jal_to_16bit_then_misaligned_32bit_8, 44

    /* 5. Taken branch to a misaligned 32-bit target:
     *      A: beq x0, x0, 1f (3 + 1) | A+4: c.nop (skipped) | A+6: addi (1) | A+10: c.nop (1)
     *    6 per repetition: 4 + 8 x 6 = 52 */
    TSTART
    .rept 8
    beq     zero, zero, 1f
    .2byte  0x0001
1:  addi    a0, a0, 1
    .2byte  0x0001
    .endr
    TEND branch_taken_to_misaligned_32bit_8, 52

    /* 6. Not-taken branch followed by a 32-bit instruction at a misaligned address: no
     *    penalty (nothing jumps there):
     *      A: bne x0, x0 (1) | A+4: c.nop (1) | A+6: addi (1) | A+10: c.nop (1)
     *    4 per repetition: 4 + 8 x 4 = 36 */
    TSTART
    .rept 8
    bne     zero, zero, .Ljalign_fail
    .2byte  0x0001
    addi    a0, a0, 1
    .2byte  0x0001
    .endr
    TEND branch_not_taken_then_misaligned_8, 36

    /* 7. A taken branch that itself sits at a misaligned address, target aligned: no penalty:
     *      A: c.nop (1) | A+2: beq x0, x0, 1f (3) | A+6: c.nop (skipped) | A+8: addi (1)
     *    5 per repetition: 4 + 8 x 5 = 44 */
    TSTART
    .rept 8
    .2byte  0x0001
    beq     zero, zero, 1f
    .2byte  0x0001
1:  addi    a0, a0, 1
    .endr
    TEND branch_from_misaligned_to_aligned_8, 44

    /* 8. jalr to a misaligned 32-bit target; a3 = address of the first jalr, set before the
     *    region (no jalr hazard):
     *      A: jalr x0, off(a3) (2 + 1) | A+4: c.nop (skipped) | A+6: addi (1) | A+10: c.nop (1)
     *    5 per repetition (12 bytes): 4 + 8 x 5 = 44 */
    la      a3, .Ljalign_jalr_base
    TSTART
.Ljalign_jalr_base:
    .set    .Ljaoff, 6
    .rept 8
    jalr    zero, .Ljaoff(a3)
    .2byte  0x0001
    addi    a0, a0, 1
    .2byte  0x0001
    .set    .Ljaoff, .Ljaoff + 12
    .endr
    TEND jalr_to_misaligned_32bit_8, 44

    /* 9. jalr right after its producer AND to a misaligned 32-bit target: both penalties:
     *      A: auipc a3 (1) | A+4: jalr x0, 10(a3) (2 + 1 hazard + 1 misaligned) |
     *      A+8: c.nop (skipped) | A+10: addi (1) | A+14: c.nop (1)
     *    7 per repetition (16 bytes): 4 + 8 x 7 = 60 */
    TSTART
    .rept 8
    auipc   a3, 0
    jalr    zero, 10(a3)
    .2byte  0x0001
    addi    a0, a0, 1
    .2byte  0x0001
    .endr
    TEND jalr_producer_and_misaligned_8, 60

    /* 10. A loop whose head is a misaligned 32-bit instruction: entered in straight line (no
     *     penalty), then 7 taken back-edges at 3 + 1, the last bnez falls through (1):
     *       li t2 (1) | c.nop (1) | head: addi (8 x 1) | bnez (7 x 4 + 1) | c.nop (1)
     *     1 + 1 + 8 + 29 + 1 = 40 -> 4 + 40 = 44 */
    TSTART
    li      t2, 8
    .2byte  0x0001
1:  addi    t2, t2, -1
    bnez    t2, 1b
    .2byte  0x0001
    TEND loop_head_misaligned_8, 44

    MAIN_END

    .balign 4
.Ljalign_fail:
    la      a0, .Ljalign_failmsg
    call    printf
    li      a0, 1
    call    exit

    .section .rodata.timing_jump_align, "a", @progbits
.Ljalign_failmsg: .asciz "timing_jump_align: a branch went the wrong way\n"
