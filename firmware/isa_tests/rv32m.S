# RV32M: mul/mulh/mulhsu/mulhu/div/divu/rem/remu, division by zero and overflow.
# main returns 0 on success, else the number of the first failing check.

    .macro CHECK num, reg, expected
    li      t6, \expected
    beq     \reg, t6, .Lok\@
    li      a0, \num
    ret
.Lok\@:
    .endm

    .macro OP num, inst, a, b, expected
    li      t0, \a
    li      t1, \b
    \inst   t2, t0, t1
    CHECK   \num, t2, \expected
    .endm

    .text
    .globl main
    .type main, @function
main:
    # ---- multiplication ----
    OP  1, mul,    7, -3,                  0xffffffeb
    OP  2, mul,    0x10000, 0x10000,       0x00000000
    OP  3, mulh,   0x10000, 0x10000,       0x00000001
    OP  4, mul,    0xffffffff, 0xffffffff, 0x00000001
    OP  5, mulhu,  0xffffffff, 0xffffffff, 0xfffffffe
    OP  6, mulh,   0xffffffff, 0xffffffff, 0x00000000   # (-1)*(-1) = 1
    OP  7, mulhsu, 0xffffffff, 0xffffffff, 0xffffffff   # (-1)*(2^32-1) = -(2^32-1)
    OP  8, mulh,   0x80000000, 0x80000000, 0x40000000   # 2^62
    OP  9, mulhu,  0x80000000, 0x80000000, 0x40000000
    OP 10, mulhsu, 0x80000000, 0x80000000, 0xc0000000   # -2^31 * 2^31 = -2^62
    OP 11, mulh,   0x80000000, 2,          0xffffffff   # -2^32
    OP 12, mul,    0x80000000, 2,          0x00000000
    OP 13, mul,    0x12345678, 0x10,       0x23456780
    OP 14, mulhu,  0x12345678, 0x10,       0x00000001
    OP 15, mulhsu, 5, 0x80000000,          0x00000002   # 5*2^31 = 0x2_8000_0000
    OP 16, mulh,   -5, 3,                  0xffffffff   # -15
    # ---- signed division / remainder (truncating) ----
    OP 17, div,    20, 6,                  3
    OP 18, div,    -20, 6,                 0xfffffffd
    OP 19, div,    20, -6,                 0xfffffffd
    OP 20, div,    -20, -6,                3
    OP 21, rem,    20, 6,                  2
    OP 22, rem,    -20, 6,                 0xfffffffe
    OP 23, rem,    20, -6,                 2
    OP 24, rem,    -20, -6,                0xfffffffe
    # ---- unsigned ----
    OP 25, divu,   0xffffffff, 2,          0x7fffffff
    OP 26, remu,   0xffffffff, 2,          1
    OP 27, divu,   -20, 6,                 0x2aaaaaa7   # 4294967276 / 6
    OP 28, remu,   -20, 6,                 2
    OP 29, divu,   0x80000000, 0xffffffff, 0
    OP 30, remu,   0x80000000, 0xffffffff, 0x80000000
    # ---- division by zero ----
    OP 31, div,    5, 0,                   0xffffffff
    OP 32, divu,   5, 0,                   0xffffffff
    OP 33, rem,    5, 0,                   5
    OP 34, remu,   5, 0,                   5
    OP 35, rem,    -5, 0,                  0xfffffffb
    OP 36, div,    0, 0,                   0xffffffff
    OP 37, remu,   0xffffffff, 0,          0xffffffff
    # ---- signed overflow INT_MIN / -1 ----
    OP 38, div,    0x80000000, -1,         0x80000000
    OP 39, rem,    0x80000000, -1,         0
    OP 40, div,    0x80000000, 1,          0x80000000
    OP 41, divu,   0x80000000, 1,          0x80000000

    li      a0, 0
    ret
    .size main, . - main
