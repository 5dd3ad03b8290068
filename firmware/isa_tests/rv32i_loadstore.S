# RV32I loads/stores: sign/zero extension, little-endian byte order, negative offsets.
# main returns 0 on success, else the number of the first failing check.

    .macro CHECK num, reg, expected
    li      t6, \expected
    beq     \reg, t6, .Lok\@
    li      a0, \num
    ret
.Lok\@:
    .endm

    .data
    .balign 4
buf:
    .word   0x8001ff7f                 # bytes: 7f ff 01 80
    .word   0x12345678                 # bytes: 78 56 34 12

    .bss
    .balign 4
scratch:
    .space  16

    .text
    .globl main
    .type main, @function
main:
    la      t0, buf
    lb      t2, 0(t0)
    CHECK   1, t2, 0x0000007f
    lb      t2, 1(t0)
    CHECK   2, t2, 0xffffffff
    lb      t2, 3(t0)
    CHECK   3, t2, 0xffffff80
    lbu     t2, 1(t0)
    CHECK   4, t2, 0x000000ff
    lbu     t2, 3(t0)
    CHECK   5, t2, 0x00000080
    lb      t2, 2(t0)
    CHECK   6, t2, 0x00000001
    lh      t2, 0(t0)
    CHECK   7, t2, 0xffffff7f
    lhu     t2, 0(t0)
    CHECK   8, t2, 0x0000ff7f
    lh      t2, 2(t0)
    CHECK   9, t2, 0xffff8001
    lhu     t2, 2(t0)
    CHECK   10, t2, 0x00008001
    lw      t2, 0(t0)
    CHECK   11, t2, 0x8001ff7f
    lh      t2, 4(t0)
    CHECK   12, t2, 0x00005678
    lh      t2, 6(t0)
    CHECK   13, t2, 0x00001234
    lb      t2, 7(t0)
    CHECK   14, t2, 0x00000012
    lbu     t2, 4(t0)
    CHECK   15, t2, 0x00000078
    lw      t2, 4(t0)
    CHECK   16, t2, 0x12345678
    # negative offsets
    addi    t0, t0, 8
    lw      t2, -4(t0)
    CHECK   17, t2, 0x12345678
    lb      t2, -8(t0)
    CHECK   18, t2, 0x0000007f
    lh      t2, -6(t0)
    CHECK   19, t2, 0xffff8001
    lbu     t2, -5(t0)
    CHECK   20, t2, 0x00000080

    # stores
    la      t0, scratch
    li      t1, 0x11223344
    sw      t1, 0(t0)
    lw      t2, 0(t0)
    CHECK   21, t2, 0x11223344
    lbu     t2, 0(t0)
    CHECK   22, t2, 0x00000044         # little endian: lowest byte first
    li      t1, 0xaa
    sb      t1, 1(t0)
    lw      t2, 0(t0)
    CHECK   23, t2, 0x1122aa44
    li      t1, 0xbeef
    sh      t1, 2(t0)
    lw      t2, 0(t0)
    CHECK   24, t2, 0xbeefaa44
    li      t1, 0x1234                 # sb stores only the low byte (0x34)
    sb      t1, 3(t0)
    lw      t2, 0(t0)
    CHECK   25, t2, 0x34efaa44
    li      t1, 0xdead1234             # sh stores only the low half (0x1234)
    sh      t1, 0(t0)
    lw      t2, 0(t0)
    CHECK   26, t2, 0x34ef1234
    lh      t2, 2(t0)
    CHECK   27, t2, 0x000034ef
    # negative store offsets
    addi    t3, t0, 12
    li      t1, 0xcafef00d
    sw      t1, -8(t3)                 # scratch+4
    lw      t2, 4(t0)
    CHECK   28, t2, 0xcafef00d
    li      t1, 0x80
    sb      t1, -1(t3)                 # scratch+11
    lb      t2, 11(t0)
    CHECK   29, t2, 0xffffff80
    li      t1, 0x8000
    sh      t1, -4(t3)                 # scratch+8
    lw      t2, 8(t0)
    CHECK   30, t2, 0x80008000
    lhu     t2, 8(t0)
    CHECK   31, t2, 0x00008000
    # load into x0 is discarded
    lw      x0, 0(t0)
    mv      t2, x0
    CHECK   32, t2, 0

    li      a0, 0
    ret
    .size main, . - main
