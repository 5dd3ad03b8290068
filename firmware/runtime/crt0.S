/*
 * crt0 for the PULP cluster simulator.
 *
 * Every core starts at _start.  Each core gets a 4 KiB stack at the top of L1
 * (core 0 topmost: sp = __l1_stack_top - core_id * __stack_size).
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
