"""sim.observe (iss/observe.py): the events a Python program sees during a run agree with
what the firmware does and with the run's stats, and an observer can be removed."""
from __future__ import annotations

import io

from iss import Simulator
from iss.testing import FakeSim
from iss_plugins.trace_marker import BEGIN_ID, END, TraceMarker

IRQ_ENTRY_CYCLES = 4        # README "Interrupts": entry 4 cycles (GVSoC's RI5CY model)


def test_traps_and_returns(firmware_elf):
    """irq_timer_tick: core 0 takes timer interrupts until its handler has counted 20
    ticks (the firmware's TICKS) and returns from each with mret."""
    sim = Simulator(firmware_elf("irq_timer_tick"), output=io.StringIO())
    traps, returns = [], []
    sim.observe("trap", lambda hart, name, cycles, mepc: traps.append((hart.index, name, cycles)))
    sim.observe("trap_return", lambda hart: returns.append((hart.index, hart.cycles)))
    result = sim.run()
    assert result.exit_code == 0
    hart0 = result.stats["harts"][0]["traps"]
    assert len(traps) == hart0["interrupts"] + hart0["exceptions"] >= 20
    assert {index for index, _, _ in traps} == {0}
    assert all(name.startswith("irq ") and cycles == IRQ_ENTRY_CYCLES for _, name, cycles in traps)
    assert len(returns) in (len(traps), len(traps) - 1)     # the last handler may not return
    assert [c for _, c in returns] == sorted(c for _, c in returns)


def test_sleep_and_wake_add_up_to_the_sleep_cycles(firmware_elf):
    """cluster_events: 8 cores wait on events; each wake-up follows its sleep, and the
    slept time of each core is the sum of its (resume - start)."""
    sim = Simulator(firmware_elf("cluster_events"), output=io.StringIO())
    asleep: dict[int, int] = {}
    slept = [0] * len(sim.harts)
    wakes = [0]

    def on_sleep(hart):
        assert hart.index not in asleep
        asleep[hart.index] = hart.cycles

    def on_wake(hart, start, resume):
        assert asleep.pop(hart.index) == start and resume >= start
        slept[hart.index] += resume - start
        wakes[0] += 1

    sim.observe("sleep", on_sleep)
    sim.observe("wake", on_wake)
    result = sim.run()
    assert result.exit_code == 0 and wakes[0] > 8
    for h in result.stats["harts"]:
        if h["hart"] not in asleep:          # still asleep at the end: slept until the end
            assert slept[h["hart"]] == h["sleep_cycles"]


def test_slice_observer_and_remove(firmware_elf):
    """Every turn of a hart ends with a "slice" event whose counts only grow; once the
    observer is removed it is not called again."""
    sim = Simulator(firmware_elf("matmul_int8"), output=io.StringIO(), cores=1)
    seen = []
    stop_observing = sim.observe("slice", lambda hart, stop: seen.append(hart.instret))
    sim.advance(limit=20_000)
    stop_observing()
    count = len(seen)
    assert count >= 1 and seen == sorted(seen)
    result = sim.run()
    assert result.exit_code == 0 and len(seen) == count


def test_a_plugin_notifies_its_own_events():
    """A plugin's events reach the observers through the host (iss.testing.FakeSim):
    the trace marker's "mark"."""
    sim = FakeSim(cores=2)
    marker = TraceMarker(sim, "trace_marker", 0x1A10E000, 0x10, {})
    marks = []
    sim.observe("mark", lambda hart, kind, value, cycle: marks.append((hart.index, kind, value, cycle)))
    hart = sim.harts[1]
    hart.t = 40
    marker.write(hart, BEGIN_ID, 4, 7)
    hart.t = 90
    marker.write(hart, END, 4, 0)
    assert marks == [(1, "begin_id", 7, 40), (1, "end", 0, 90)]
    assert marker.stats() == {"begins": 1, "ends": 1, "instants": 0}
