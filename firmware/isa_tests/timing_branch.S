/*
 * timing_branch.S -- core timing micro-tests: conditional branches, jal, jalr.
 *
 * Rules (docs/cluster.md table; source ids Sn: timing_harness.inc):
 *   branch not taken: 1; taken: 3                  S1 "Branch not taken 1",
 *                                                  "Branch taken 3" (S1); S6 calibration 128
 *                                                  taken beq = 387 cyc; S7 +2 also for
 *                                                  p.beqimm/p.bneimm (cv.beqimm/cv.bneimm)
 *   jal, jalr: 2                                   S1 "Jump (jal, jalr) 2"
 *   jalr whose rs1 is written by the previous instruction: +1 (3 in all)
 *                                                  S1 Hazards "jalr data hazard"
 *                                                  (S1); S6 calibration auipc+addi+jalr = 5
 *   "written by" means the previous instruction has a destination register: a store whose
 *   immediate bits [11:7] equal rs1's number writes nothing (CV32E40P id_stage.sv: the
 *   hazard needs regfile_we of the instruction in EX).
 * All code here is 32-bit (.option norvc), so every jump/branch target is word aligned
 * (misaligned targets: timing_jump_align.S).  Taken branches in .rept blocks jump to the
 * next instruction (label 1 of the same repetition).
 */
#include "timing_harness.inc"   /* TSTART/TEND, MAIN_BEGIN/MAIN_END, timing_report */

    MAIN_BEGIN

    /* 1. 16 not-taken conditional branches (all six kinds; a0 = 1, a1 = 2):
     *    4 + 16 x 1 = 20 */
    li      a0, 1
    li      a1, 2
    TSTART
    .rept 2
    beq     a0, a1, .Lbranch_fail
    bne     a0, a0, .Lbranch_fail
    blt     a1, a0, .Lbranch_fail
    bge     a0, a1, .Lbranch_fail
    bltu    a1, a0, .Lbranch_fail
    bgeu    a0, a1, .Lbranch_fail
    beq     zero, a0, .Lbranch_fail
    bne     a1, a1, .Lbranch_fail
    .endr
    TEND branch_not_taken_16, 20

    /* 2. 16 taken conditional branches to the next instruction (all six kinds):
     *    4 + 16 x 3 = 52.  "Taken" is the branch condition, not "target != pc + 4": the
     *    CV32E40P flushes IF/ID on branch_taken_ex whatever the target (S1 "Branch taken 3",
     *    resolved in EX), and GVSoC charges stall_taken_branch_account whenever the
     *    condition holds (S7).  Section 3 takes the same branches over a skipped instruction. */
    li      a0, 1
    li      a1, 2
    TSTART
    .rept 2
    beq     a0, a0, 1f
1:  bne     a0, a1, 1f
1:  blt     a0, a1, 1f
1:  bge     a1, a0, 1f
1:  bltu    a0, a1, 1f
1:  bgeu    a1, a0, 1f
1:  beq     zero, zero, 1f
1:  bne     zero, a0, 1f
1:
    .endr
    TEND branch_taken_16, 52

    /* 3. Taken branch over one instruction (the skipped addi is not executed):
     *    4 + 8 x 3 = 28 */
    li      a5, 0
    TSTART
    .rept 8
    beq     zero, zero, 1f
    addi    a5, a5, 1
1:
    .endr
    TEND branch_taken_skip_8, 28

    /* 4. A counted loop with a backward branch: li (1) + 8 x addi (1) + 7 taken bnez (3)
     *    + 1 not-taken bnez (1) = 1 + 8 + 21 + 1 = 31 -> 4 + 31 = 35 */
    TSTART
    li      t2, 8
1:  addi    t2, t2, -1
    bnez    t2, 1b
    TEND branch_loop_8, 35

    /* 5. cv.beqimm / cv.bneimm taken to the next instruction (a0 = 5): 4 + 8 x 3 = 28 */
    li      a0, 5
    TSTART
    .rept 4
    cv.beqimm a0, 5, 1f
1:  cv.bneimm a0, 3, 1f
1:
    .endr
    TEND cv_branch_imm_taken_8, 28

    /* 5b. cv.beqimm / cv.bneimm taken over one skipped instruction (a0 = 5):
     *     4 + 8 x 3 = 28 */
    li      a0, 5
    TSTART
    .rept 4
    cv.beqimm a0, 5, 1f
    addi    a5, a5, 1
1:  cv.bneimm a0, 3, 1f
    addi    a5, a5, 1
1:
    .endr
    TEND cv_branch_imm_taken_skip_8, 28

    /* 6. cv.beqimm / cv.bneimm not taken (a0 = 5): 4 + 8 x 1 = 12 */
    li      a0, 5
    TSTART
    .rept 4
    cv.beqimm a0, 4, .Lbranch_fail
    cv.bneimm a0, 5, .Lbranch_fail
    .endr
    TEND cv_branch_imm_not_taken_8, 12

    /* 7. 16 jal x0 to the next instruction: 4 + 16 x 2 = 36 */
    TSTART
    .rept 16
    jal     zero, 1f
1:
    .endr
    TEND jal_16, 36

    /* 8. 8 jal ra (link) to the next instruction: 4 + 8 x 2 = 20 */
    TSTART
    .rept 8
    jal     ra, 1f
1:
    .endr
    TEND jal_link_8, 20

    /* 9. 16 jalr x0, off(a3) to the next instruction; a3 (the address of the first jalr)
     *    is set before the region, so no jalr reads a register written just before it:
     *    4 + 16 x 2 = 36 */
    la      a3, .Ljalr16_base
    TSTART
.Ljalr16_base:
    .set    .Ljoff, 4
    .rept 16
    jalr    zero, .Ljoff(a3)
    .set    .Ljoff, .Ljoff + 4
    .endr
    TEND jalr_16, 36

    /* 10. jalr right after the auipc that computes its rs1: auipc (1) + jalr (2 + 1):
     *     4 + 16 x 4 = 68 */
    TSTART
    .rept 16
    auipc   a3, 0
    jalr    zero, 8(a3)
    .endr
    TEND jalr_after_producer_16, 68

    /* 11. The S6 calibration trio: auipc, addi a3 (rs1 of jalr), jalr: 1 + 1 + 3 = 5:
     *     4 + 8 x 5 = 44 */
    TSTART
    .rept 8
    auipc   a3, 0
    addi    a3, a3, 12
    jalr    zero, 0(a3)
    .endr
    TEND jalr_trio_calibration_8, 44

    /* 12. An independent instruction between the producer and the jalr: no hazard:
     *     1 + 1 + 2 = 4 per trio: 4 + 8 x 4 = 36 */
    TSTART
    .rept 8
    auipc   a3, 0
    addi    a4, a4, 1
    jalr    zero, 12(a3)
    .endr
    TEND jalr_independent_between_8, 36

    /* 13. The previous instruction READS jalr's rs1 but writes another register: no hazard:
     *     4 + 8 x 4 = 36 */
    TSTART
    .rept 8
    auipc   a3, 0
    addi    a4, a3, 1
    jalr    zero, 12(a3)
    .endr
    TEND jalr_prev_reads_rs1_8, 36

    /* 14. The previous instruction is a store whose immediate bits [11:7] are 13 (= a3, the
     *     jalr's rs1): a store writes no register, no hazard.  sb zero, 13(s0) -> imm[4:0] = 13.
     *     auipc (1) + sb (1) + jalr (2) = 4 per trio: 4 + 8 x 4 = 36 */
    la      s0, .Ltbranch_scratch
    TSTART
    .rept 8
    auipc   a3, 0
    sb      zero, 13(s0)
    jalr    zero, 12(a3)
    .endr
    TEND jalr_after_store_phantom_rd_8, 36

    /* 15. call/return pair through jal ra / jalr ra with the return address computed long
     *     before: jal ra (2) to a function whose body is addi (1) + jalr x0, 0(ra)... here the
     *     instruction before the jalr (the addi) does not write ra: 2 + 1 + 2 = 5 per call:
     *     4 + 8 x 5 = 44 */
    TSTART
    .rept 8
    jal     ra, .Ltbranch_leaf
    .endr
    TEND call_return_8, 44

    /* 16. Load-use into a taken branch: lw (1) + load-use stall (1, bnez reads a0) + taken
     *     bnez (3) over one skipped instruction: 5 per group: 4 + 8 x 5 = 44 */
    la      s0, .Ltbranch_words
    TSTART
    .rept 8
    lw      a0, 0(s0)                      /* = 1 */
    bnez    a0, 1f
    addi    a5, a5, 1
1:
    .endr
    TEND lw_use_branch_taken_8, 44

    /* 17. Load-use into a not-taken branch: lw (1) + stall (1) + bnez (1): 4 + 8 x 3 = 28 */
    la      s0, .Ltbranch_words
    TSTART
    .rept 8
    lw      a0, 4(s0)                      /* = 0 */
    bnez    a0, .Lbranch_fail
    .endr
    TEND lw_use_branch_not_taken_8, 28

    /* 18. jalr through a register loaded just before: both rows of the table apply (load-use
     *     +1: jalr reads the loaded a3; jalr hazard +1: a3 written by the previous
     *     instruction): lw (1) + 1 + jalr (2) + 1 = 5 per pair: 4 + 8 x 5 = 44.  (The RTL
     *     agrees: CV32E40P controller raises load_stall and jr_stall while the lw is in EX,
     *     and jr_stall again while it is in WB: 2 stall cycles.) */
    la      s0, .Ltbranch_targets
    TSTART
    .irp    i, 0, 1, 2, 3, 4, 5, 6, 7
    lw      a3, (4 * \i)(s0)
    jalr    zero, 0(a3)
.Ltbranch_target\i:
    .endr
    TEND jalr_after_load_8, 44

    MAIN_END

    .balign 4
.Ltbranch_leaf:
    addi    a4, a4, 1
    jalr    zero, 0(ra)

.Lbranch_fail:
    la      a0, .Ltbranch_failmsg
    call    printf
    li      a0, 1
    call    exit

    .section .rodata.timing_branch, "a", @progbits
.Ltbranch_failmsg: .asciz "timing_branch: a branch went the wrong way\n"

    .section .l1_data, "aw", @progbits
    .balign 8
.Ltbranch_scratch:
    .space  32
.Ltbranch_words:
    .word   1, 0
.Ltbranch_targets:
    .irp    i, 0, 1, 2, 3, 4, 5, 6, 7
    .word   .Ltbranch_target\i
    .endr
