/*
 * timing_odd_entry.S -- core timing micro-tests: code entered in the middle of what the linear
 * decode of the code (from its first byte) takes for a 32-bit instruction.
 *
 * `.2byte 0x0013` is the low half of a 32-bit instruction (bits [1:0] = 3): decoding linearly,
 * it swallows the next halfword, so the label right after it (reached only by jumps) is the
 * second half of a 32-bit instruction for the linear decode, while execution decodes from
 * there.  Each section then runs instructions whose halfwords the linear decode groups
 * differently.  Every instruction counts and costs what the rules say however the code is
 * entered (docs/cluster.md table; CV32E40P manual pipeline.rst):
 * 1 per instruction, load-use +1, jal/jalr 2, taken branch 3, +1 for a jump or taken branch
 * to a 32-bit instruction at a non-word-aligned address.
 *
 * Every section starts word aligned (`.balign 4`, checked on `iss disasm`); X is the address
 * of its `.2byte 0x0013`.  The c.* instructions are assembled under `.option rvc` (RVC_ON), the
 * rest stays 32-bit.
 */
#include "timing_harness.inc"   /* TSTART/TEND, MAIN_BEGIN/MAIN_END, timing_report */

    .macro RVC_ON
    .option push
    .option rvc
    .endm
    .macro RVC_OFF
    .option pop
    .endm

    MAIN_BEGIN

    /* 1. A loop entered at a mid halfword: X+2: c.addi a0, -1 (the linear decode's 32-bit
     *    instruction at X is 0x0013 + this halfword), X+4: c.bnez a0 back to X+2 (a linear
     *    start again).  jr (2; rs1 not written by the csrr before it; 16-bit target: no +1)
     *    + 8 x c.addi (8) + 7 taken c.bnez (21) + 1 not taken (1) = 32 -> 4 + 32 = 36 */
    li      a0, 8
    la      t0, 1f
    TSTART
    jr      t0
    .balign 4
    .2byte  0x0013
    RVC_ON
1:  c.addi  a0, -1
    c.bnez  a0, 1b
    RVC_OFF
    TEND odd_entry_loop_8, 36

    /* 2. A 32-bit load at a mid halfword whose second half the linear decode takes for a
     *    16-bit instruction (lw a1, 0(sp) = 0x00012583: X+4 = 0x0001, c.nop), then c.mv
     *    reading the loaded register (a linear start again): jr (2) + 32-bit target at X+2
     *    (+1) + lw (1) + load-use (+1) + c.mv (1) = 6 -> 4 + 6 = 10 */
    la      t0, 1f
    TSTART
    jr      t0
    .balign 4
    .2byte  0x0013
1:  lw      a1, 0(sp)
    RVC_ON
    c.mv    a2, a1
    RVC_OFF
    TEND odd_entry_load_use, 10

    /* 3. A loop of two 32-bit instructions at mid halfwords, ending on a branch whose end the
     *    linear decode takes for the end of another instruction: X+2: addi a5, a5, -1
     *    (0xfff78793; its high half 0xfff7 starts a 32-bit instruction for the linear
     *    decode, X+4..X+7), X+6: bne zero, a5, X+2 (0xfef01ee3; its high half 0xfef0 is a
     *    16-bit instruction for the linear decode, X+8..X+9, which ends where the bne
     *    ends).  a5 = 4: jr (2) + 32-bit target at X+2 (+1) + 4 x addi (4) + 3 taken bne
     *    to the 32-bit addi at X+2 (3 x (3 + 1)) + 1 not taken (1) = 20 -> 4 + 20 = 24 */
    li      a5, 4
    la      t0, 1f
    TSTART
    jr      t0
    .balign 4
    .2byte  0x0013
1:  addi    a5, a5, -1
    bne     zero, a5, 1b
    TEND odd_entry_branch_loop_4, 24

    /* 4. A 16-bit jump at a mid halfword (X+2: c.j to X+6), to a 32-bit instruction at a
     *    non-word-aligned address; the linear decode's instruction ending where the c.j ends
     *    (X+4) is the 32-bit one at X: jr (2) + c.j (2) + 32-bit target at X+6 (+1) + addi (1)
     *    = 6 -> 4 + 6 = 10 */
    la      t0, 1f
    TSTART
    jr      t0
    .balign 4
    .2byte  0x0013
    RVC_ON
1:  c.j     2f
    RVC_OFF
    .2byte  0x0001
2:  addi    a0, a0, 1
    TEND odd_entry_jump_misaligned, 10

    MAIN_END
