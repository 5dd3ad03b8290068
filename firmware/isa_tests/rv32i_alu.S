# RV32I register-register / register-immediate ALU, LUI, AUIPC.
# main returns 0 on success, else the number of the first failing check.
# Expected values are derived by hand and written as literals.

    .macro CHECK num, reg, expected
    li      t6, \expected
    beq     \reg, t6, .Lok\@
    li      a0, \num
    ret
.Lok\@:
    .endm

    .text
    .globl main
    .type main, @function
main:
    # ---- add ----
    li      t0, 0x7fffffff
    li      t1, 1
    add     t2, t0, t1
    CHECK   1, t2, 0x80000000          # signed overflow wraps
    li      t0, 0xffffffff
    add     t2, t0, t1
    CHECK   2, t2, 0                   # unsigned wrap
    li      t0, 5
    li      t1, -3
    add     t2, t0, t1
    CHECK   3, t2, 2
    # ---- sub ----
    li      t0, 0
    li      t1, 1
    sub     t2, t0, t1
    CHECK   4, t2, 0xffffffff
    li      t0, 0x80000000
    sub     t2, t0, t1
    CHECK   5, t2, 0x7fffffff          # INT_MIN - 1 wraps
    # ---- and / or / xor ----
    li      t0, 0xff00ff00
    li      t1, 0x0ff00ff0
    and     t2, t0, t1
    CHECK   6, t2, 0x0f000f00
    or      t2, t0, t1
    CHECK   7, t2, 0xfff0fff0
    xor     t2, t0, t1
    CHECK   8, t2, 0xf0f0f0f0
    # ---- slt / sltu ----
    li      t0, -1
    li      t1, 1
    slt     t2, t0, t1
    CHECK   9, t2, 1                   # -1 < 1 signed
    slt     t2, t1, t0
    CHECK   10, t2, 0
    sltu    t2, t0, t1
    CHECK   11, t2, 0                  # 0xffffffff < 1 unsigned: no
    sltu    t2, t1, t0
    CHECK   12, t2, 1
    li      t0, 5
    li      t1, 5
    slt     t2, t0, t1
    CHECK   13, t2, 0                  # equal
    li      t0, 0x80000000
    li      t1, 0x7fffffff
    slt     t2, t0, t1
    CHECK   14, t2, 1                  # INT_MIN < INT_MAX
    sltu    t2, t0, t1
    CHECK   15, t2, 0
    # ---- addi ----
    li      t0, 0x7fffffff
    addi    t2, t0, 1
    CHECK   16, t2, 0x80000000
    li      t0, 0
    addi    t2, t0, -2048
    CHECK   17, t2, 0xfffff800
    li      t0, 10
    addi    t2, t0, 2047
    CHECK   18, t2, 0x809
    # ---- andi / ori / xori (12-bit immediates are sign-extended) ----
    li      t0, 0x12345678
    andi    t2, t0, 0x7ff
    CHECK   19, t2, 0x678
    andi    t2, t0, -16
    CHECK   20, t2, 0x12345670
    ori     t2, t0, 0x0f0
    CHECK   21, t2, 0x123456f8
    ori     t2, t0, -2048
    CHECK   22, t2, 0xfffffe78
    xori    t2, t0, -1
    CHECK   23, t2, 0xedcba987
    xori    t2, t0, 0x0ff
    CHECK   24, t2, 0x12345687
    # ---- slti / sltiu ----
    li      t0, -5
    slti    t2, t0, -4
    CHECK   25, t2, 1
    li      t0, 0
    slti    t2, t0, -1
    CHECK   26, t2, 0
    li      t0, 5
    sltiu   t2, t0, -1                 # imm -> 0xffffffff unsigned
    CHECK   27, t2, 1
    li      t0, 0xffffffff
    sltiu   t2, t0, 5
    CHECK   28, t2, 0
    li      t0, 0
    sltiu   t2, t0, 1                  # seqz
    CHECK   29, t2, 1
    # ---- lui ----
    lui     t2, 0xfffff
    CHECK   30, t2, 0xfffff000
    lui     t2, 0x80000
    CHECK   31, t2, 0x80000000
    lui     t2, 0x12345
    CHECK   32, t2, 0x12345000
    # ---- auipc (relative to its own pc, obtained with jal) ----
    jal     t1, .Lpc1
.Lpc1:
    auipc   t0, 0
    sub     t2, t0, t1
    CHECK   33, t2, 0
    jal     t1, .Lpc2
.Lpc2:
    auipc   t0, 1
    sub     t2, t0, t1
    CHECK   34, t2, 0x1000
    jal     t1, .Lpc3
.Lpc3:
    auipc   t0, 0x80000
    sub     t2, t0, t1
    CHECK   35, t2, 0x80000000
    # ---- writes to x0 are discarded ----
    li      t0, 7
    add     x0, t0, t0
    addi    x0, x0, 5
    mv      t2, x0
    CHECK   36, t2, 0

    li      a0, 0
    ret
    .size main, . - main
