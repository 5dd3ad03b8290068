"""A small stand-in for iss.simulator.Simulator, enough to drive peripheral plugins from
Python: real shared memories of the default platform, harts whose clock the test sets,
a (time, order) event heap and a log of raised events and exits."""
from __future__ import annotations

import heapq
from types import SimpleNamespace

from iss.memory import SharedMemory
from iss.platform import load_platform


class FakeHart:
    def __init__(self, index: int):
        self.index = self.core_id = index
        self.t = 0
        self.cycles = 0
        self.pc = 0
        self.state = "running"

    def now(self) -> int:
        return self.t


class FakeSim:
    def __init__(self, cores: int = 8, entry: int = 0x1C000080):
        self.platform = load_platform()
        self.memory = SharedMemory(self.platform)
        self.harts = [FakeHart(i) for i in range(cores)]
        self.image = SimpleNamespace(entry=entry)
        self.raised: list[tuple[int, int, int]] = []   # (line, core mask, time)
        self.exits: list[tuple[int, int]] = []         # (hart index, status)
        self._events: list = []
        self._order = 0
        self.time = 0

    # services of docs/cluster.md
    def now(self) -> int:
        return self.time

    def schedule(self, at, callback):
        heapq.heappush(self._events, (int(at), self._order, callback))
        self._order += 1

    def halt(self, hart):
        hart.state = "halted"

    def start(self, hart, pc, at):
        if hart.state == "halted":
            hart.pc, hart.cycles, hart.state = pc, max(hart.cycles, int(at)), "running"

    def raise_event(self, line, core_mask, at):
        self.raised.append((line, core_mask, at))

    def request_exit(self, hart, status):
        self.exits.append((hart.index, status))

    # test driver
    def run_until(self, t: int) -> None:
        """Fire every scheduled callback due at or before cycle t, in (time, order)."""
        while self._events and self._events[0][0] <= t:
            self.time, _, callback = heapq.heappop(self._events)
            callback()
        self.time = max(self.time, t)

    def next_event_time(self):
        return self._events[0][0] if self._events else None
