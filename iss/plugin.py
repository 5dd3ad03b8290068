"""Peripheral plugin API.

A peripheral model subclasses `Peripheral`, uses the simulator only through the services
of iss/host.py (`PeripheralHost`, `HartView`; docs/plugins.md), is registered under a name in the
`iss.plugins` entry-point group (so another package can add its own) and is
instantiated from a platform TOML `[[peripheral]]` table. Register accesses
arrive through Unicorn MMIO callbacks (`read`/`write`, offsets relative to the
peripheral's base); they are rare events, so plain Python is fine here.

Parameters (the other keys of the `[[peripheral]]` table) are declared in the class's
`PARAMS` table of `Field`s (type, default, range: iss/schema.py) and read with
`self.param(key)`, so a wrong type, a value out of range or an unknown key is a one-line
PlatformError naming `peripheral.<name>.<key>` before anything runs. A plugin that leaves
`PARAMS` at None reads `self.params` itself and gets no checks.
"""
from __future__ import annotations

import importlib
import tomllib
from dataclasses import replace
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from .errors import PlatformError
from .host import HartView, PeripheralHost
from .platform import MemorySpec, check_disjoint
from .schema import Field, show


class Peripheral:
    """Base class: override `read`/`write`; `stats` feeds the run's JSON stats."""

    accelerator = False     # True for HWPEs (listed by the debugger's `info accel`)
    PARAMS: dict[str, Field] | None = None     # the parameters it takes, None: unchecked
    # the energy model's component this device's counts go to ("ima", "dw", "dma"; see
    # `energy_counts`), also its name for `iss run --trace-filter`; None: it costs nothing
    energy_kind: str | None = None

    def __init__(self, sim: PeripheralHost, name: str, base: int, size: int, params: dict):
        self.sim = sim
        self.name = name
        self.base = base
        self.size = size
        self.params = params
        if self.PARAMS is not None:
            unknown = sorted(set(params) - set(self.PARAMS))
            if unknown:
                raise PlatformError(f"{self._where()}: unknown parameters {', '.join(unknown)} "
                                    f"(known: {', '.join(sorted(self.PARAMS)) or 'none'})")

    def _source(self) -> str:
        # stand-in simulators of the tests may carry a platform without a source file
        return getattr(self.sim.platform, "source", "<platform>")

    def _where(self) -> str:
        return f"{self._source()}: peripheral.{self.name}"

    def param(self, key: str, **narrower) -> Any:
        """Parameter `key` checked against PARAMS[key] (or its default); `narrower` replaces
        fields of the declared Field for bounds known only now (e.g. lo=size)."""
        if self.PARAMS is None:
            raise TypeError(f"{type(self).__name__}.param({key!r}): PARAMS is None "
                            f"(an unchecked plugin reads self.params)")
        spec = self.PARAMS[key]
        if narrower:
            spec = replace(spec, **narrower)
        return spec.read(self.params, key, self._source(), f"peripheral.{self.name}")

    def memory_param(self, key: str) -> MemorySpec:
        """A parameter naming one of the platform's memories (e.g. the TCDM a DMA uses)."""
        name = self.param(key)
        memory = self.sim.platform.memory_named(name)
        if memory is None:
            known = ", ".join(m.name for m in self.sim.platform.memories)
            raise PlatformError(f"{self._where()}.{key} = {show(name)}: the platform has no "
                                f"memory of that name (memories: {known})")
        return memory

    def bad_param(self, key: str, why: str) -> PlatformError:
        """The error for a parameter that passed its Field but not a plugin-specific check."""
        return PlatformError(f"{self._where()}.{key} = {show(self.params.get(key))}: {why}")

    def ranges(self) -> list[tuple[int, int]]:
        """Address windows (base, size) the peripheral answers in. Offsets given to
        read/write are relative to `base` in every window (an alias window above base
        gives offsets >= size)."""
        return [(self.base, self.size)]

    def read(self, hart: HartView, offset: int, size: int) -> int:
        return 0

    def write(self, hart: HartView, offset: int, size: int, value: int) -> None:
        pass

    def finish(self) -> None:
        """Called once when the run ends (flush buffers...)."""

    def stats(self) -> dict:
        return {}

    @classmethod
    def energy_counts(cls, stats: dict) -> dict[str, float]:
        """The events of one of this device's `stats()` dicts that the energy model charges
        (iss/energy.py COUNTS: "dma" bytes, "mvms", "ima_bytes", "macs", "dw_bytes"). A
        classmethod: the model also prices the stats of a finished run. None by default."""
        return {}


def build_peripherals(sim) -> list[Peripheral]:
    """The platform's peripherals, built in file order, then every address window they
    answer in (alias windows included) checked against the memories and each other: an
    overlap would shadow a device or make Unicorn refuse the mapping at the first hart."""
    source = sim.platform.source
    peripherals = []
    for spec in sim.platform.peripherals:
        try:
            cls = find_plugin(spec.plugin)
        except PlatformError as e:
            raise PlatformError(f"{source}: peripheral.{spec.name}.plugin: {e}") from None
        peripherals.append(cls(sim, spec.name, spec.base, spec.size, spec.params))
    windows = [(m.base, m.size, f"memory.{m.name}") for m in sim.platform.memories]
    for p in peripherals:
        windows += [(base, size, f"peripheral.{p.name}" + (f" window {i}" if i else ""))
                    for i, (base, size) in enumerate(p.ranges())]
    check_disjoint(source, windows)
    return peripherals


_LOCAL_PLUGINS: dict[str, type[Peripheral]] = {}


def register_plugin(name: str, cls: type[Peripheral]) -> None:
    """Make `cls` the plugin called `name` in this process (the Python API: a peripheral
    model defined in a script or notebook, without a package and its entry point)."""
    if not (isinstance(cls, type) and issubclass(cls, Peripheral)):
        raise TypeError(f"register_plugin: {cls!r} is not a subclass of iss.plugin.Peripheral")
    _LOCAL_PLUGINS[name] = cls


def find_plugin(name: str) -> type[Peripheral]:
    if name in _LOCAL_PLUGINS:
        return _LOCAL_PLUGINS[name]
    registered = _registered_plugins()
    if name in registered:
        return registered[name].load()
    builtin = _builtin_plugins()
    if name in builtin:
        return _load(builtin[name])
    known = sorted(set(registered) | set(builtin) | set(_LOCAL_PLUGINS))
    raise PlatformError(f"unknown peripheral plugin '{name}' (known: {', '.join(known)})")


@lru_cache(maxsize=1)
def _registered_plugins() -> dict:
    """The `iss.plugins` entry points by name (scanning the installed distributions costs
    ~25 ms, once per process is enough)."""
    return {ep.name: ep for ep in entry_points(group="iss.plugins")}


def _builtin_plugins() -> dict[str, str]:
    """Fallback when the package metadata is not installed (running from a checkout): the
    `iss.plugins` entry points of the checkout's pyproject.toml, name -> "module:Class"."""
    path = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        return dict(tomllib.loads(path.read_text())["project"]["entry-points"]["iss.plugins"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return {}


def _load(target: str) -> type[Peripheral]:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)
