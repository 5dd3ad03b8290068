/*
 * timing_jump_align.S -- core timing micro-tests: jumps and taken branches whose target is a
 * 32-bit instruction at a non-word-aligned address.
 *
 * Rule (docs/cluster.md table): +1 for a jump or taken branch to a 32-bit instruction at a
 * non-word-aligned address.  Sources (S1, CV32E40P pipeline.rst table):
 *   "Jump whose target is a non-word-aligned 32-bit (non-RVC) instruction: 3" (jal/jalr 2 + 1)
 *   "Branch taken to a non-word-aligned 32-bit target: 4" (taken branch 3 + 1)
 * and S1 has no other alignment row: the only alignment cost is that +1 -- no penalty for a 16-bit target at any address,
 * for a 32-bit instruction reached in straight-line code at a non-word-aligned address, or for
 * a branch instruction that itself sits at a non-word-aligned address.
 *
 * Layout: the file is .option norvc (no surprise compression); `.2byte 0x0001` is a c.nop
 * (16-bit) placed by hand to shift the next instruction by 2 bytes.  Each repetition below is
 * a whole number of words long, so every repetition starts word aligned (checked on the
 * disassembly: `iss disasm`).
 */
#include "timing_harness.inc"   /* TSTART/TEND, MAIN_BEGIN/MAIN_END, timing_report */

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
