# RV32I jal/jalr: link values, offsets, jalr clearing bit 0, rd == rs1.
# main returns 0 on success, else the number of the first failing check.
# Link values are checked relative to the address of the jump (literal +4).

    .macro CHECK num, reg, expected
    li      t6, \expected
    beq     \reg, t6, .Lok\@
    li      a0, \num
    j       .Lfail
.Lok\@:
    .endm

    .option norelax
    .text
    .globl main
    .type main, @function
main:
    mv      t5, ra                     # keep main's return address

    # 1: jal rd=t0 links pc+4
.Ls1:
    jal     t0, .Lt1
    li      a0, 1
    j       .Lfail
.Lt1:
    la      t1, .Ls1
    sub     t2, t0, t1
    CHECK   2, t2, 4

    # 3: jal x0 (plain jump) skips code
    j       .Lt3
    li      a0, 3
    j       .Lfail
.Lt3:

    # 4: jalr rd=t0, rs1=t1, offset 0
    la      t1, .Lt4
.Ls4:
    jalr    t0, 0(t1)
    li      a0, 4
    j       .Lfail
.Lt4:
    la      t1, .Ls4
    sub     t2, t0, t1
    CHECK   5, t2, 4

    # 6: jalr with positive offset
    la      t1, .Lt6
    addi    t1, t1, -8
    jalr    t0, 8(t1)
    li      a0, 6
    j       .Lfail
.Lt6:

    # 7: jalr with negative offset
    la      t1, .Lt7
    addi    t1, t1, 16
    jalr    t0, -16(t1)
    li      a0, 7
    j       .Lfail
.Lt7:

    # 8: jalr clears bit 0 of the target (odd base)
    la      t1, .Lt8
    addi    t1, t1, 1
    jalr    t0, 0(t1)
    li      a0, 8
    j       .Lfail
.Lt8:

    # 9: jalr clears bit 0 of the target (odd offset)
    la      t1, .Lt9
    jalr    t0, 1(t1)
    li      a0, 9
    j       .Lfail
.Lt9:

    # 10: jalr with rd == rs1: target uses the old value, rd gets pc+4
    la      t0, .Lt10
.Ls10:
    jalr    t0, 0(t0)
    li      a0, 10
    j       .Lfail
.Lt10:
    la      t1, .Ls10
    sub     t2, t0, t1
    CHECK   11, t2, 4

    # 12: call / return through ra, nested
    li      a1, 0
    jal     ra, .Ladd7
    CHECK   12, a1, 7
    jal     ra, .Ladd7twice
    CHECK   13, a1, 21

    # 14: jalr x0 (no link) does not write x0
    la      t1, .Lt14
    jalr    x0, 0(t1)
    li      a0, 14
    j       .Lfail
.Lt14:
    mv      t2, x0
    CHECK   15, t2, 0

    # 16: backward jal
    li      a2, 0
    j       .Lfwd16
.Lback16:
    addi    a2, a2, 1
    j       .Ldone16
.Lfwd16:
    jal     x0, .Lback16
.Ldone16:
    CHECK   16, a2, 1

    li      a0, 0
.Lfail:
    mv      ra, t5
    ret

.Ladd7:
    addi    a1, a1, 7
    jalr    x0, 0(ra)

.Ladd7twice:
    mv      t4, ra
    jal     ra, .Ladd7
    jal     ra, .Ladd7
    jr      t4
    .size main, . - main
