/*
 * timing_alu.S -- core timing micro-tests: base cost of ALU and CSR instructions.
 *
 * Rules (docs/cluster.md, "Core timing model" table; source ids Sn: timing_harness.inc):
 *   base: 1 cycle per instruction                  S1 "Integer computational 1"
 *   back-to-back dependent ALU ops: no stall       S1 Hazards, "EX->ID forwarding ... 0-cycle"
 *   compressed instructions: 1 cycle, no penalty   S1 (no RVC penalty in the table)
 *   32-bit instructions at non-word-aligned addresses in straight-line code: no penalty
 *                                                  S1 (only jump/branch targets pay) [I]
 *   CSR access to mstatus/mepc/mtvec/mcause/mcycle/minstret/mcycleh/minstreth: 4;
 *   all other CSRs: 1                              S1 "CSR access ..." rows
 */
#include "timing_harness.inc"   /* TSTART/TEND, MAIN_BEGIN/MAIN_END, timing_report */

    MAIN_BEGIN

    /* 1. Two back-to-back mcycle reads: only the first csrr lies between the stamps.
     *    4 (csrr mcycle, S1 CSR row) = 4 */
    TSTART
    TEND mcycle_back_to_back, 4

    /* 2. 32 mixed RV32I ALU instructions (register-register, immediate, lui, auipc), each
     *    reading the result of the one before (forwarding, no stall).
     *    4 + 32 x 1 = 36 */
    li      a1, 3
    li      a2, 5
    TSTART
    .rept 2
    add     a0, a1, a2
    sub     a3, a0, a1
    and     a4, a3, a0
    or      a5, a4, a3
    xor     a6, a5, a4
    sll     a7, a6, a1
    srl     t0, a7, a1
    sra     t1, t0, a1
    slt     t2, t1, a0
    sltu    t3, t2, a1
    addi    t4, t3, 7
    xori    t5, t4, 3
    slli    t6, t5, 2
    srai    a0, t6, 1
    lui     a1, 0x12345
    auipc   a2, 0
    .endr
    TEND alu_mixed_32, 36

    /* 3. A chain of 32 dependent addi: 4 + 32 x 1 = 36 */
    li      a0, 0
    TSTART
    .rept 32
    addi    a0, a0, 1
    .endr
    TEND alu_dep_chain_32, 36

    /* 4. 16 compressed (16-bit) ALU instructions, 32 bytes, so the code after stays word
     *    aligned: 4 + 16 x 1 = 20 (S1: no penalty for RVC) */
    TSTART
    .option push
    .option rvc
    .rept 4
    c.addi  a0, 1
    c.mv    a1, a0
    c.add   a1, a0
    c.slli  a1, 1
    .endr
    .option pop
    TEND rvc_alu_16, 20

    /* 5. Straight-line 32-bit code at non-word-aligned addresses: a c.nop (16-bit) shifts the
     *    next 16 addi to addresses = 2 mod 4; a second c.nop realigns.  No jump lands there,
     *    so no alignment penalty: 4 + 1 + 16 x 1 + 1 = 22 */
    TSTART
    .2byte  0x0001                  /* c.nop */
    .rept 16
    addi    a0, a0, 1
    .endr
    .2byte  0x0001                  /* c.nop */
    TEND misaligned_straight_line_32bit, 22

    /* 6. CSRs outside the 4-cycle list cost 1 (S1 "CSR access, all other CSRs 1"):
     *    mhartid x 4 + mscratch x 4 = 8 -> 4 + 8 = 12 */
    TSTART
    .rept 4
    csrr    a0, mhartid
    .endr
    .rept 4
    csrr    a0, mscratch
    .endr
    TEND csr_other_8, 12

    /* 7. Counter CSRs cost 4 each (S1 CSR row: mcycle, minstret, mcycleh, minstreth):
     *    4 + 4 x 4 = 20 */
    TSTART
    csrr    a0, minstret
    csrr    a0, mcycle
    csrr    a0, mcycleh
    csrr    a0, minstreth
    TEND csr_counters_4, 20

    /* 8. Machine trap CSRs cost 4 each (S1 CSR row: mstatus, mepc, mtvec, mcause):
     *    mstatus x 2 + mepc + mtvec + mcause = 5 reads -> 4 + 5 x 4 = 24 */
    TSTART
    csrr    a0, mstatus
    csrr    a0, mstatus
    csrr    a0, mepc
    csrr    a0, mtvec
    csrr    a0, mcause
    TEND csr_trap_5, 24

    MAIN_END
