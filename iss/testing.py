"""A stand-in host for unit tests of peripheral plugins (iss.host.PeripheralHost).

    from iss.testing import FakeSim
    sim = FakeSim()                                  # the default platform's memories
    dev = MyDevice(sim, "dev", 0x1A300000, 0x1000, {"latency": 5})
    hart = sim.harts[0]
    hart.t = 100                                     # the accessing instruction's cycle
    dev.write(hart, 0x0, 4, 1)
    sim.run_until(105)                               # fire what is due, in (time, order)
    assert sim.raised == [(line, core_mask, 105)]

It has the real shared memories of the default platform (or of `platform`), harts whose
clock the test sets, a (time, order) event heap, and logs of what the plugin asked for:
raised events, exits, sleeps and wakes, stalls. docs/plugins.md has a worked example.
"""
from __future__ import annotations

import heapq
import io
from collections.abc import Callable
from types import SimpleNamespace

from .memory import SharedMemory
from .observe import Observers
from .platform import Platform, load_platform


class FakeHart:
    """A core: `t` is the cycle its register accesses happen at (the test sets it)."""

    def __init__(self, index: int):
        self.index = self.core_id = index
        self.t = 0
        self.cycles = 0
        self.pc = 0
        self.state = "running"
        self.stalled = 0               # cycles peripherals held it for (stall())

    def now(self) -> int:
        return self.t

    def stall(self, cycles: int) -> None:
        self.stalled += cycles

    @property
    def halted(self) -> bool:
        return self.state == "halted"


class FakeSim:
    def __init__(self, cores: int = 8, entry: int = 0x1C000080, platform: Platform | None = None):
        self.platform = platform or load_platform()
        self.memory = SharedMemory(self.platform)
        self.harts = [FakeHart(i) for i in range(cores)]
        self.image = SimpleNamespace(entry=entry)
        self.output = io.StringIO()
        self.raised: list[tuple[int, int, int]] = []   # (line, core mask, time)
        self.exits: list[tuple[int, int]] = []         # (hart index, status)
        self.sleeps: list[int] = []                    # core ids, in order
        self.asleep: set[int] = set()                  # core ids asleep now
        self.wakes: list[tuple[int, int]] = []         # (core id, time)
        self.services: dict[str, object] = {}
        self.observers = Observers()
        self._events: list = []
        self._order = 0
        self.time = 0

    # ---- the host's services (iss/host.py) ---------------------------------------
    def now(self) -> int:
        return self.time

    def schedule(self, at, callback) -> None:
        heapq.heappush(self._events, (int(at), self._order, callback))
        self._order += 1

    def sleep(self, hart, until=None) -> None:
        assert hart.core_id not in self.asleep, f"core {hart.core_id} is already asleep"
        self.asleep.add(hart.core_id)
        self.sleeps.append(hart.core_id)
        if until is not None:
            self.schedule(until, lambda: self.wake(hart, until))

    def wake(self, hart, at) -> None:
        assert hart.core_id in self.asleep, f"woke core {hart.core_id}, which was not asleep"
        self.asleep.remove(hart.core_id)
        self.wakes.append((hart.core_id, at))

    def halt(self, hart) -> None:
        hart.state = "halted"

    def start(self, hart, pc, at) -> None:
        if hart.state == "halted":
            hart.pc, hart.cycles, hart.state = pc, max(hart.cycles, int(at)), "running"

    def raise_event(self, line, core_mask, at) -> None:
        self.raised.append((line, core_mask, at))

    def request_exit(self, hart, status) -> None:
        self.exits.append((hart.index, status))

    def provide(self, name: str, service: object) -> None:
        self.services[name] = service

    def service(self, name: str) -> object | None:
        return self.services.get(name)

    def observe(self, event: str, callback) -> Callable[[], None]:
        return self.observers.add(event, callback)

    def notify(self, event: str, *args) -> None:
        self.observers.notify(event, *args)

    # ---- the test's driver -----------------------------------------------------------
    def run_until(self, t: int) -> None:
        """Fire every scheduled callback due at or before cycle t, in (time, order)."""
        while self._events and self._events[0][0] <= t:
            self.time, _, callback = heapq.heappop(self._events)
            callback()
        self.time = max(self.time, t)

    def next_event_time(self) -> int | None:
        return self._events[0][0] if self._events else None
