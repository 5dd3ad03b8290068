/*
 * crt0 for the PULP cluster simulator.
 *
 * Every core starts at _start.  Each core gets a 4 KiB stack at the top of L1
 * (core 0 topmost: sp = __l1_stack_top - core_id * __stack_size).
 * Every core points mtvec at the runtime's vectors (include/irq.h).
 * Core 0 zeroes .bss/.sbss (L2) and .l1_bss (L1), calls main(0, 0) and
 * passes its return value to exit().  The other cores call __pulp_worker_loop
 * (runtime cluster.c: sleep in the event unit until pi_cl_team_fork dispatches work;
 * the weak default below only serves builds without cluster.c).
 */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop

    csrr    t0, mhartid
    andi    t0, t0, 0x1f            /* core id */

    la      sp, __l1_stack_top
    lui     t1, %hi(__stack_size)
    addi    t1, t1, %lo(__stack_size)
    mul     t1, t1, t0
    sub     sp, sp, t1

    li      s0, 0                   /* fp = 0: clean backtrace */
    li      ra, 0

    /* every core: the runtime's vectors (below) in mtvec, vectored mode; without an
       installed handler an exception still ends the run with the simulator's report */
    la      t1, __irq_vector_table
    ori     t1, t1, 1
    csrw    mtvec, t1

    bnez    t0, .Lworker

    /* core 0: zero .sbss + .bss (L2) */
    la      t1, __bss_start
    la      t2, __bss_end
    bgeu    t1, t2, 2f
1:  sw      zero, 0(t1)
    addi    t1, t1, 4
    bltu    t1, t2, 1b
2:
    /* zero .l1_bss */
    la      t1, __l1_bss_start
    la      t2, __l1_bss_end
    bgeu    t1, t2, 4f
3:  sw      zero, 0(t1)
    addi    t1, t1, 4
    bltu    t1, t2, 3b
4:
    li      a0, 0
    li      a1, 0
    call    main
    call    exit
5:  j       5b

.Lworker:
    mv      a0, t0
    call    __pulp_worker_loop
6:  j       6b
    .size _start, . - _start

/* Default worker loop: spin forever (replaced by the cluster runtime). */
    .section .text.__pulp_worker_loop, "ax", @progbits
    .weak __pulp_worker_loop
    .type __pulp_worker_loop, @function
__pulp_worker_loop:
1:  j       1b
    .size __pulp_worker_loop, . - __pulp_worker_loop

/*
 * Trap and interrupt vectors (installed at boot on every core: mtvec = table | 1).
 * Vectored mode (RISC-V privileged spec, mtvec.MODE = 1): exceptions enter at the base,
 * interrupt line i at base + 4 * i; the base is 256-byte aligned (CV32E40P ignores
 * mtvec[7:2]).  Every entry goes to __trap_entry, which saves x1..x31 and mepc in a
 * 128-byte frame on the interrupted core's stack (frame[0] = mepc, frame[i] = x<i>),
 * calls __irq_handlers[line](), or __exception_handler(frame, mcause) for an exception,
 * then restores the frame (a handler may change it: the emulated instruction's result,
 * mepc + 4) and returns with mret.  Hardware-loop registers are not saved: a handler that
 * uses hardware loops must save them itself.  With no exception handler installed,
 * mtvec is cleared and the faulting instruction runs again: the simulator reports it as
 * if no vectors had been installed.
 */
    .section .text.__irq_vector_table, "ax", @progbits
    .balign 256
    .globl __irq_vector_table
    .type __irq_vector_table, @function
__irq_vector_table:
    .option push
    .option norvc
    .rept 32
    j       __trap_entry
    .endr
    .option pop
    .size __irq_vector_table, . - __irq_vector_table

    .section .text.__trap_entry, "ax", @progbits
    .globl __trap_entry
    .type __trap_entry, @function
__trap_entry:
    addi    sp, sp, -128
    sw      x1, 4(sp)
    sw      x5, 20(sp)
    addi    x5, sp, 128
    sw      x5, 8(sp)               /* the interrupted sp */
    sw      x3, 12(sp)
    sw      x4, 16(sp)
    sw      x6, 24(sp)
    sw      x7, 28(sp)
    sw      x8, 32(sp)
    sw      x9, 36(sp)
    sw      x10, 40(sp)
    sw      x11, 44(sp)
    sw      x12, 48(sp)
    sw      x13, 52(sp)
    sw      x14, 56(sp)
    sw      x15, 60(sp)
    sw      x16, 64(sp)
    sw      x17, 68(sp)
    sw      x18, 72(sp)
    sw      x19, 76(sp)
    sw      x20, 80(sp)
    sw      x21, 84(sp)
    sw      x22, 88(sp)
    sw      x23, 92(sp)
    sw      x24, 96(sp)
    sw      x25, 100(sp)
    sw      x26, 104(sp)
    sw      x27, 108(sp)
    sw      x28, 112(sp)
    sw      x29, 116(sp)
    sw      x30, 120(sp)
    sw      x31, 124(sp)
    csrr    t0, mepc
    sw      t0, 0(sp)
    mv      a0, sp
    csrr    a1, mcause
    bltz    a1, 2f
    /* exception */
    lw      t1, __exception_handler
    beqz    t1, 1f
    jalr    t1
    j       3f
1:  csrw    mtvec, zero             /* unhandled: fault again, without vectors */
    j       3f
2:  /* interrupt: line = mcause[4:0] */
    andi    t0, a1, 31
    slli    t0, t0, 2
    la      t1, __irq_handlers
    add     t1, t1, t0
    lw      t1, 0(t1)
    beqz    t1, 3f                  /* no handler: the request was acknowledged, go on */
    jalr    t1
3:  lw      t0, 0(sp)
    csrw    mepc, t0
    lw      x1, 4(sp)
    lw      x3, 12(sp)
    lw      x4, 16(sp)
    lw      x5, 20(sp)
    lw      x6, 24(sp)
    lw      x7, 28(sp)
    lw      x8, 32(sp)
    lw      x9, 36(sp)
    lw      x10, 40(sp)
    lw      x11, 44(sp)
    lw      x12, 48(sp)
    lw      x13, 52(sp)
    lw      x14, 56(sp)
    lw      x15, 60(sp)
    lw      x16, 64(sp)
    lw      x17, 68(sp)
    lw      x18, 72(sp)
    lw      x19, 76(sp)
    lw      x20, 80(sp)
    lw      x21, 84(sp)
    lw      x22, 88(sp)
    lw      x23, 92(sp)
    lw      x24, 96(sp)
    lw      x25, 100(sp)
    lw      x26, 104(sp)
    lw      x27, 108(sp)
    lw      x28, 112(sp)
    lw      x29, 116(sp)
    lw      x30, 120(sp)
    lw      x31, 124(sp)
    addi    sp, sp, 128
    mret
    .size __trap_entry, . - __trap_entry

    .section .bss.__irq_handlers, "aw", @nobits
    .balign 4
    .globl __irq_handlers
__irq_handlers:
    .space  4 * 32
    .globl __exception_handler
__exception_handler:
    .space  4
