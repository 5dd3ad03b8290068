"""Platform description: memories, peripherals and core count, read from a TOML file."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .energy import check_overrides
from .errors import PlatformError

DEFAULT_PLATFORM = "pulp_imc_cluster.toml"


@dataclass(frozen=True)
class MemorySpec:
    name: str
    base: int
    size: int

    @property
    def end(self) -> int:
        return self.base + self.size


@dataclass(frozen=True)
class PeripheralSpec:
    name: str
    plugin: str
    base: int
    size: int
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Platform:
    name: str
    cores: int
    cluster_id: int
    clock_hz: int
    memories: tuple[MemorySpec, ...]
    peripherals: tuple[PeripheralSpec, ...]
    source: str
    energy: dict = field(default_factory=dict)    # [energy] overrides (iss/energy.py)

    def memory_named(self, name: str) -> MemorySpec | None:
        return next((m for m in self.memories if m.name == name), None)

    def memory_at(self, address: int) -> MemorySpec | None:
        for m in self.memories:
            if m.base <= address < m.end:
                return m
        return None


def load_platform(path: str | Path | None = None) -> Platform:
    if path is None:
        text = resources.files("iss.platforms").joinpath(DEFAULT_PLATFORM).read_text()
        source = f"<default {DEFAULT_PLATFORM}>"
    else:
        try:
            text = Path(path).read_text()
        except OSError as e:
            raise PlatformError(f"{path}: cannot read platform file: {e.strerror}") from None
        source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PlatformError(f"{source}: invalid TOML: {e}") from None
    return _build(data, source)


def _int(table: dict, key: str, where: str, default=None) -> int:
    value = table.get(key, default)
    if value is None:
        raise PlatformError(f"{where}: missing '{key}'")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PlatformError(f"{where}: '{key}' must be a non-negative integer, got {value!r}")
    return value


def _build(data: dict, source: str) -> Platform:
    known = {"name", "cores", "cluster_id", "clock_hz", "memory", "peripheral", "energy"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise PlatformError(f"{source}: unknown keys: {', '.join(unknown)}")
    memories = []
    for i, m in enumerate(data.get("memory", [])):
        where = f"{source}: memory[{i}]"
        spec = MemorySpec(str(m.get("name", f"mem{i}")), _int(m, "base", where), _int(m, "size", where))
        if spec.base % 4096 or spec.size % 4096 or spec.size == 0:
            raise PlatformError(f"{where}: base and size must be non-zero multiples of 4096")
        memories.append(spec)
    if not memories:
        raise PlatformError(f"{source}: no [[memory]] defined")
    peripherals = []
    for i, p in enumerate(data.get("peripheral", [])):
        where = f"{source}: peripheral[{i}]"
        if "plugin" not in p:
            raise PlatformError(f"{where}: missing 'plugin'")
        params = {k: v for k, v in p.items() if k not in ("name", "plugin", "base", "size")}
        peripherals.append(PeripheralSpec(str(p.get("name", p["plugin"])), str(p["plugin"]),
                                          _int(p, "base", where), _int(p, "size", where), params))
    regions = [(m.base, m.end, f"memory '{m.name}'") for m in memories]
    regions += [(p.base, p.base + p.size, f"peripheral '{p.name}'") for p in peripherals]
    regions.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(regions, regions[1:]):
        if b1 < e0:
            raise PlatformError(f"{source}: {n0} overlaps {n1}")
    cores = _int(data, "cores", source, 1)
    if not 1 <= cores <= 16:
        raise PlatformError(f"{source}: 'cores' must be 1..16, got {cores}")
    return Platform(name=str(data.get("name", "unnamed")), cores=cores,
                    cluster_id=_int(data, "cluster_id", source, 0),
                    clock_hz=_int(data, "clock_hz", source, 500_000_000),
                    memories=tuple(memories), peripherals=tuple(peripherals), source=source,
                    energy=check_overrides(data.get("energy", {}), f"{source}: [energy]"))
