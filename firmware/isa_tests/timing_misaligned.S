/*
 * timing_misaligned.S -- core timing micro-tests: misaligned loads and stores.
 *
 * Rule (docs/cluster.md table and "Timing modes"): a misaligned load/store that needs two
 * bus transactions costs +1, in `--timing accurate` mode only; `--timing fast` charges the
 * static 1 cycle.  Sources (ids: timing_harness.inc): "Misaligned word, or halfword
 * crossing a word boundary: 2 -- two bus transactions" (S1, S2 load_store_unit.rst); S6
 * calibration "misaligned lw: 2 (fast memory)".  A halfword inside one word (address = 1 mod 4)
 * is a single transaction: 1 cycle in both modes.
 * So TEND name, E_fast, E_accurate.  Every access is to an L1 (TCDM) buffer, one core, so
 * there are no bank conflicts in accurate mode.
 */
#include "timing_harness.inc"   /* TSTART/TEND, MAIN_BEGIN/MAIN_END, timing_report */

    .section .l1_data, "aw", @progbits
    .balign 8
.Ltmis_buf:
    .rept 16
    .word   0x04030201
    .endr

    MAIN_BEGIN

    la      s0, .Ltmis_buf          /* word aligned, kept in s0 across the printf calls */

    /* 1. Control: 8 aligned lw: fast 4 + 8 = 12, accurate 12 */
    TSTART
    .rept 8
    lw      a0, 4(s0)
    .endr
    TEND lw_aligned_8, 12, 12

    /* 2. 8 lw at address = 1 mod 4: fast 4 + 8 x 1 = 12; accurate 4 + 8 x 2 = 20 */
    TSTART
    .rept 8
    lw      a0, 5(s0)
    .endr
    TEND lw_misaligned_1_8, 12, 20

    /* 3. 8 lw at address = 2 mod 4: fast 12; accurate 20 */
    TSTART
    .rept 8
    lw      a0, 6(s0)
    .endr
    TEND lw_misaligned_2_8, 12, 20

    /* 4. 8 lw at address = 3 mod 4: fast 12; accurate 20 */
    TSTART
    .rept 8
    lw      a0, 7(s0)
    .endr
    TEND lw_misaligned_3_8, 12, 20

    /* 5. 8 lh crossing a word boundary (address = 3 mod 4): fast 12; accurate 20 */
    TSTART
    .rept 8
    lh      a0, 7(s0)
    .endr
    TEND lh_crossing_word_8, 12, 20

    /* 6. 8 lhu at address = 1 mod 4: misaligned but inside one word, one transaction:
     *    12 in both modes */
    TSTART
    .rept 8
    lhu     a0, 5(s0)
    .endr
    TEND lhu_inside_word_8, 12, 12

    /* 7. 8 sw at address = 1 mod 4: fast 12; accurate 20 */
    li      a1, 0x55
    TSTART
    .rept 8
    sw      a1, 9(s0)
    .endr
    TEND sw_misaligned_1_8, 12, 20

    /* 8. 8 sh crossing a word boundary (address = 3 mod 4): fast 12; accurate 20 */
    li      a1, 0x55
    TSTART
    .rept 8
    sh      a1, 11(s0)
    .endr
    TEND sh_crossing_word_8, 12, 20

    /* 9. Misaligned lw + dependent addi: the table rows add up (misaligned +1 in accurate
     *    mode, load-use +1 in both): fast 4 + 8 x (1 + 1 + 1) = 28;
     *    accurate 4 + 8 x (2 + 1 + 1) = 36 */
    TSTART
    .rept 8
    lw      a0, 5(s0)
    addi    a1, a0, 1
    .endr
    TEND lw_misaligned_use_8, 28, 36

    /* 10. Post-increment cv.lw walking a misaligned pointer (s0 + 1, step 4):
     *     fast 4 + 8 = 12; accurate 4 + 8 x 2 = 20 */
    addi    a2, s0, 1
    TSTART
    .rept 8
    cv.lw   a0, (a2), 4
    .endr
    TEND cvlw_misaligned_8, 12, 20

    MAIN_END
