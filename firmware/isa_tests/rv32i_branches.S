# RV32I conditional branches, taken and not taken, signed vs unsigned.
# main returns 0 on success, else the number of the first failing check.

    # branch must be taken
    .macro TAKEN num, inst, a, b
    li      t0, \a
    li      t1, \b
    \inst   t0, t1, .Lt\@
    li      a0, \num
    ret
.Lt\@:
    .endm

    # branch must fall through
    .macro NOTTAKEN num, inst, a, b
    li      t0, \a
    li      t1, \b
    li      a0, \num
    \inst   t0, t1, .Lfail
    .endm

    .text
    .globl main
    .type main, @function
main:
    TAKEN     1, beq, 5, 5
    NOTTAKEN  2, beq, 5, 6
    TAKEN     3, bne, 5, 6
    NOTTAKEN  4, bne, 5, 5
    TAKEN     5, blt, -1, 1
    NOTTAKEN  6, blt, 1, -1
    NOTTAKEN  7, blt, 5, 5
    TAKEN     8, blt, 0x80000000, 0x7fffffff
    TAKEN     9, bge, 1, -1
    TAKEN    10, bge, 5, 5
    NOTTAKEN 11, bge, -1, 1
    NOTTAKEN 12, bge, 0x80000000, 0x7fffffff
    TAKEN    13, bltu, 1, 0xffffffff
    NOTTAKEN 14, bltu, 0xffffffff, 1
    NOTTAKEN 15, bltu, 5, 5
    TAKEN    16, bltu, 0x7fffffff, 0x80000000
    TAKEN    17, bgeu, 0xffffffff, 1
    TAKEN    18, bgeu, 5, 5
    NOTTAKEN 19, bgeu, 1, 0xffffffff
    NOTTAKEN 20, bgeu, 0x7fffffff, 0x80000000
    TAKEN    21, blt, -2, -1
    NOTTAKEN 22, bltu, -1, -2

    # x0 operands
    li      a0, 23
    bne     x0, x0, .Lfail
    beq     x0, x0, 1f
    j       .Lfail
1:
    # backward taken branch: loop 3 times
    li      t0, 3
    li      t1, 0
2:  addi    t1, t1, 10
    addi    t0, t0, -1
    bne     t0, x0, 2b
    li      t2, 30
    li      a0, 24
    bne     t1, t2, .Lfail
    # forward branch over a block, then a far-ish branch
    li      a0, 25
    li      t0, 1
    bge     t0, x0, 3f
    .rept 200
    nop
    .endr
    j       .Lfail
3:
    li      a0, 0
.Lfail:
    ret
    .size main, . - main
