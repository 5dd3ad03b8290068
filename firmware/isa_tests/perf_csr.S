# Performance-counter CSRs (iss/perf.py; RI5CY riscv_cs_registers.sv, pulp-runtime archi/riscv/pcer_v2.h), both interfaces.
# main stores into `perf_results`:
#   [0] instructions counted by the CORE-V counter: mhpmevent3 = 1 << 1 (INSTR),
#       mhpmcounter3 written 0, then 10 addi, then read: the write counts itself
#       (the counter restarts before it), the read does not -> 1 + 10 = 11
#   [1] the same with mhpmevent4 = 1 << 0 (CYCLES): the csrw to mhpmcounter4 is a
#       4-cycle CSR access (CV32E40P table) -> 4 + 10 x 1 = 14
#   [2] RI5CY interface (run with --isa xpulpv2): PCER (0xCC0) = 1 << 1, PCCR1 written 0,
#       PCMR (0xCC1) = 1; 10 addi; read PCCR1 (0x781). PCMR resets to 0x3 (enabled), so
#       the counter runs from the PCCR1 write: that write + li + the PCMR write + 10 = 13
#       (under --isa corev these CSRs are the hardware-loop ones: [2] runs only with
#       --isa xpulpv2, and then only [2]: RI5CY has no mhpm* counters)
#   [3] mcountinhibit bit 3 set stops mhpmcounter3: 10 addi after inhibiting -> unchanged
    .option norvc
    .text
    .globl main
    .type main, @function
main:
    la      t6, perf_results
    lw      t0, flavour_is_ri5cy       # set by the test when it runs with --isa xpulpv2
    bnez    t0, 1f
    li      t0, 2
    csrw    0x323, t0              # mhpmevent3 = INSTR
    csrw    0xB03, zero            # mhpmcounter3 = 0
    .rept 10
    addi    t1, t1, 1
    .endr
    csrr    t2, 0xB03
    sw      t2, 0(t6)

    li      t0, 1
    csrw    0x324, t0              # mhpmevent4 = CYCLES
    csrw    0xB04, zero
    .rept 10
    addi    t1, t1, 1
    .endr
    csrr    t2, 0xB04
    sw      t2, 4(t6)

    j       2f
1:  li      t0, 2
    csrw    0xCC0, t0              # PCER = INSTR
    csrw    0x781, zero            # PCCR1 = 0
    li      t0, 1
    csrw    0xCC1, t0              # PCMR: global enable
    .rept 10
    addi    t1, t1, 1
    .endr
    csrr    t2, 0x781
    sw      t2, 8(t6)
    j       3f
2:
    li      t0, 8
    csrw    0x320, t0              # mcountinhibit: stop mhpmcounter3
    csrr    t3, 0xB03
    .rept 10
    addi    t1, t1, 1
    .endr
    csrr    t2, 0xB03
    sub     t2, t2, t3
    sw      t2, 12(t6)
3:  li      a0, 0
    ret
    .size main, . - main

    .data
    .globl perf_results, flavour_is_ri5cy
perf_results:
    .word -1, -1, -1, -1
flavour_is_ri5cy:
    .word 0
