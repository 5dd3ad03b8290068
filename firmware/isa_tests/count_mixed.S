# EXPECTED_MAIN_INSTRUCTIONS: 12
# Straight-line chain mixing 16-bit (c.*) and 32-bit instructions, no branches:
# 12 instructions from the first instruction of main up to and including ret.
    .option norelax
    .option rvc
    .text
    .globl main
    .type main, @function
main:
    c.li    a0, 5                      # 1  (16-bit) a0 = 5
    addi    a1, a0, 100                # 2  (32-bit) a1 = 105
    c.mv    a2, a1                     # 3  (16-bit) a2 = 105
    c.slli  a2, 2                      # 4  (16-bit) a2 = 420
    xor     a3, a2, a1                 # 5  (32-bit)
    c.addi  a3, -1                     # 6  (16-bit)
    sub     a4, a3, a0                 # 7  (32-bit)
    c.andi  a4, 0                      # 8  (16-bit) a4 = 0
    lui     a5, 0x12345                # 9  (32-bit)
    c.srli  a5, 12                     # 10 (16-bit)
    add     a0, a4, a4                 # 11 (32-bit form may be used) a0 = 0
    ret                                # 12 (c.jr ra)
    .size main, . - main
