/*
 * timing_div.S -- core timing micro-tests: the serial divider (div, divu, rem, remu).
 *
 * Rule (docs/cluster.md table): 3 + clz(divisor); divisor 0 -> 35; signed op with a negative
 * divisor: 2 + clz(~divisor) (clz(0) = 32).  The cost depends on the divisor only.
 * Sources (ids: timing_harness.inc):
 *   S1 CV32E40P pipeline.rst: 3..35 cycles, depends on the leading zeros of the divisor;
 *   S5/S6 GVSoC ri5ky model and its RTL calibration: b=0x9876 -> 19, b=1 -> 34,
 *   b=0x40000000 -> 4, b=0 -> 35;
 *   S3 RTL cv32e40p_alu.sv (read for this test): div_shift = (no_one ? 31 : clz' - 1)
 *   + (divisor negative & signed ? 0 : 1), where clz' counts on the divisor (unsigned or
 *   positive) or on ~divisor (signed, negative); cycles = shift + 3.  So: unsigned/positive
 *   d != 0: clz(d) + 3; d = 0: 32 + 3 = 35; negative d != -1: clz(~d) - 1 + 3 = clz(~d) + 2;
 *   d = -1: 31 + 3 = 34 = 2 + clz(0).  The formula of the contract agrees in every case.
 * The dynamic cost must use the divisor value at the moment the divide executes (section 19
 * changes it between divides inside one block).  A dependent instruction right after a divide
 * costs nothing extra (S1 Hazards: EX->ID forwarding of DIV results).
 * Dividend: 0x7fffffff (s1) unless said otherwise (no overflow case).
 */
#include "timing_harness.inc"   /* TSTART/TEND, MAIN_BEGIN/MAIN_END, timing_report */

    MAIN_BEGIN

    /* the dividend lives in s1 (a* / t* registers do not survive the printf of each TEND);
     * every section loads its divisor into a2 (a3..a5) itself */
    li      s1, 0x7fffffff

    /* ---- unsigned ---- */
    /* 1. divu by 1: clz(1) = 31 -> 34 each: 4 + 4 x 34 = 140 */
    li      a2, 1
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_d1, 140

    /* 2. divu by 0x40000000: clz = 1 -> 4 each: 4 + 4 x 4 = 20 */
    li      a2, 0x40000000
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_d40000000, 20

    /* 3. divu by 0x9876 (16 significant bits): clz = 16 -> 19 each: 4 + 4 x 19 = 80 */
    li      a2, 0x9876
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_d9876, 80

    /* 4. divu by 0: 35 each: 4 + 4 x 35 = 144 */
    li      a2, 0
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_d0, 144

    /* 5. divu by 0x80000000: clz = 0 -> 3 each: 4 + 4 x 3 = 16 */
    li      a2, 0x80000000
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_d80000000, 16

    /* 6. divu by 0xffffffff (unsigned: no leading zero) -> 3 each: 4 + 4 x 3 = 16 */
    li      a2, -1
    TSTART
    .rept 4
    divu    a0, s1, a2
    .endr
    TEND divu_dffffffff, 16

    /* 7. divu by 1 with dividend 0: the cost does not depend on the dividend: 140 */
    li      a2, 1
    TSTART
    .rept 4
    divu    a0, zero, a2
    .endr
    TEND divu_d1_dividend0, 140

    /* ---- signed ---- */
    /* 8. div by 1: 34 each: 4 + 4 x 34 = 140 */
    li      a2, 1
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_d1, 140

    /* 9. div by 0x9876 (positive): 19 each: 4 + 4 x 19 = 80 */
    li      a2, 0x9876
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_d9876, 80

    /* 10. div by 0: 35 each: 4 + 4 x 35 = 144 */
    li      a2, 0
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_d0, 144

    /* 11. div by -1: 2 + clz(~(-1)) = 2 + clz(0) = 2 + 32 = 34 each: 4 + 4 x 34 = 140 */
    li      a2, -1
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_dm1, 140

    /* 12. div by -2: ~d = 1, clz = 31 -> 33 each: 4 + 4 x 33 = 136 */
    li      a2, -2
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_dm2, 136

    /* 13. div by -0x9876: ~d = 0x9875, clz = 16 -> 18 each: 4 + 4 x 18 = 76 */
    li      a2, -0x9876
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_dm9876, 76

    /* 14. div by 0x80000000 (most negative): ~d = 0x7fffffff, clz = 1 -> 3 each: 4 + 12 = 16 */
    li      a2, 0x80000000
    TSTART
    .rept 4
    div     a0, s1, a2
    .endr
    TEND div_d80000000, 16

    /* ---- remainders (same divider, same cost) ---- */
    /* 15. rem by 0x40000000: 4 each: 4 + 4 x 4 = 20 */
    li      a2, 0x40000000
    TSTART
    .rept 4
    rem     a0, s1, a2
    .endr
    TEND rem_d40000000, 20

    /* 16. remu by 0: 35 each: 4 + 4 x 35 = 144 */
    li      a2, 0
    TSTART
    .rept 4
    remu    a0, s1, a2
    .endr
    TEND remu_d0, 144

    /* 17. rem by -1: 34 each: 4 + 4 x 34 = 140 */
    li      a2, -1
    TSTART
    .rept 4
    rem     a0, s1, a2
    .endr
    TEND rem_dm1, 140

    /* 18. remu by 0x9876: 19 each: 4 + 4 x 19 = 80 */
    li      a2, 0x9876
    TSTART
    .rept 4
    remu    a0, s1, a2
    .endr
    TEND remu_d9876, 80

    /* 19. The divisor changes between divides of one straight-line block; the cost must
     *     follow the value each divide sees:
     *       addi a2 = 1 (1), div (34), lui a2 = 0x40000000 (1), div (4),
     *       addi a2 = 0 (1), divu (35), lui + addi a2 = -0x9876 (2), div (~d = 0x9875: 18)
     *     total 1 + 34 + 1 + 4 + 1 + 35 + 2 + 18 = 96 -> 4 + 96 = 100 */
    TSTART
    addi    a2, zero, 1
    div     a0, s1, a2
    lui     a2, 0x40000
    div     a0, s1, a2
    addi    a2, zero, 0
    divu    a0, s1, a2
    lui     a2, %hi(-0x9876)
    addi    a2, a2, %lo(-0x9876)
    div     a0, s1, a2
    TEND div_divisor_changes_in_block, 100

    /* 20. div followed by a dependent instruction (forwarded, no extra), divisor 0x40000000:
     *     4 + 4 x (4 + 1) = 24 */
    li      a2, 0x40000000
    TSTART
    .rept 4
    div     a0, s1, a2
    addi    a3, a0, 1
    .endr
    TEND div_then_dependent_4, 24

    /* 21. Different divisors in different registers, one block:
     *     div by 1 (34) + div by 0 (35) + divu by 0x9876 (19) + remu by 0x80000000 (3)
     *     = 91 -> 4 + 91 = 95 */
    li      a2, 1
    li      a3, 0
    li      a4, 0x9876
    li      a5, 0x80000000
    TSTART
    div     a0, s1, a2
    div     a0, s1, a3
    divu    a0, s1, a4
    remu    a0, s1, a5
    TEND div_mixed_divisors, 95

    MAIN_END
