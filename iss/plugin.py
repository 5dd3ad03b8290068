"""Peripheral plugin API.

A peripheral model subclasses `Peripheral`, is registered under a name in the
`iss.plugins` entry-point group (so another package can add its own) and is
instantiated from a platform TOML `[[peripheral]]` table. Register accesses
arrive through Unicorn MMIO callbacks (`read`/`write`, offsets relative to the
peripheral's base); they are rare events, so plain Python is fine here.
"""
from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from .errors import PlatformError


class Peripheral:
    """Base class: override `read`/`write`; `stats` feeds the run's JSON stats."""

    accelerator = False     # True for HWPEs (listed by the debugger's `info accel`)

    def __init__(self, sim, name: str, base: int, size: int, params: dict):
        self.sim = sim
        self.name = name
        self.base = base
        self.size = size
        self.params = params

    def ranges(self) -> list[tuple[int, int]]:
        """Address windows (base, size) the peripheral answers in. Offsets given to
        read/write are relative to `base` in every window (an alias window above base
        gives offsets >= size)."""
        return [(self.base, self.size)]

    def read(self, hart, offset: int, size: int) -> int:
        return 0

    def write(self, hart, offset: int, size: int, value: int) -> None:
        pass

    def finish(self) -> None:
        """Called once when the run ends (flush buffers...)."""

    def stats(self) -> dict:
        return {}


def find_plugin(name: str) -> type[Peripheral]:
    registered = _registered_plugins()
    if name in registered:
        return registered[name].load()
    builtin = _builtin_plugins()
    if name in builtin:
        return builtin[name]
    known = sorted(set(registered) | set(builtin))
    raise PlatformError(f"unknown peripheral plugin '{name}' (known: {', '.join(known)})")


@lru_cache(maxsize=1)
def _registered_plugins() -> dict:
    """The `iss.plugins` entry points by name (scanning the installed distributions costs
    ~25 ms, once per process is enough)."""
    return {ep.name: ep for ep in entry_points(group="iss.plugins")}


def _builtin_plugins() -> dict[str, type[Peripheral]]:
    """Fallback when the package metadata is not installed (running from a checkout)."""
    from iss_plugins.cluster_ctrl import ClusterCtrl
    from iss_plugins.cluster_dma import ClusterDma
    from iss_plugins.cluster_timer import ClusterTimer
    from iss_plugins.dw_accel import DwAccel
    from iss_plugins.event_unit import EventUnit
    from iss_plugins.ima import Ima
    from iss_plugins.soc_ctrl import SocControl
    from iss_plugins.stdout import StdoutPeripheral
    from iss_plugins.trace_marker import TraceMarker
    return {"stdout": StdoutPeripheral, "soc_ctrl": SocControl, "cluster_dma": ClusterDma,
            "cluster_timer": ClusterTimer, "cluster_ctrl": ClusterCtrl, "event_unit": EventUnit,
            "trace_marker": TraceMarker,
            "dw_accel": DwAccel, "ima": Ima}
