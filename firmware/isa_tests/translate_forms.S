# Every form of the custom instructions iss/shadow.py translates into plain RV32, with
# the register aliasings that change the translation (rd == rs2, rd == rs1, rs1 == rs2,
# x0), and the code around them it rewrites (auipc via la, calls and their return
# addresses, branches). Expected values are worked out by hand from the CV32E40P manual
# (post-increment: the access uses the old base; beqimm: compares with the sign-extended
# 5-bit immediate; sle: signed <=; abs of -2^31 is -2^31; clip Is2: [-2^(Is2-1), 2^(Is2-1) - 1],
# Is2 = 0: [-1, 0]; clipu: [0, 2^(Is2-1) - 1]).
# main returns 0 on success, else the number of the first failing check.

    .macro CHECK num, reg, expected
    li      t6, \expected
    beq     \reg, t6, .Lok\@
    li      a0, \num
    j       fail
.Lok\@:
    .endm

    .macro CHECK_ADDR num, reg, symbol
    la      t6, \symbol
    beq     \reg, t6, .Lok\@
    li      a0, \num
    j       fail
.Lok\@:
    .endm

    .data
    .balign 4
buf:
    .word   0x8001ff7f                 # bytes: 7f ff 01 80
    .word   0x12345678
    .word   0xdeadbeef
    .word   0x00000004

    .bss
    .balign 4
out:
    .space  16

    .text
    .globl main
    .type main, @function
main:
    addi    sp, sp, -16
    sw      ra, 12(sp)
    la      s0, buf
    # ---- post-increment loads, immediate
    mv      a1, s0
    cv.lw   a2, (a1), 4
    CHECK   1, a2, 0x8001ff7f
    sub     a3, a1, s0
    CHECK   2, a3, 4
    cv.lb   a2, (a1), -3               # byte 0x78, then a1 = buf + 1
    CHECK   3, a2, 0x78
    cv.lb   a2, (a1), 1                # byte 0xff sign-extended
    CHECK   4, a2, 0xffffffff
    cv.lbu  a2, (a1), 1                # byte 0x01 at buf + 2
    CHECK   5, a2, 0x01
    cv.lhu  a2, (a1), 2                # halfword at buf + 3: 0x7880 (little endian, misaligned)
    CHECK   6, a2, 0x7880
    cv.lh   a2, (a1), 0                # halfword at buf + 5: 0x3456
    CHECK   7, a2, 0x3456
    sub     a3, a1, s0
    CHECK   8, a3, 5
    # ---- post-increment loads, register
    mv      a1, s0
    li      a3, 8
    cv.lw   a2, (a1), a3
    CHECK   9, a2, 0x8001ff7f
    sub     a4, a1, s0
    CHECK   10, a4, 8
    li      a3, 4
    cv.lw   a3, (a1), a3               # rd == rs2: the increment is the old a3
    CHECK   11, a3, 0xdeadbeef
    sub     a4, a1, s0
    CHECK   12, a4, 12
    # ---- register-offset loads
    mv      a1, s0
    li      a3, 4
    cv.lw   a2, a3(a1)
    CHECK   13, a2, 0x12345678
    sub     a4, a1, s0
    CHECK   14, a4, 0                  # base unchanged
    CHECK   15, a3, 4
    cv.lw   a3, a3(a1)                 # rd == rs2
    CHECK   16, a3, 0x12345678
    li      a3, 12
    cv.lw   a1, a3(a1)                 # rd == rs1: a1 = buf[3] = 4
    CHECK   17, a1, 4
    la      a1, buf
    srli    a1, a1, 1                  # a1 + a1 = buf (buf is word aligned)
    cv.lbu  a2, a1(a1)                 # rs1 == rs2: address a1 + a1
    CHECK   18, a2, 0x7f
    li      a3, 9
    cv.lh   a2, a3(s0)                 # halfword at buf + 9: 0xadbe, sign-extended
    CHECK   19, a2, 0xffffadbe
    # ---- post-increment stores, immediate and register
    la      a1, out
    li      a2, 0x11223344
    cv.sw   a2, (a1), 4
    li      a2, 0x5566
    cv.sh   a2, (a1), 2
    li      a2, 0x77
    cv.sb   a2, (a1), 1
    la      a4, out
    sub     a3, a1, a4
    CHECK   20, a3, 7
    li      a3, 1
    li      a2, 0x88
    cv.sb   a2, (a1), a3
    sub     a3, a1, a4
    CHECK   21, a3, 8
    lw      a2, 0(a4)
    CHECK   22, a2, 0x11223344
    lw      a2, 4(a4)
    CHECK   23, a2, 0x88775566
    # ---- register-offset stores (address rs1 + rs3): the base register takes the address
    # and is put back; rs1 == rs2 (the stored value is the base) uses rs3 as the base
    la      a4, out
    li      a3, 8
    li      a2, 0xcafef00d
    cv.sw   a2, a3(a4)                 # out + 8
    lw      a5, 8(a4)
    CHECK   64, a5, 0xcafef00d
    CHECK_ADDR 65, a4, out             # the bases keep their values
    CHECK   66, a3, 8
    li      a3, 12
    cv.sh   a3, a3(a4)                 # rs2 == rs3: stores 12 at out + 12
    lhu     a5, 12(a4)
    CHECK   67, a5, 12
    CHECK   68, a3, 12
    li      a3, 14
    cv.sb   a4, a3(a4)                 # rs2 == rs1: the low byte of out at out + 14
    lbu     a5, 14(a4)
    andi    a6, a4, 0xff
    bne     a5, a6, 9f
    CHECK_ADDR 69, a4, out
    CHECK   70, a3, 14
    la      a3, out + 15
    li      a2, 0x5a
    cv.sb   a2, a3(zero)               # x0 base: out + 15
    lbu     a5, 15(a4)
    CHECK   71, a5, 0x5a
    srli    a3, a4, 1                  # out / 2 (out is word-aligned)
    li      a2, 0x6b
    cv.sb   a2, a3(a3)                 # rs1 == rs3: at out (left to the original code)
    lbu     a5, 0(a4)
    CHECK   72, a5, 0x6b
    slli    a5, a3, 1
    CHECK_ADDR 73, a5, out
    j       10f
9:  li      a0, 69
    j       fail
10:
    # ---- beqimm / bneimm
    li      a1, 5
    cv.beqimm a1, 5, 1f
    li      a0, 24
    j       fail
1:  CHECK   25, a1, 5                  # the compared register is unchanged
    cv.bneimm a1, 5, 2f
    cv.beqimm a1, 4, 2f
    cv.bneimm a1, -16, 3f
2:  li      a0, 26
    j       fail
3:  CHECK   27, a1, 5
    li      a1, -16
    cv.beqimm a1, -16, 4f
    li      a0, 28
    j       fail
4:  li      a1, 0
    cv.bneimm a1, 0, 2b
    cv.beqimm a1, 0, 5f
    li      a0, 29
    j       fail
5:  cv.beqimm zero, 1, 2b
    cv.bneimm zero, 0, 2b
    cv.beqimm zero, 0, 6f
    li      a0, 30
    j       fail
6:  # ---- extends
    li      a1, 0x1234f680
    cv.exths a2, a1
    CHECK   31, a2, 0xfffff680
    cv.exthz a2, a1
    CHECK   32, a2, 0x0000f680
    cv.extbs a2, a1
    CHECK   33, a2, 0xffffff80
    cv.extbz a2, a1
    CHECK   34, a2, 0x00000080
    cv.extbs a1, a1                    # rd == rs1
    CHECK   35, a1, 0xffffff80
    # ---- sle / sleu
    li      a1, -1
    li      a2, 1
    cv.sle  a3, a1, a2
    CHECK   36, a3, 1
    cv.sleu a3, a1, a2
    CHECK   37, a3, 0
    cv.sle  a3, a2, a2
    CHECK   38, a3, 1
    cv.sle  a1, a2, a1                 # rd == rs2: 1 <= -1 is false
    CHECK   39, a1, 0
    # ---- abs, min/max (signed and unsigned), clip/clipu: [-2^(Is2-1), 2^(Is2-1) - 1]
    li      a1, -5
    li      a2, 3
    cv.abs  a3, a1
    CHECK   41, a3, 5
    cv.abs  a3, a2                     # positive: itself
    CHECK   42, a3, 3
    li      a4, 0x80000000
    cv.abs  a3, a4                     # -2^31 has no positive: it stays
    CHECK   43, a3, 0x80000000
    mv      a3, a1
    cv.abs  a3, a3                     # rd == rs1
    CHECK   44, a3, 5
    cv.min  a3, a1, a2
    CHECK   45, a3, -5
    cv.minu a3, a1, a2                 # unsigned: 0xfffffffb > 3
    CHECK   46, a3, 3
    cv.max  a3, a1, a2
    CHECK   47, a3, 3
    cv.maxu a3, a1, a2
    CHECK   48, a3, -5
    mv      a3, a2
    cv.min  a3, a3, a1                 # rd == rs1: min(3, -5)
    CHECK   49, a3, -5
    li      a3, 3
    cv.max  a3, a1, a3                 # rd == rs2: max(-5, 3), rs2 wins
    CHECK   50, a3, 3
    li      a3, -7
    cv.max  a3, a2, a3                 # rd == rs2: max(3, -7), rs1 wins
    CHECK   51, a3, 3
    cv.min  a3, a2, a2                 # rs1 == rs2
    CHECK   52, a3, 3
    cv.max  zero, a1, a2               # x0: nothing changes
    CHECK   53, a1, -5
    li      a1, 200
    cv.clip a3, a1, 8                  # [-128, 127]
    CHECK   54, a3, 127
    li      a1, -200
    cv.clip a3, a1, 8
    CHECK   55, a3, -128
    cv.clipu a3, a1, 8                 # [0, 127]
    CHECK   56, a3, 0
    li      a1, 100
    cv.clip a3, a1, 8                  # inside: itself
    CHECK   57, a3, 100
    li      a1, 300
    cv.clipu a3, a1, 8
    CHECK   58, a3, 127
    li      a1, 0x7fffffff
    cv.clip a3, a1, 20                 # [-2^19, 2^19 - 1]: bounds need lui
    CHECK   59, a3, 0x7ffff
    li      a1, 0x80000000
    cv.clip a3, a1, 20
    CHECK   60, a3, 0xfff80000
    li      a1, 5
    cv.clip a3, a1, 0                  # Is2 = 0: [-1, 0]
    CHECK   61, a3, 0
    li      a1, -5
    cv.clip a3, a1, 0
    CHECK   62, a3, -1
    li      a1, 200
    cv.clip a1, a1, 8                  # rd == rs1: left to the original code
    CHECK   63, a1, 127
    # ---- calls link the original return address
    call    leaf
.Lafter_call:
    la      t1, .Lafter_call
    bne     a0, t1, 7f
    la      t2, leaf
    jalr    t2
.Lafter_jalr:
    la      t1, .Lafter_jalr
    beq     a0, t1, 8f
7:  li      a0, 40
    j       fail
8:  li      a0, 0
fail:
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret
    .size main, .-main

    .type leaf, @function
leaf:
    mv      a0, ra
    cv.extbz a1, a0                    # a custom instruction: the function is translated
    ret
    .size leaf, .-leaf
