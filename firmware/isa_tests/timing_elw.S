/*
 * timing_elw.S -- core timing micro-test: cv.elw on an event-unit wait register when the
 * event is already there (the core does not sleep).
 * TIMING_REQUIRES: event_unit
 *
 * Rule (docs/cluster.md table): `p.elw` / `cv.elw` with the event already there: 4 cycles.
 * Source (../shared/reference/timing.md §1, S1 CV32E40P table): "cv.elw 4 (when the event is
 * already there; otherwise the core sleeps)".
 *
 * Event unit (pulp-runtime archi/eu/eu_v3.h; hardware.md §1): core-private demux alias at
 * 0x10204000: MASK_OR 0x08, BUFFER 0x1C, BUFFER_CLEAR 0x28, EVENT_WAIT 0x38 (read: the
 * masked events, sleep while none), EVENT_WAIT_CLEAR 0x3C (the same, then clear them);
 * software event n trigger at 0x100 + 4n (write a core mask).
 * The trigger is done well before the measured region (the event must already be in the
 * buffer), so the trigger latency of the event unit does not matter here.
 */
/* ---- timing harness (the same block is in every firmware/isa_tests/timing_*.S) ----
 * Measurement contract (docs/cluster.md, "Core timing model"): `csrr rd, mcycle` returns
 * the cycles of every instruction before it; the csrr itself costs 4 (timing.md §1, CSR
 * access to mcycle = 4).  So for
 *       TSTART            (csrr s10, mcycle)
 *       <code under test>
 *       TEND name, E      (csrr s11, mcycle; print s11 - s10)
 * the measured delta is 4 + cycles(code under test), and E below is always written that way.
 * TEND name, E_fast, E_accurate gives a different expectation for `--timing accurate`.
 * Every TEND line prints  "timing <name>: measured <d>, expected <E>[ (fast) / <A> (accurate)]";
 * tests/test_timing.py reads E (and A) from this source and compares.  s10/s11 are reserved.
 * Everything is assembled with .option norvc (all instructions 32-bit, word aligned) unless a
 * section says otherwise, so no compressed form can shift an alignment by surprise.
 */
    .option norelax
    .option norvc

    .macro TSTART
    csrr    s10, mcycle
    .endm

    .macro TEND name, exp, acc=-1
    csrr    s11, mcycle
    .pushsection .rodata.timing_names, "a", @progbits
.Ltiming_name\@: .asciz "\name"
    .popsection
    la      a1, .Ltiming_name\@
    sub     a2, s11, s10
    li      a3, \exp
    .if \acc == -1
    li      a4, \exp
    .else
    li      a4, \acc
    .endif
    call    timing_report
    .endm

    .section .rodata.timing_fmt, "a", @progbits
.Ltiming_fmt1: .asciz "timing %s: measured %d, expected %d\n"
.Ltiming_fmt2: .asciz "timing %s: measured %d, expected %d (fast) / %d (accurate)\n"
.Ltiming_done: .asciz "timing done\n"

    .text
    .balign 4
    /* timing_report(a1 = name, a2 = measured, a3 = expected fast, a4 = expected accurate) */
    .type timing_report, @function
timing_report:
    addi    sp, sp, -16
    sw      ra, 12(sp)
    la      a0, .Ltiming_fmt1
    beq     a3, a4, 1f
    la      a0, .Ltiming_fmt2
1:  call    printf
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret
    .size timing_report, . - timing_report

    /* main prologue / epilogue: save ra and s0-s11 (sections use any register but sp, s10, s11) */
    .macro MAIN_BEGIN
    .text
    .balign 4
    .globl main
    .type main, @function
main:
    addi    sp, sp, -64
    sw      ra, 60(sp)
    sw      s0, 56(sp)
    sw      s1, 52(sp)
    sw      s2, 48(sp)
    sw      s3, 44(sp)
    sw      s4, 40(sp)
    sw      s5, 36(sp)
    sw      s6, 32(sp)
    sw      s7, 28(sp)
    sw      s8, 24(sp)
    sw      s9, 20(sp)
    sw      s10, 16(sp)
    sw      s11, 12(sp)
    .endm

    .macro MAIN_END
    la      a0, .Ltiming_done
    call    printf
    lw      ra, 60(sp)
    lw      s0, 56(sp)
    lw      s1, 52(sp)
    lw      s2, 48(sp)
    lw      s3, 44(sp)
    lw      s4, 40(sp)
    lw      s5, 36(sp)
    lw      s6, 32(sp)
    lw      s7, 28(sp)
    lw      s8, 24(sp)
    lw      s9, 20(sp)
    lw      s10, 16(sp)
    lw      s11, 12(sp)
    addi    sp, sp, 64
    li      a0, 0
    ret
    .size main, . - main
    .endm
/* ---- end of the timing harness ---- */

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
