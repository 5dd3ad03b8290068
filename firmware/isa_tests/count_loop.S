# EXPECTED_MAIN_INSTRUCTIONS: 34
# Dynamic count from the first instruction of main up to and including its final ret:
#   2 (setup) + 10 iterations x 3 (loop body) + 1 (check) + 1 (ret) = 34
    .option norelax
    .text
    .globl main
    .type main, @function
main:
    li      t0, 10                     # 1
    li      a0, 0                      # 2
1:  addi    a0, a0, 3                  # loop body (x10)
    addi    t0, t0, -1                 # loop body (x10)
    bnez    t0, 1b                     # loop body (x10): 3 x 10 = 30
    addi    a0, a0, -30                # 33: a0 = 0 on success
    ret                                # 34
    .size main, . - main
