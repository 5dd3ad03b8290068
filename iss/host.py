"""What a peripheral plugin may use: its host (the simulator) and the harts that access it.

`iss.simulator.Simulator` implements `PeripheralHost`; `iss.testing.FakeSim` is a small
stand-in for unit tests of a plugin. A plugin written against these two Protocols (and
`iss.plugin.Peripheral`, `iss.schema.Field`, `iss.errors.PeripheralError`) keeps working
when the simulator's internals change; anything else on the simulator is internal.
Semantics of each service in simulated time: docs/plugins.md and docs/cluster.md.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TextIO

from .memory import SharedMemory
from .platform import Platform


class HartView(Protocol):
    """The core that performs a register access (the `hart` argument of read/write)."""

    index: int          # position in host.harts
    core_id: int        # the cluster's core id (mhartid & 0x1f)

    def now(self) -> int:
        """The cycle of the accessing instruction."""
        ...

    def stall(self, cycles: int) -> None:
        """Hold the accessing core for `cycles` more cycles (stall cause `peripheral`)."""
        ...

    @property
    def halted(self) -> bool:
        """The core is halted (not fetching: before a cluster controller starts it, or
        after it halts it)."""
        ...


class ElfEntry(Protocol):
    entry: int          # the firmware's entry point (where a started core begins)


class PeripheralHost(Protocol):
    """The services of the simulator a peripheral may use."""

    platform: Platform          # the checked platform file (memories, cores, clock_hz)
    memory: SharedMemory        # the platform's RAM: read/write/view by address
    harts: Sequence[HartView]   # every core, in hart index order
    image: ElfEntry             # the firmware (its entry point)
    output: TextIO              # where the firmware's output goes (stdout device)

    def now(self) -> int:
        """The cluster's time: the cycle of the earliest runnable core."""
        ...

    def schedule(self, at: int, callback: Callable[[], None]) -> None:
        """Call `callback()` once the cluster reaches cycle `at` (time, then order)."""
        ...

    def sleep(self, hart: HartView, until: int | None = None) -> None:
        """From read(): the load does not complete; the core sleeps and runs it again when
        woken (by wake(), or by itself at cycle `until`)."""
        ...

    def wake(self, hart: HartView, at: int) -> None:
        """Make a sleeping core runnable at cycle `at`."""
        ...

    def raise_event(self, line: int, core_mask: int, at: int) -> None:
        """Deliver event `line` to the cores of `core_mask` at cycle `at` (event unit)."""
        ...

    def start(self, hart: HartView, pc: int, at: int) -> None:
        """Start a halted core at `pc` from cycle `at`."""
        ...

    def halt(self, hart: HartView) -> None:
        """Stop a core's instruction fetch."""
        ...

    def request_exit(self, hart: HartView, status: int) -> None:
        """End the run with exit status `status` (end-of-computation devices)."""
        ...

    def provide(self, name: str, service: object) -> None:
        """Offer a service to the other plugins and the simulator under `name` (the event
        unit is "event_unit", the HWPEs' shared TCDM port "hwpe_port")."""
        ...

    def service(self, name: str) -> object | None:
        """The service provided under `name`, None if no plugin provides it (the timeline
        trace of `iss run --trace`, when it runs, is "timeline": iss/trace.py)."""
        ...

    def notify(self, event: str, *args: object) -> None:
        """Tell the run's observers (`sim.observe`, iss/observe.py) that `event` happened;
        a plugin documents the events it notifies and their arguments."""
        ...
