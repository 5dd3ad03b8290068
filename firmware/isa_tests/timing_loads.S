/*
 * timing_loads.S -- core timing micro-tests: loads, stores and the load-use hazard.
 *
 * Rules (docs/cluster.md table; source ids Sn: timing_harness.inc):
 *   aligned load / store: 1 cycle                  S1 "Load/Store, aligned 1";
 *                                                  S6 calibration: pipelined independent loads 1/cycle
 *   load-use: +1 when the NEXT instruction reads the loaded register (as rs1, rs2, as the
 *   data of a store, or as rD when it accumulates into it: mac, sdot*, ...)                                S1 Hazards "Load-use: 1-cycle";
 *                                                  S6 calibration: lw + dependent addi = 3 cycles
 *   no stall when an independent instruction sits in between
 *                                                  S1 Hazards "All penalties disappear..."
 *   "reads" means the instruction really uses the register: CV32E40P id_stage.sv
 *   (reg_d_ex_is_reg_a_id = waddr_ex == raddr_a && rega_used && raddr_a != x0, same for b/c).
 *   So no stall when an immediate/upper-immediate field merely has the register's number in
 *   the rs1/rs2 bit positions (lui a1, 0x50 has bits[19:15] = 10 = a0; addi a1, a3, 10 has
 *   bits[24:20] = 10).  The next instruction that only WRITES the loaded register through
 *   the ALU port stalls as well (cv32e40p_controller.sv load_stall: regfile_waddr_ex ==
 *   regfile_alu_waddr_id): section 8.
 *   Post-increment cv.lw: 1 cycle; the updated pointer is forwarded from EX (no stall for a
 *   following load through the same pointer); the loaded rd has the normal load-use stall.
 *                                                  S1/S2 list no extra cycle for them [I]
 * Data: an L1 (TCDM) buffer; aligned accesses only (misaligned: timing_misaligned.S).
 */
#include "timing_harness.inc"   /* TSTART/TEND, MAIN_BEGIN/MAIN_END, timing_report */

    .section .l1_data, "aw", @progbits
    .balign 8
tbuf_self:                          /* a word that holds its own address (pointer chase) */
    .word   tbuf_self
    .word   0
tbuf:
    .rept 64
    .word   0x01020304
    .endr

    MAIN_BEGIN

    /* s0 = tbuf and s1 = 7 for the whole program (a* / t* registers do not survive the
     * printf of each TEND) */
    la      s0, tbuf
    li      s1, 7

    /* 1. 16 independent aligned loads (each next lw reads s0, not a0): 4 + 16 x 1 = 20 */
    TSTART
    .rept 16
    lw      a0, 0(s0)
    .endr
    TEND lw_independent_16, 20

    /* 2. 16 aligned stores: 4 + 16 x 1 = 20 */
    TSTART
    .rept 16
    sw      s1, 4(s0)
    .endr
    TEND sw_16, 20

    /* 3. lw + dependent addi (rs1): 4 + 16 x (1 + 1 + 1) = 52 */
    TSTART
    .rept 16
    lw      a0, 0(s0)
    addi    a1, a0, 1
    .endr
    TEND lw_use_rs1_16, 52

    /* 4. lw + dependent add reading it as rs2: 4 + 8 x (1 + 1 + 1) = 28 */
    TSTART
    .rept 8
    lw      a0, 0(s0)
    add     a1, s1, a0
    .endr
    TEND lw_use_rs2_8, 28

    /* 5. lw + store of the loaded value (store data = rs2): 4 + 8 x (1 + 1 + 1) = 28 */
    TSTART
    .rept 8
    lw      a0, 0(s0)
    sw      a0, 8(s0)
    .endr
    TEND lw_use_store_data_8, 28

    /* 6. Pointer chase: lw a4, 0(a4) where the word holds its own address; each lw reads
     *    the register the previous one loaded, except the first (after csrr).
     *    16 loads + 15 stalls = 31 -> 4 + 31 = 35 */
    la      a4, tbuf_self
    TSTART
    .rept 16
    lw      a4, 0(a4)
    .endr
    TEND lw_pointer_chase_16, 35

    /* 7. lw, independent addi, then the dependent addi: no stall.
     *    4 + 16 x 3 = 52 */
    TSTART
    .rept 16
    lw      a0, 0(s0)
    addi    a1, s1, 1
    addi    a5, a0, 1
    .endr
    TEND lw_indep_between_16, 52

    /* 8. The next instruction only writes the loaded register: it stalls too. The load
     *    writes a0 from the LSU in WB, the addi from the ALU in EX; the controller holds
     *    the addi in ID while the load is in EX (CV32E40P cv32e40p_controller.sv,
     *    load_stall: regfile_waddr_ex == regfile_alu_waddr_id while decoding an
     *    instruction that writes through the ALU port).  4 + 8 x (1 + 1 + 1) = 28 */
    TSTART
    .rept 8
    lw      a0, 0(s0)
    addi    a0, zero, 5
    .endr
    TEND lw_then_overwrite_8, 28

    /* 9. lui whose immediate bits [19:15] equal the loaded register (lui a1, 0x50: bits
     *    [19:15] = 0x50 >> 3 = 10 = a0).  lui reads no register: no stall.
     *    4 + 8 x 2 = 20 */
    TSTART
    .rept 8
    lw      a0, 0(s0)
    lui     a1, 0x50
    .endr
    TEND lw_then_lui_phantom_rs1_8, 20

    /* 10. addi whose immediate bits [24:20] equal the loaded register (addi a1, s1, 10:
     *     imm[4:0] = 10 = a0).  addi has no rs2: no stall.  4 + 8 x 2 = 20 */
    TSTART
    .rept 8
    lw      a0, 0(s0)
    addi    a1, s1, 10
    .endr
    TEND lw_then_addi_phantom_rs2_8, 20

    /* 11. Sub-word loads have the same load-use stall:
     *     (lb, lbu, lh, lhu) each + dependent addi: 4 x 4 x (1 + 1 + 1) = 48 -> 4 + 48 = 52 */
    TSTART
    .rept 4
    lb      a0, 1(s0)
    addi    a1, a0, 1
    lbu     a0, 2(s0)
    addi    a1, a0, 1
    lh      a0, 2(s0)
    addi    a1, a0, 1
    lhu     a0, 0(s0)
    addi    a1, a0, 1
    .endr
    TEND subword_load_use_16, 52

    /* 12. Post-increment loads through the same pointer: 1 each, no stall (the pointer
     *     update is forwarded from EX, S1/S2 [I]): 4 + 16 x 1 = 20 */
    la      a2, tbuf
    TSTART
    .rept 16
    cv.lw   a0, (a2), 4
    .endr
    TEND cvlw_postinc_chain_16, 20

    /* 13. Post-increment load + dependent use of the loaded rd: load-use stall as for lw.
     *     4 + 8 x (1 + 1 + 1) = 28 */
    la      a2, tbuf
    TSTART
    .rept 8
    cv.lw   a0, (a2), 4
    addi    a1, a0, 1
    .endr
    TEND cvlw_postinc_use_8, 28

    /* 14. Loads and stores from/to the stack (L1) interleaved with ALU work:
     *     (sw, lw, addi independent, add dependent) x 8 = 32 -> 4 + 32 = 36 */
    TSTART
    .rept 8
    sw      s1, 0(sp)
    lw      a0, 0(sp)
    addi    a1, s1, 1
    add     a5, a0, a1
    .endr
    TEND stack_store_load_mix_8, 36

    /* 15. lw + cv.mac accumulating into the loaded register: cv.mac reads its rD as the
     *     third operand (port c: reg_d_ex_is_reg_c_id), so the load-use stall applies.
     *     4 + 8 x (1 + 1 + 1) = 28 */
    TSTART
    .rept 8
    lw      a0, 0(s0)
    cv.mac  a0, s1, s1
    .endr
    TEND lw_use_mac_acc_8, 28

    /* 16. The same with an accumulator the load does not touch: no stall.
     *     4 + 8 x (1 + 1) = 20 */
    TSTART
    .rept 8
    lw      a1, 0(s0)
    cv.mac  a0, s1, s1
    .endr
    TEND lw_then_mac_other_acc_8, 20

    /* 17. A dot product accumulating into the loaded register (cv.sdotsp.b: rD += dot)
     *     stalls like cv.mac.  4 + 4 x (1 + 1 + 1) = 16 */
    TSTART
    .rept 4
    lw      a0, 0(s0)
    cv.sdotsp.b a0, s1, s1
    .endr
    TEND lw_use_sdot_acc_4, 16

    MAIN_END
