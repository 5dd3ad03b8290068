/*
 * timing_elw_sleep.S -- core timing micro-test (2 cores): a cv.elw that puts the core to
 * sleep until another core sends it an event.
 * TIMING_REQUIRES: event_unit
 * TIMING_CORES: 2
 * TIMING_DYNAMIC: elw_sleep_2cores_long
 * TIMING_DYNAMIC: elw_sleep_2cores_short
 *
 * Rule (docs/cluster.md table): an event wait that sleeps from cycle ts to the event at te
 * costs (te - ts) + 2.  Sources (ids: timing_harness.inc): cv.elw / p.elw (cluster
 * mode) sleeps clock-gated (S2 sleep.rst); GVSoC ri5ky: a p.elw that sleeps L cycles costs L + 2
 * (S5, S6 elw calibration: "latency + 2 cycles each"); event unit "single-cycle event trigger
 * and sleep" (S13).
 *
 * Both cores run .Ltsleep_entry through the runtime's pi_cl_team_fork(2, ...):
 * Core 1:  T1 = csrr mcycle;  cv.elw EVENT_WAIT_CLEAR (sleeps);  T1' = csrr mcycle
 *   ts = T1 + 4                 (the elw starts after the 4-cycle csrr)
 *   measured = T1' - T1 = 4 + cost(elw)
 * Core 0:  waits 3 x arg cycles (a hardware loop of arg iterations, so that core 1 is surely
 *          asleep), then
 *   T0 = csrr mcycle;  sw <core 1 mask>, SW_EVENT(3)   (the trigger store starts at T0 + 4)
 *   te = T0 + 4 + 1             (single-cycle trigger: the event is in core 1's buffer at the
 *                                end of the store's cycle, S13)
 *   expected = 4 + (te - ts) + 2
 * te and ts depend on how long crt0 and the fork take, so main computes the expectation from
 * the formula after the fork and prints it with te and ts; tests/test_timing.py also checks
 * te > ts (core 1 really slept).  The harts' mcycle counters share one time base
 * (docs/cluster.md "Simulated time").
 * During its wait core 1 enables exactly event 3 in its mask (the runtime's barrier / mutex /
 * dispatch events cannot end the wait early), and restores the mask afterwards.
 *
 * Two runs of the fork:
 *   elw_sleep_2cores_long:  arg = 6000 (core 0 waits ~18000 cycles, longer than the
 *                           scheduler quantum, 10000 cycles in iss/simulator.py);
 *   elw_sleep_2cores_short: arg = 1000 (~3000 cycles, shorter than a quantum).  The result must
 *                           be the same formula: docs/cluster.md "Scheduler" says that
 *                           synchronisation through the event unit is exact in simulated time,
 *                           so core 1 (waiting from cycle ~X+60) must not see an event that
 *                           core 0 sends at cycle ~X+3000, even when core 0 ran its quantum
 *                           first (if it does, the wait costs 4 instead of ~3000).
 */
#include "timing_harness.inc"   /* TSTART/TEND, MAIN_BEGIN/MAIN_END, timing_report */

    .equ    EU_DEMUX,           0x10204000
    .equ    EU_MASK,            0x00
    .equ    EU_EVENT_WAIT_CLEAR, 0x3C
    .equ    EU_SW_EVENT,        0x100
    .equ    EVT,                3          /* software event line 3 */

    .section .l1_data, "aw", @progbits
    .balign 8
.Ltsleep_shared:                           /* T1, T1' (core 1), unused, T0 (core 0) */
    .word   0, 0, 0, 0

    .section .rodata.timing_sleep, "a", @progbits
.Ltsleep_fmt:
    .asciz  "timing %s: measured %d, expected %d (te=%d ts=%d)\n"
.Ltsleep_long:  .asciz "elw_sleep_2cores_long"
.Ltsleep_short: .asciz "elw_sleep_2cores_short"

    /* entry(arg) of the fork, run by cores 0 and 1; a leaf (caller-saved registers only) */
    .text
    .balign 4
    .type .Ltsleep_entry, @function
.Ltsleep_entry:
    csrr    t0, mhartid
    andi    t0, t0, 0xf                    /* core id */
    li      t6, EU_DEMUX
    la      t5, .Ltsleep_shared
    bnez    t0, .Ltsleep_core1

    /* core 0: delay (hardware loop: arg (a0) x 3 addi), then send event 3 to core 1 */
.Ltsleep_delay:                            /* cv.setup 0, a0 (x10), end */
    .word   0x0000472b | (0 << 7) | (10 << 15) | (((.Ltsleep_delay_end - .Ltsleep_delay) >> 2) << 20)
    addi    a3, a3, 1
    addi    a4, a4, 1
    addi    a5, a5, 1
.Ltsleep_delay_end:
    li      t1, 1 << 1                     /* core mask: core 1 */
    csrr    t2, mcycle                     /* T0 */
    sw      t1, (EU_SW_EVENT + 4 * EVT)(t6)   /* the trigger, at cycle T0 + 4 */
    sw      t2, 12(t5)
    ret

.Ltsleep_core1:
    lw      t3, EU_MASK(t6)                /* save the runtime's mask */
    li      t1, 1 << EVT
    sw      t1, EU_MASK(t6)                /* wait for event 3 only (no BUFFER_CLEAR: event 3
                                              is sent only by core 0 and the WAIT_CLEAR below
                                              consumes it, so a pending event 3 here can only
                                              be one from core 0's future) */
    csrr    t2, mcycle                     /* T1 */
    cv.elw  a1, EU_EVENT_WAIT_CLEAR(t6)    /* sleeps until core 0's event */
    csrr    t4, mcycle                     /* T1' */
    sw      t3, EU_MASK(t6)
    sw      t2, 0(t5)
    sw      t4, 4(t5)
    ret
    .size .Ltsleep_entry, . - .Ltsleep_entry

    MAIN_BEGIN

    la      s3, .Ltsleep_long
    li      s4, 6000
    call    .Ltsleep_run
    la      s3, .Ltsleep_short
    li      s4, 1000
    call    .Ltsleep_run
    MAIN_END

    /* one fork + report: s3 = section name, s4 = core 0's delay (hardware-loop iterations) */
    .balign 4
.Ltsleep_run:
    addi    sp, sp, -16
    sw      ra, 12(sp)
    la      s1, .Ltsleep_shared
    sw      zero, 0(s1)
    sw      zero, 4(s1)
    sw      zero, 12(s1)
    li      a0, 2
    la      a1, .Ltsleep_entry
    mv      a2, s4
    call    pi_cl_team_fork                /* entry(arg = s4) on cores 0 and 1 */

    lw      t3, 0(s1)                      /* T1 */
    lw      t4, 4(s1)                      /* T1' */
    lw      t2, 12(s1)                     /* T0 */
    mv      a1, s3
    sub     a2, t4, t3                     /* measured = T1' - T1 */
    addi    a4, t2, 4 + 1                  /* te = T0 + 4 + 1 */
    addi    a5, t3, 4                      /* ts = T1 + 4 */
    sub     a3, a4, a5                     /* te - ts */
    addi    a3, a3, 4 + 2                  /* expected = 4 + (te - ts) + 2 */
    la      a0, .Ltsleep_fmt
    call    printf
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret
