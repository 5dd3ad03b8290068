"""Event unit state machine (plugins/event_unit.py) against a fake simulator.

Offsets are written out from pulp-runtime's archi/eu/eu_v3.h register map (see the plugin's
docstring); expected values follow from the eu_v3 semantics, not from running the model.
"""
from __future__ import annotations

import pytest

from iss.testing import FakeSim
from iss_plugins.event_unit import EventUnit

BASE = 0x10200800
DEMUX = 0x10204000 - BASE          # demux window offsets are relative to the EU base too


def d(offset):
    return DEMUX + offset


# demux (core-private) offsets
MASK, MASK_AND, MASK_OR, STATUS = d(0x00), d(0x04), d(0x08), d(0x18)
BUFFER, BUFFER_MASKED, BUFFER_CLEAR = d(0x1C), d(0x20), d(0x28)
WAIT, WAIT_CLEAR = d(0x38), d(0x3C)
FIFO, TEAM = d(0x80), d(0x84)


def mutex(m):
    return d(0xC0 + 4 * m)


def sw_event(n):
    return d(0x100 + 4 * n)


def barrier(b, reg):
    return d(0x200 + 0x20 * b + reg)


TRIGGER_MASK, BAR_STATUS, TARGET_MASK, TRIGGER, TRIGGER_SELF, TRIG_WAIT, TRIG_WAIT_CLEAR = (
    0x00, 0x04, 0x0C, 0x10, 0x14, 0x18, 0x1C)


@pytest.fixture
def eu():
    sim = FakeSim()
    unit = EventUnit(sim, "event_unit", BASE, 0x800, {})
    assert sim.service("event_unit") is unit
    return unit


def _clock(eu, core, at):
    """The accessing hart's cycle: `at`, or by default 10 cycles after the latest access."""
    assert core not in eu.sim.asleep, f"core {core} accesses the EU while asleep"
    h = eu.sim.harts[core]
    h.t = eu.sim.time + 10 if at is None else at
    eu.sim.time = max(eu.sim.time, h.t)
    return h


def rd(eu, core, offset, at=None):
    return eu.read(_clock(eu, core, at), offset, 4)


def wr(eu, core, offset, value, at=None):
    eu.write(_clock(eu, core, at), offset, 4, value)


# ---------------------------------------------------------------- mask / buffer

def test_ranges_global_and_demux_windows(eu):
    assert eu.ranges() == [(0x10200800, 0x800), (0x10204000, 0x400)]


def test_mask_set_and_or(eu):
    wr(eu, 2, MASK, 0b1010)
    assert rd(eu, 2, MASK) == 0b1010
    wr(eu, 2, MASK_OR, 0b0101)
    assert rd(eu, 2, MASK) == 0b1111
    wr(eu, 2, MASK_AND, 0b0110)          # AND register clears the bits written
    assert rd(eu, 2, MASK) == 0b1001
    assert rd(eu, 3, MASK) == 0          # private per core
    assert rd(eu, 0, 0x40 * 2 + 0x00) == 0b1001   # global core-2 area, read by core 0


def test_buffer_masked_and_clear(eu):
    eu.trigger(5, 1 << 2, 10)
    eu.trigger(9, 1 << 2, 10)
    assert rd(eu, 2, BUFFER) == (1 << 5) | (1 << 9)
    assert rd(eu, 1, BUFFER) == 0
    wr(eu, 2, MASK, 1 << 9)
    assert rd(eu, 2, BUFFER_MASKED) == 1 << 9
    wr(eu, 2, BUFFER_CLEAR, 1 << 5)
    assert rd(eu, 2, BUFFER) == 1 << 9


# ---------------------------------------------------------------- waits

def test_wait_with_pending_event_returns_without_sleeping(eu):
    wr(eu, 1, MASK, 1 << 3)
    eu.trigger(3, 1 << 1, 5)
    assert rd(eu, 1, WAIT) == 1 << 3
    assert rd(eu, 1, BUFFER) == 1 << 3   # plain wait keeps the event
    assert rd(eu, 1, WAIT_CLEAR) == 1 << 3
    assert rd(eu, 1, BUFFER) == 0        # wait-and-clear removes it
    assert eu.sim.sleeps == []


def test_wait_sleeps_until_a_masked_event(eu):
    wr(eu, 1, MASK, 1 << 3)
    rd(eu, 1, WAIT_CLEAR, at=100)
    assert eu.sim.asleep == {1}
    assert rd(eu, 0, 0x40 * 1 + 0x18) == 0          # STATUS of core 1: sleeping
    eu.trigger(4, 1 << 1, 120)                      # not in the mask: stays asleep
    assert eu.sim.asleep == {1}
    wr(eu, 0, sw_event(3), 1 << 1, at=150)          # software event 3 to core 1
    assert eu.sim.wakes == [(1, 151)]               # trigger access cycle + 1
    assert rd(eu, 1, WAIT_CLEAR) == 1 << 3          # re-executed load gets the event
    assert rd(eu, 1, BUFFER) == 1 << 4              # only the masked event was cleared
    assert rd(eu, 1, STATUS) == 1


def test_unmasking_a_pending_event_wakes(eu):
    rd(eu, 3, WAIT, at=10)                           # mask 0: sleeps
    eu.trigger(6, 1 << 3, 20)
    assert eu.sim.asleep == {3}
    wr(eu, 0, 0x40 * 3 + 0x08, 1 << 6, at=30)        # core 0 sets core 3's mask (global area)
    assert eu.sim.wakes == [(3, 31)]
    assert rd(eu, 3, WAIT) == 1 << 6


def test_external_event_uses_the_given_time(eu):
    wr(eu, 4, MASK, 1 << 10)
    rd(eu, 4, WAIT_CLEAR, at=7)
    eu.trigger(10, 0b10000, 500)                     # e.g. timer via sim.raise_event
    assert eu.sim.wakes == [(4, 500)]


def test_sw_event_global_area_and_broadcast(eu):
    wr(eu, 0, 0x600 + 4 * 2, 0b1100)                 # global trigger, event 2 to cores 2, 3
    assert [rd(eu, c, BUFFER) for c in range(8)] == [0, 0, 4, 4, 0, 0, 0, 0]
    wr(eu, 5, sw_event(7), 0)                        # core mask 0: every core (GVSoC)
    assert [rd(eu, c, BUFFER) >> 7 & 1 for c in range(8)] == [1] * 8


# ---------------------------------------------------------------- barriers

def test_barrier_wakes_everyone_when_the_last_core_arrives(eu):
    for c in range(3):
        wr(eu, c, MASK, 1 << 16)
    wr(eu, 0, barrier(0, TRIGGER_MASK), 0b111)
    wr(eu, 0, barrier(0, TARGET_MASK), 0b111)
    assert rd(eu, 0, barrier(0, TRIG_WAIT_CLEAR), at=10) == 0
    assert rd(eu, 2, barrier(0, TRIG_WAIT_CLEAR), at=40) == 0
    assert eu.sim.asleep == {0, 2}
    assert rd(eu, 5, 0x400 + BAR_STATUS) == 0b101    # global view of barrier 0
    assert rd(eu, 1, barrier(0, TRIG_WAIT_CLEAR), at=90) == 1 << 16   # last: no sleep
    assert sorted(eu.sim.wakes) == [(0, 91), (2, 91)]
    assert rd(eu, 1, barrier(0, BAR_STATUS)) == 0    # reset for the next round
    # the woken cores re-execute their load: no second arrival
    assert rd(eu, 0, barrier(0, TRIG_WAIT_CLEAR)) == 1 << 16
    assert rd(eu, 2, barrier(0, TRIG_WAIT_CLEAR)) == 1 << 16
    assert rd(eu, 0, barrier(0, BAR_STATUS)) == 0
    assert [rd(eu, c, BUFFER) for c in range(3)] == [0, 0, 0]
    assert eu.stats()["barriers"] == 1


def test_barrier_rounds_and_target_mask(eu):
    wr(eu, 0, barrier(3, TRIGGER_MASK), 0b11)
    wr(eu, 0, barrier(3, TARGET_MASK), 0b100)        # only core 2 is told
    wr(eu, 0, barrier(3, TRIGGER), 0b01)
    assert rd(eu, 2, BUFFER) == 0
    wr(eu, 1, barrier(3, TRIGGER_SELF), 0)
    assert rd(eu, 2, BUFFER) == 1 << 16
    assert rd(eu, 0, BUFFER) == rd(eu, 1, BUFFER) == 0
    assert rd(eu, 0, 0x400 + 3 * 0x20 + TRIGGER_MASK) == 0b11


def test_barrier_wait_without_clear_keeps_the_event(eu):
    wr(eu, 0, MASK, 1 << 16)
    wr(eu, 0, barrier(1, TRIGGER_MASK), 1)
    wr(eu, 0, barrier(1, TARGET_MASK), 1)
    assert rd(eu, 0, barrier(1, TRIG_WAIT)) == 1 << 16
    assert rd(eu, 0, BUFFER) == 1 << 16


# ---------------------------------------------------------------- mutex

def test_mutex_hands_over_to_the_lowest_waiter(eu):
    assert rd(eu, 0, mutex(0), at=5) == 0            # free: locked at once
    rd(eu, 3, mutex(0), at=6)
    rd(eu, 2, mutex(0), at=7)
    assert eu.sim.asleep == {2, 3}
    assert rd(eu, 4, mutex(1)) == 0                  # another mutex is independent
    wr(eu, 0, mutex(0), 0x55, at=20)                 # unlock, passing a value
    assert eu.sim.wakes == [(2, 21)]
    assert rd(eu, 2, mutex(0)) == 0x55               # re-executed lock: owner now
    wr(eu, 2, mutex(0), 0x66, at=30)
    assert eu.sim.wakes[-1] == (3, 31)
    assert rd(eu, 3, mutex(0)) == 0x66
    wr(eu, 3, mutex(0), 0)
    assert rd(eu, 1, mutex(0)) == 0                  # free again
    assert eu.sim.asleep == set()
    assert eu.stats()["mutex_contended"] == 2


# ---------------------------------------------------------------- dispatch

def test_dispatch_pop_sleeps_until_a_push_for_the_core(eu):
    wr(eu, 0, TEAM, 0b0111)                          # cores 0-2 (core 0 never pops)
    assert rd(eu, 0, TEAM) == 0b0111
    rd(eu, 1, FIFO, at=3)
    assert eu.sim.asleep == {1}
    wr(eu, 0, FIFO, 0xAAA, at=50)
    wr(eu, 0, FIFO, 0xBBB, at=51)
    assert eu.sim.wakes == [(1, 51)]
    assert rd(eu, 1, FIFO) == 0xAAA
    assert rd(eu, 1, FIFO) == 0xBBB
    assert rd(eu, 2, FIFO) == 0xAAA                  # every team core gets every value
    assert rd(eu, 2, FIFO) == 0xBBB
    rd(eu, 3, FIFO)                                  # not in the team
    assert eu.sim.asleep == {3}


def test_dispatch_skips_pushes_for_other_teams(eu):
    wr(eu, 0, TEAM, 0b0011)
    wr(eu, 0, FIFO, 1)
    wr(eu, 0, TEAM, 0b1001)
    wr(eu, 0, FIFO, 2)
    wr(eu, 0, TEAM, 0b0011)
    wr(eu, 0, FIFO, 3)
    assert [rd(eu, 1, FIFO), rd(eu, 1, FIFO)] == [1, 3]
    assert rd(eu, 3, FIFO) == 2


def test_dispatch_pusher_in_the_team_never_overflows_the_others(eu):
    wr(eu, 0, TEAM, 0b11)
    for i in range(40):                              # core 0 never pops, as in pulp-runtime
        wr(eu, 0, FIFO, i)
        assert rd(eu, 1, FIFO) == i
    assert eu.stats()["dispatch_overruns"] == 0


def test_dispatch_lagging_core_loses_the_oldest(eu):
    wr(eu, 0, TEAM, 0b10)
    for i in range(10):
        wr(eu, 0, FIFO, 100 + i)
    assert rd(eu, 1, FIFO) == 102                    # 8-entry FIFO: 100, 101 overwritten
    assert eu.stats()["dispatch_overruns"] == 2


# ---------------------------------------------------------------- misc

def test_unknown_and_partial_accesses_are_ignored(eu):
    assert rd(eu, 0, d(0x60)) == 0                   # hardware loop unit: not modelled
    wr(eu, 0, d(0x64), 5)
    assert eu.read(eu.sim.harts[0], MASK, 2) == 0    # 16-bit access
    eu.write(eu.sim.harts[0], MASK, 1, 0xFF)
    assert rd(eu, 0, MASK) == 0
    assert rd(eu, 0, WAIT - DEMUX) == 0              # waits only through the demux
    assert eu.sim.sleeps == []
    assert eu.stats()["unknown_accesses"] == 5


def test_stats_report_waiting_cores(eu):
    rd(eu, 5, FIFO)
    rd(eu, 6, mutex(0))
    rd(eu, 7, mutex(0))
    assert eu.stats()["waiting"] == {"5": "dispatch", "7": "mutex 0"}
    assert eu.waiting_on(5) == "dispatch"
    assert eu.waiting_on(6) is None


# ---------------------------------------------------------------- simulated time
# Harts run in quanta: a core ahead in simulated time may reach the EU first (host order).
# Nobody may see an effect before its simulated time.

def test_event_sent_in_the_future_is_not_seen_early(eu):
    wr(eu, 0, sw_event(3), 1 << 1, at=1000)          # core 0 is ahead: arrives at 1001
    assert rd(eu, 1, BUFFER, at=500) == 0
    assert rd(eu, 1, BUFFER, at=1001) == 1 << 3
    wr(eu, 1, MASK, 1 << 3)
    assert rd(eu, 1, WAIT_CLEAR, at=600) == 0        # sleeps until the event arrives
    assert eu.sim.asleep == {1}
    eu.sim.run_until(1000)
    assert eu.sim.wakes == []
    eu.sim.run_until(1001)
    assert eu.sim.wakes == [(1, 1001)]
    # the core timing model restarts the load a few cycles before the event + 2
    assert rd(eu, 1, WAIT_CLEAR, at=999) == 1 << 3


def test_stale_scheduled_wake_is_ignored(eu):
    wr(eu, 0, sw_event(3), 1 << 1, at=1000)
    wr(eu, 1, MASK, (1 << 3) | (1 << 4))
    rd(eu, 1, WAIT_CLEAR, at=500)                    # wake-up scheduled at 1001
    wr(eu, 2, sw_event(4), 1 << 1, at=600)           # an earlier event ends the wait
    assert eu.sim.wakes == [(1, 601)]
    assert rd(eu, 1, WAIT_CLEAR, at=599) == 1 << 4   # event 3 is still on its way
    rd(eu, 1, WAIT_CLEAR, at=610)                    # waits again, for event 3
    eu.sim.run_until(2000)
    assert eu.sim.wakes == [(1, 601), (1, 1001)]     # one wake-up at 1001, not two
    assert rd(eu, 1, WAIT_CLEAR, at=999) == 1 << 3


def test_barrier_completes_at_the_latest_arrival(eu):
    wr(eu, 0, MASK, 1 << 16)
    wr(eu, 1, MASK, 1 << 16)
    wr(eu, 0, barrier(0, TRIGGER_MASK), 0b11)
    wr(eu, 0, barrier(0, TARGET_MASK), 0b11)
    rd(eu, 0, barrier(0, TRIG_WAIT_CLEAR), at=1000)  # core 0, ahead, arrives first
    assert rd(eu, 1, barrier(0, TRIG_WAIT_CLEAR), at=200) == 0   # core 1 completes it...
    assert eu.sim.wakes == [(0, 1001)]               # ...at core 0's arrival time
    assert eu.sim.asleep == {1}                      # and waits for that time too
    eu.sim.run_until(1001)
    assert eu.sim.wakes == [(0, 1001), (1, 1001)]
    assert rd(eu, 1, barrier(0, TRIG_WAIT_CLEAR), at=999) == 1 << 16
    assert rd(eu, 0, barrier(0, TRIG_WAIT_CLEAR), at=1001) == 1 << 16


def test_mutex_unlocked_in_the_future_is_still_taken(eu):
    rd(eu, 0, mutex(2), at=100)
    wr(eu, 0, mutex(2), 9, at=1000)                  # core 0 ahead: free from 1001
    rd(eu, 1, mutex(2), at=300)
    assert eu.sim.asleep == {1}
    assert rd(eu, 2, mutex(2), at=400) == 0          # core 1 owns it now: core 2 waits
    assert eu.sim.asleep == {1, 2}
    eu.sim.run_until(1001)
    assert eu.sim.wakes == [(1, 1001)]
    assert rd(eu, 1, mutex(2), at=999) == 9
    wr(eu, 1, mutex(2), 0, at=1010)
    assert eu.sim.wakes[-1] == (2, 1011)


def test_dispatch_pushed_in_the_future(eu):
    wr(eu, 0, TEAM, 0b11)
    wr(eu, 0, FIFO, 77, at=1000)
    rd(eu, 1, FIFO, at=200)
    assert eu.sim.asleep == {1}
    eu.sim.run_until(1001)
    assert eu.sim.wakes == [(1, 1001)]
    assert rd(eu, 1, FIFO, at=999) == 77
