# RV32I shifts: register forms use only rs2[4:0]; immediate forms 0..31.
# main returns 0 on success, else the number of the first failing check.

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
    li      t0, 0x80000001
    li      t1, 1
    sll     t2, t0, t1
    CHECK   1, t2, 0x00000002
    srl     t2, t0, t1
    CHECK   2, t2, 0x40000000
    sra     t2, t0, t1
    CHECK   3, t2, 0xc0000000
    li      t1, 33                     # masked to 1
    sll     t2, t0, t1
    CHECK   4, t2, 0x00000002
    srl     t2, t0, t1
    CHECK   5, t2, 0x40000000
    sra     t2, t0, t1
    CHECK   6, t2, 0xc0000000
    li      t1, 32                     # masked to 0
    sll     t2, t0, t1
    CHECK   7, t2, 0x80000001
    srl     t2, t0, t1
    CHECK   8, t2, 0x80000001
    sra     t2, t0, t1
    CHECK   9, t2, 0x80000001
    li      t1, 31
    sra     t2, t0, t1
    CHECK   10, t2, 0xffffffff
    srl     t2, t0, t1
    CHECK   11, t2, 0x00000001
    sll     t2, t0, t1
    CHECK   12, t2, 0x80000000
    li      t1, -1                     # 0xffffffff -> 31
    srl     t2, t0, t1
    CHECK   13, t2, 0x00000001
    li      t1, 0x1e4                  # 484 & 31 = 4
    li      t0, 1
    sll     t2, t0, t1
    CHECK   14, t2, 0x00000010
    li      t0, 0x7ffffff0
    li      t1, 4
    sra     t2, t0, t1
    CHECK   15, t2, 0x07ffffff         # positive: zeros shifted in
    # ---- immediate forms ----
    li      t0, 0x12345678
    slli    t2, t0, 4
    CHECK   16, t2, 0x23456780
    li      t0, 0x87654321
    srli    t2, t0, 8
    CHECK   17, t2, 0x00876543
    srai    t2, t0, 8
    CHECK   18, t2, 0xff876543
    srai    t2, t0, 0
    CHECK   19, t2, 0x87654321
    li      t0, 1
    slli    t2, t0, 31
    CHECK   20, t2, 0x80000000
    li      t0, 0x80000000
    srli    t2, t0, 31
    CHECK   21, t2, 0x00000001
    srai    t2, t0, 31
    CHECK   22, t2, 0xffffffff
    li      t0, 0x40000000
    srai    t2, t0, 30
    CHECK   23, t2, 0x00000001

    li      a0, 0
    ret
    .size main, . - main
