# RV32C: explicit compressed encodings (c.* mnemonics under .option rvc).
# main returns 0 on success, else the number of the first failing check.

    .macro CHECK num, reg, expected
    li      t6, \expected
    beq     \reg, t6, .Lok\@
    li      a0, \num
    j       .Lfail
.Lok\@:
    .endm

    .bss
    .balign 4
scratch:
    .space  16

    .text
    .option rvc
    .option norelax
    .globl main
    .type main, @function
main:
    mv      t5, ra                     # c.jal / c.jalr clobber ra
    # ---- c.li / c.addi ----
    c.li    a0, -32
    CHECK   1, a0, 0xffffffe0
    c.li    a1, 31
    CHECK   2, a1, 31
    c.addi  a1, -1
    CHECK   3, a1, 30
    c.addi  a1, 31
    CHECK   4, a1, 61
    # ---- c.lui ----
    c.lui   a2, 1
    CHECK   5, a2, 0x00001000
    c.lui   a2, 0xfffff
    CHECK   6, a2, 0xfffff000
    c.lui   a2, 0xfffe0
    CHECK   7, a2, 0xfffe0000
    c.lui   a2, 31
    CHECK   8, a2, 0x0001f000
    # ---- c.mv / c.add ----
    c.mv    a3, a2
    CHECK   9, a3, 0x0001f000
    c.li    a3, 5
    c.li    a4, 7
    c.add   a3, a4
    CHECK   10, a3, 12
    # ---- c.sub / c.and / c.or / c.xor (x8..x15) ----
    c.li    a5, 10
    c.sub   a5, a4
    CHECK   11, a5, 3
    c.li    a4, 12
    c.li    a5, 10
    c.and   a5, a4
    CHECK   12, a5, 8
    c.li    a5, 10
    c.or    a5, a4
    CHECK   13, a5, 14
    c.li    a5, 10
    c.xor   a5, a4
    CHECK   14, a5, 6
    c.li    a5, -1
    c.sub   a5, a4
    CHECK   15, a5, 0xfffffff3         # -1 - 12 = -13
    # ---- c.andi ----
    c.li    a5, 31
    c.andi  a5, -4
    CHECK   16, a5, 28
    c.andi  a5, 5
    CHECK   17, a5, 4
    # ---- c.srli / c.srai / c.slli ----
    lui     a5, 0x80000
    c.srli  a5, 4
    CHECK   18, a5, 0x08000000
    lui     a5, 0x80000
    c.srai  a5, 4
    CHECK   19, a5, 0xf8000000
    c.li    a5, 1
    c.slli  a5, 31
    CHECK   20, a5, 0x80000000
    c.li    t0, 3
    c.slli  t0, 4
    CHECK   21, t0, 48
    # ---- c.lw / c.sw ----
    la      a4, scratch
    li      a5, 0x12345678
    c.sw    a5, 4(a4)
    c.lw    a3, 4(a4)
    CHECK   22, a3, 0x12345678
    lw      t0, 4(a4)
    CHECK   23, t0, 0x12345678
    c.li    a5, -2
    c.sw    a5, 12(a4)
    lw      t0, 12(a4)
    CHECK   24, t0, 0xfffffffe
    # ---- c.lwsp / c.swsp ----
    mv      t1, sp
    addi    sp, sp, -16
    li      t0, 0xcafef00d
    c.swsp  t0, 8(sp)
    c.lwsp  t2, 8(sp)
    lw      t3, 8(sp)
    mv      sp, t1
    CHECK   25, t2, 0xcafef00d
    CHECK   26, t3, 0xcafef00d
    # ---- c.beqz / c.bnez ----
    c.li    a5, 0
    c.beqz  a5, 1f
    li      a0, 27
    j       .Lfail
1:  li      a0, 28
    c.bnez  a5, .Lfail
    c.li    a5, -1
    c.bnez  a5, 2f
    li      a0, 29
    j       .Lfail
2:  li      a0, 30
    c.beqz  a5, .Lfail
    # ---- c.j ----
    c.j     3f
    li      a0, 31
    j       .Lfail
3:
    # ---- c.jal: links pc+2 ----
    c.li    a5, 0
.Ljal:
    c.jal   .Linc
    la      t0, .Ljal
    sub     t1, ra, t0
    CHECK   32, t1, 2
    CHECK   33, a5, 1
    # ---- c.jr ----
    la      t0, 4f
    c.jr    t0
    li      a0, 34
    j       .Lfail
4:
    # ---- c.jalr: links pc+2 ----
    la      t0, .Linc
.Ljalr:
    c.jalr  t0
    la      t0, .Ljalr
    sub     t1, ra, t0
    CHECK   35, t1, 2
    CHECK   36, a5, 2
    # ---- c.addi16sp / c.addi4spn ----
    mv      t1, sp
    c.addi16sp sp, -64
    sub     t2, t1, sp
    CHECK   37, t2, 64
    c.addi4spn a5, sp, 16
    sub     t2, a5, sp
    CHECK   38, t2, 16
    c.addi4spn a5, sp, 1020
    sub     t2, a5, sp
    CHECK   39, t2, 1020
    c.addi16sp sp, 64
    sub     t2, t1, sp
    CHECK   40, t2, 0
    # ---- c.nop / c.mv to self-unrelated ----
    c.nop
    c.li    a5, 9
    c.mv    t3, a5
    c.add   t3, t3
    CHECK   41, t3, 18

    li      a0, 0
.Lfail:
    mv      ra, t5
    ret

.Linc:
    c.addi  a5, 1
    c.jr    ra
    .size main, . - main
