/*
 * timing_elw.S -- core timing micro-test: cv.elw on an event-unit wait register when the
 * event is already there (the core does not sleep).
 * TIMING_REQUIRES: event_unit
 *
 * Rule (docs/cluster.md table): `p.elw` / `cv.elw` with the event already there: 4 cycles.
 * Source (S1, CV32E40P pipeline.rst table): "cv.elw 4 (when the event is
 * already there; otherwise the core sleeps)".
 *
 * Event unit (pulp-runtime archi/eu/eu_v3.h, archi/chips/pulp/memory_map.h): core-private demux alias at
 * 0x10204000: MASK_OR 0x08, BUFFER 0x1C, BUFFER_CLEAR 0x28, EVENT_WAIT 0x38 (read: the
 * masked events, sleep while none), EVENT_WAIT_CLEAR 0x3C (the same, then clear them);
 * software event n trigger at 0x100 + 4n (write a core mask).
 * The trigger is done well before the measured region (the event must already be in the
 * buffer), so the trigger latency of the event unit does not matter here.
 */
#include "timing_harness.inc"   /* TSTART/TEND, MAIN_BEGIN/MAIN_END, timing_report */

    .equ    EU_DEMUX,           0x10204000
    .equ    EU_MASK_OR,         0x08
    .equ    EU_BUFFER_CLEAR,    0x28
    .equ    EU_EVENT_WAIT,      0x38
    .equ    EU_EVENT_WAIT_CLEAR, 0x3C
    .equ    EU_SW_EVENT,        0x100
    .equ    EVT,                3          /* software event line 3 */

    MAIN_BEGIN

    li      s0, EU_DEMUX                   /* kept in s0 across the printf calls */
    li      a0, 1 << EVT
    sw      a0, EU_BUFFER_CLEAR(s0)        /* start clean */
    sw      a0, EU_MASK_OR(s0)             /* listen to event EVT */
    li      a0, 1                          /* core mask: core 0 (this core) */
    sw      a0, (EU_SW_EVENT + 4 * EVT)(s0)
    .rept 8                                /* let the trigger land (any latency <= 8) */
    nop
    .endr

    /* 1. One cv.elw on EVENT_WAIT with the event pending: 4 + 4 = 8 */
    TSTART
    cv.elw  a1, EU_EVENT_WAIT(s0)
    TEND elw_event_pending_1, 8

    /* 2. EVENT_WAIT does not clear the event: 4 more waits all return at once:
     *    4 + 4 x 4 = 20 */
    TSTART
    .rept 4
    cv.elw  a1, EU_EVENT_WAIT(s0)
    .endr
    TEND elw_event_pending_4, 20

    /* 3. EVENT_WAIT_CLEAR with the event pending (returns, then clears it): 4 + 4 = 8 */
    TSTART
    cv.elw  a1, EU_EVENT_WAIT_CLEAR(s0)
    TEND elw_wait_clear_pending_1, 8

    /* 4. Trigger again and wait with an independent instruction before and after:
     *    addi (1) + cv.elw (4) + addi (1) = 6 -> 4 + 6 = 10 */
    li      a0, 1
    sw      a0, (EU_SW_EVENT + 4 * EVT)(s0)
    .rept 8
    nop
    .endr
    TSTART
    addi    a2, a2, 1
    cv.elw  a1, EU_EVENT_WAIT_CLEAR(s0)
    addi    a3, a3, 1
    TEND elw_between_alu_1, 10

    MAIN_END
