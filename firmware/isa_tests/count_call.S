# EXPECTED_MAIN_INSTRUCTIONS: 20
# Dynamic count (callee instructions included) from the first instruction of main
# up to and including main's final ret:
#   main prologue 3, jal add_two (1+2), jal add_two (1+2),
#   jal add_three (1 + [mv, jal add_two (1+2), addi, jr] = 1+5) ... see numbering below.
    .option norelax
    .text
    .globl main
    .type main, @function
main:
    addi    sp, sp, -16                # 1
    sw      ra, 12(sp)                 # 2
    li      a0, 0                      # 3
    jal     ra, add_two                # 4   -> add_two: 5, 6
    jal     ra, add_two                # 7   -> add_two: 8, 9
    jal     ra, add_three              # 10  -> add_three: 11 mv, 12 jal -> add_two 13, 14;
                                       #        15 addi, 16 jr
    addi    a0, a0, -7                 # 17: a0 = 2 + 2 + 3 - 7 = 0
    lw      ra, 12(sp)                 # 18
    addi    sp, sp, 16                 # 19
    ret                                # 20
    .size main, . - main

    .type add_two, @function
add_two:
    addi    a0, a0, 2
    ret
    .size add_two, . - add_two

    .type add_three, @function
add_three:
    mv      t0, ra
    jal     ra, add_two
    addi    a0, a0, 1
    jr      t0
    .size add_three, . - add_three
