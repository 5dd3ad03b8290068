# Core 0 waits for an event nobody sends (EU demux EVENT_WAIT, eu_v3: 0x10204038) with
# an empty event mask; the workers sleep in the runtime's dispatch loop: every core is
# asleep and nothing is scheduled, which the simulator reports as a deadlock.
    .text
    .globl main
    .type main, @function
main:
    li      t0, 0x10204000
    sw      zero, 0(t0)            # MASK = 0
    lw      a0, 0x38(t0)           # EVENT_WAIT: sleeps forever
    ret
    .size main, . - main
