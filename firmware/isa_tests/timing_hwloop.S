/*
 * timing_hwloop.S -- core timing micro-tests: CORE-V hardware loops.
 *
 * Rule (docs/cluster.md table): hardware-loop back-edge: 0 cycles; every instruction of the
 * body costs what it costs in straight-line code; the setup instruction(s) cost 1 (base).
 * Sources (ids: timing_harness.inc): "zero stall cycles for jumping
 * to the first instruction of a loop" (S2 corev_hw_loop.rst; S4 RI5CY manual "zero stall
 * cycles"); GVSoC iss v1: hardware-loop back-edge 0 (S7).
 * So a body of N one-cycle instructions run K times after one cv.setupi costs 1 + N x K.
 *
 * Encodings (no assembler support for XCVhwlp; CV32E40P corev_hw_loop.rst, rtl/cv32e40p_decoder.sv,
 * same as firmware/runtime/include/xpulp.h): start = setup pc + 4, end = first address
 * AFTER the body (exclusive), offsets in words from the setup instruction's pc:
 *   cv.setupi L, count, end   0x0000462b | L<<7 | count<<20 | ((end - pc) >> 2) << 15
 *   cv.setup  L, rs1, end     0x0000472b | L<<7 | rs1<<15   | ((end - pc) >> 2) << 20
 *   cv.starti L, start        0x0000402b | L<<7 | ((start - pc) >> 2) << 20
 *   cv.endi   L, end          0x0000422b | L<<7 | ((end - pc) >> 2) << 20
 *   cv.counti L, count        0x0000442b | L<<7 | count<<20
 * Body rules (CV32E40P corev_hw_loop.rst): 32-bit instructions only (the file is .option norvc), word
 * aligned, at least 3 instructions, no jumps/branches; nested: loop 1 outer, loop 0 inner,
 * outer end >= inner end + 8.
 */
#include "timing_harness.inc"   /* TSTART/TEND, MAIN_BEGIN/MAIN_END, timing_report */

    .section .l1_data, "aw", @progbits
    .balign 8
.Lthwl_word:
    .word   0x11

    MAIN_BEGIN

    /* 1. cv.setupi 0, 10 over a body of 4 addi: 1 + 4 x 10 = 41 -> 4 + 41 = 45 */
    TSTART
.Lhwl1_setup:
    .word   0x0000462b | (0 << 7) | (10 << 20) | (((.Lhwl1_end - .Lhwl1_setup) >> 2) << 15)
    addi    a0, a0, 1
    addi    a1, a1, 1
    addi    a2, a2, 1
    addi    a3, a3, 1
.Lhwl1_end:
    TEND hwloop_setupi_4x10, 45

    /* 2. count 1 (the body runs once): 1 + 3 x 1 = 4 -> 4 + 4 = 8 */
    TSTART
.Lhwl2_setup:
    .word   0x0000462b | (0 << 7) | (1 << 20) | (((.Lhwl2_end - .Lhwl2_setup) >> 2) << 15)
    addi    a0, a0, 1
    addi    a1, a1, 1
    addi    a2, a2, 1
.Lhwl2_end:
    TEND hwloop_setupi_3x1, 8

    /* 3. Many iterations, so a per-iteration error cannot hide: 1 + 3 x 100 = 301 -> 305 */
    TSTART
.Lhwl3_setup:
    .word   0x0000462b | (0 << 7) | (100 << 20) | (((.Lhwl3_end - .Lhwl3_setup) >> 2) << 15)
    addi    a0, a0, 1
    addi    a1, a1, 1
    addi    a2, a2, 1
.Lhwl3_end:
    TEND hwloop_setupi_3x100, 305

    /* 4. Register count (cv.setup 0, t6 = 25, set before the region):
     *    1 + 3 x 25 = 76 -> 4 + 76 = 80 */
    li      t6, 25
    TSTART
.Lhwl4_setup:
    .word   0x0000472b | (0 << 7) | (31 << 15) | (((.Lhwl4_end - .Lhwl4_setup) >> 2) << 20)
    addi    a0, a0, 1
    addi    a1, a1, 1
    addi    a2, a2, 1
.Lhwl4_end:
    TEND hwloop_setup_reg_3x25, 80

    /* 5. Separate cv.starti / cv.endi / cv.counti (count last: it starts the loop):
     *    3 + 4 x 5 = 23 -> 4 + 23 = 27 */
    TSTART
.Lhwl5_starti:
    .word   0x0000402b | (0 << 7) | (((.Lhwl5_start - .Lhwl5_starti) >> 2) << 20)
.Lhwl5_endi:
    .word   0x0000422b | (0 << 7) | (((.Lhwl5_end - .Lhwl5_endi) >> 2) << 20)
    .word   0x0000442b | (0 << 7) | (5 << 20)
.Lhwl5_start:
    addi    a0, a0, 1
    addi    a1, a1, 1
    addi    a2, a2, 1
    addi    a3, a3, 1
.Lhwl5_end:
    TEND hwloop_starti_endi_counti_4x5, 27

    /* 6. Nested: loop 1 (outer, 3 times) = inner setupi + inner loop 0 (4 x 3 addi) + 2 addi:
     *    1 (outer setupi) + 3 x (1 + 4 x 3 + 2) = 1 + 45 = 46 -> 4 + 46 = 50 */
    TSTART
.Lhwl6_outer:
    .word   0x0000462b | (1 << 7) | (3 << 20) | (((.Lhwl6_outer_end - .Lhwl6_outer) >> 2) << 15)
.Lhwl6_inner:
    .word   0x0000462b | (0 << 7) | (4 << 20) | (((.Lhwl6_inner_end - .Lhwl6_inner) >> 2) << 15)
    addi    a0, a0, 1
    addi    a1, a1, 1
    addi    a2, a2, 1
.Lhwl6_inner_end:
    addi    a3, a3, 1
    addi    a4, a4, 1
.Lhwl6_outer_end:
    TEND hwloop_nested_3x4x3, 50

    /* 7. Load-use inside the body: lw (1) + dependent addi (1 + 1) + addi (1) = 4 per
     *    iteration (the last body instruction does not read the loaded register):
     *    1 + 5 x 4 = 21 -> 4 + 21 = 25 */
    la      s0, .Lthwl_word
    TSTART
.Lhwl7_setup:
    .word   0x0000462b | (0 << 7) | (5 << 20) | (((.Lhwl7_end - .Lhwl7_setup) >> 2) << 15)
    lw      a0, 0(s0)
    addi    a1, a0, 1
    addi    a2, a2, 1
.Lhwl7_end:
    TEND hwloop_body_load_use_5, 25

    /* 8. mulh in the body: mulh (5) + addi (1) + addi (1) = 7 per iteration:
     *    1 + 4 x 7 = 29 -> 4 + 29 = 33 */
    li      s1, 0x12345
    li      s2, -7
    TSTART
.Lhwl8_setup:
    .word   0x0000462b | (0 << 7) | (4 << 20) | (((.Lhwl8_end - .Lhwl8_setup) >> 2) << 15)
    mulh    a0, s1, s2
    addi    a1, a1, 1
    addi    a2, a2, 1
.Lhwl8_end:
    TEND hwloop_body_mulh_4, 33

    /* 9. A divide in the body (dynamic cost every iteration): divu by 0x40000000 (3 + 1 = 4)
     *    + 2 addi = 6 per iteration: 1 + 5 x 6 = 31 -> 4 + 31 = 35 */
    li      s1, 0x7fffffff
    li      s2, 0x40000000
    TSTART
.Lhwl9_setup:
    .word   0x0000462b | (0 << 7) | (5 << 20) | (((.Lhwl9_end - .Lhwl9_setup) >> 2) << 15)
    divu    a0, s1, s2
    addi    a1, a1, 1
    addi    a2, a2, 1
.Lhwl9_end:
    TEND hwloop_body_div_5, 35

    /* 10. Load-use across the back-edge: the body ENDS with a load and STARTS with an
     *     instruction that reads it.  The instruction executed right after the lw is the loop
     *     start, so every iteration but the first pays the load-use stall: the hazard logic
     *     compares the instructions really in EX and ID (CV32E40P id_stage.sv
     *     reg_d_ex_is_reg_a_id / controller load_stall; S1 Hazards "the instruction right
     *     after a load"), and the hardware loop jump happens in IF without a bubble.
     *       setupi (1) + 5 x (addi a1, a0 (1) + addi (1) + lw (1)) + 4 stalls = 1 + 15 + 4 = 20
     *     -> 4 + 20 = 24 */
    la      s0, .Lthwl_word
    TSTART
.Lhwl10_setup:
    .word   0x0000462b | (0 << 7) | (5 << 20) | (((.Lhwl10_end - .Lhwl10_setup) >> 2) << 15)
    addi    a1, a0, 1
    addi    a2, a2, 1
    lw      a0, 0(s0)
.Lhwl10_end:
    TEND hwloop_load_use_across_backedge_5, 24

    /* 11. The mirror case: the body ends with a load, the loop start does NOT read it, and
     *     the instruction after the loop (in memory) does.  Only the last iteration is
     *     followed by that instruction, so only one stall:
     *       setupi (1) + 5 x 3 + 1 stall (loop exit) + addi a1, a0 (1) = 18 -> 4 + 18 = 22 */
    la      s0, .Lthwl_word
    TSTART
.Lhwl11_setup:
    .word   0x0000462b | (0 << 7) | (5 << 20) | (((.Lhwl11_end - .Lhwl11_setup) >> 2) << 15)
    addi    a2, a2, 1
    addi    a3, a3, 1
    lw      a0, 0(s0)
.Lhwl11_end:
    addi    a1, a0, 1
    TEND hwloop_load_then_exit_use_5, 22

    /* 12. Across the back-edge, the loop start only WRITES the loaded register (li a0, 3
     *     writes a0 through the ALU port): it stalls like a read (CV32E40P
     *     cv32e40p_controller.sv load_stall, regfile_waddr_ex == regfile_alu_waddr_id).
     *     After the loop, csrr s11 does not touch a0: no stall at the exit.
     *       setupi (1) + 5 x (li (1) + addi (1) + lw (1)) + 4 stalls = 20 -> 4 + 20 = 24 */
    la      s0, .Lthwl_word
    TSTART
.Lhwl12_setup:
    .word   0x0000462b | (0 << 7) | (5 << 20) | (((.Lhwl12_end - .Lhwl12_setup) >> 2) << 15)
    li      a0, 3
    addi    a2, a2, 1
    lw      a0, 0(s0)
.Lhwl12_end:
    TEND hwloop_load_then_overwrite_across_backedge_5, 24

    MAIN_END
