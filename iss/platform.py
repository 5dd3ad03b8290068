"""Platform description: memories, peripherals and core count, read from a TOML file."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .energy import check_overrides
from .errors import PlatformError
from .inputfile import read_input
from .schema import ADDRESS_SPACE, REQUIRED, Field, show

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


# The platform file's schema (README "Platform description (TOML)"); checked by load_platform
# before anything is built. Peripheral tables carry plugin parameters besides PERIPHERAL_KEYS:
# each plugin checks its own (Peripheral.param in iss/plugin.py).
MAX_CORES = 16                   # core id field of mhartid: bits 3:0
PAGE = 4096                      # memories are mapped in whole Unicorn pages
TOP_KEYS = {
    "name": Field(str, "unnamed"),
    "cores": Field(int, 1, 1, MAX_CORES),
    "cluster_id": Field(int, 0, 0, 63),              # mhartid bits 10:5
    "clock_hz": Field(int, 500_000_000, 1, 10**12),
    "memory": Field(list, [], what="an array of tables ([[memory]])"),
    "peripheral": Field(list, [], what="an array of tables ([[peripheral]])"),
    "energy": Field(dict, {}),                       # checked by energy.check_overrides
}
MEMORY_KEYS = {
    "name": Field(str, None),                        # default: mem<index>
    "base": Field(int, REQUIRED, 0, ADDRESS_SPACE - PAGE, align=PAGE, hex=True),
    "size": Field(int, REQUIRED, PAGE, ADDRESS_SPACE, align=PAGE, hex=True),
}
PERIPHERAL_KEYS = {
    "name": Field(str, None),                        # default: the plugin's name
    "plugin": Field(str),
    "base": Field(int, REQUIRED, 0, ADDRESS_SPACE - 1, hex=True),
    "size": Field(int, REQUIRED, 1, ADDRESS_SPACE, hex=True),
}


def load_platform(path: str | Path | None = None, overrides: dict | None = None) -> Platform:
    """The platform file at `path` (None: the default platform), with `overrides` applied:
    {parameter: value} with the parameter names of `iss sweep` (`cores`, `clock_hz`,
    `memory.NAME.size`, `peripheral.NAME.KEY`, `energy.CONSTANT`), and `peripheral.NAME`
    = {"plugin": ..., "base": ..., "size": ..., params...} to add a peripheral. Everything
    is checked as a platform file is (PlatformError, one line)."""
    if overrides:
        return _with_overrides(path, overrides)
    if path is None:
        text = resources.files("iss.platforms").joinpath(DEFAULT_PLATFORM).read_text()
        source = f"<default {DEFAULT_PLATFORM}>"
    else:
        source = str(path)
        text = _decode(read_input(path, PlatformError, "a platform file"), source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PlatformError(f"{source}: invalid TOML: {e}") from None
    except RecursionError:          # tomllib recurses once per nested array or inline table
        raise PlatformError(f"{source}: invalid TOML: arrays or tables nested too deeply") from None
    return _build(data, source)


def _with_overrides(path, overrides: dict) -> Platform:
    import copy
    from .sweep import overrides as sweep_overrides
    base = load_platform(path)                       # the file itself is checked first
    source = f"{base.source} with overrides"
    if path is None:
        text = resources.files("iss.platforms").joinpath(DEFAULT_PLATFORM).read_text()
    else:
        text = _decode(read_input(path, PlatformError, "a platform file"), base.source)
    data = copy.deepcopy(tomllib.loads(text))
    values = {}
    for name, value in overrides.items():
        kind, _, rest = str(name).partition(".")
        if kind in ("peripheral", "memory") and rest and "." not in rest:     # a new table
            if not isinstance(value, dict):
                raise PlatformError(f"{source}: {name}: expected a table (dict) of its keys")
            tables = data.setdefault(kind, [])
            tables[:] = [t for t in tables if t.get("name") != rest]
            tables.append({"name": rest, **value})
        elif name in sweep_overrides.RUN_PARAMETERS:
            raise PlatformError(f"{source}: {name} is not a platform parameter (a Simulator "
                                f"argument)")
        else:
            values[name] = value
    bad = [f"{n} ({why})" for n in values if (why := sweep_overrides.check_parameter(n, data))]
    if bad:
        raise PlatformError(f"{source}: unknown parameters: {'; '.join(bad)}")
    data, _ = sweep_overrides.apply(data, values)
    return _build(data, source)


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise PlatformError(f"{source}: line {line}: not UTF-8 text (byte 0x{raw[e.start]:02x} at "
                            f"offset {e.start}); TOML files are UTF-8") from None


def _build(data: dict, source: str) -> Platform:
    _check_known(data, TOP_KEYS, source, "")
    top = {key: field.read(data, key, source) for key, field in TOP_KEYS.items()
           if key not in ("memory", "peripheral", "energy")}
    memories = [_memory(t, i, source) for i, t in enumerate(_tables(data, "memory", source))]
    if not memories:
        raise PlatformError(f"{source}: no [[memory]] table: a platform needs at least one memory")
    peripherals = [_peripheral(t, i, source)
                   for i, t in enumerate(_tables(data, "peripheral", source))]
    _check_unique_names(memories, "memory", source)
    _check_unique_names(peripherals, "peripheral", source)
    check_disjoint(source, [(m.base, m.size, f"memory.{m.name}") for m in memories]
                   + [(p.base, p.size, f"peripheral.{p.name}") for p in peripherals])
    return Platform(name=top["name"], cores=top["cores"], cluster_id=top["cluster_id"],
                    clock_hz=top["clock_hz"], memories=tuple(memories),
                    peripherals=tuple(peripherals), source=source,
                    energy=check_overrides(data.get("energy", {}), f"{source}: [energy]"))


def _check_known(table: dict, keys: dict, source: str, prefix: str) -> None:
    unknown = sorted(set(table) - set(keys))
    if unknown:
        where = f"{source}: {prefix}" if prefix else source
        raise PlatformError(f"{where}: unknown keys: {', '.join(unknown)} "
                            f"(known: {', '.join(keys)})")


def _tables(data: dict, key: str, source: str) -> list[dict]:
    """The [[key]] array of tables (TOML also allows `key = [...]` of inline tables)."""
    items = TOP_KEYS[key].read(data, key, source)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise PlatformError(f"{source}: {key}[{i}] = {show(item)}: expected a table "
                                f"([[{key}]])")
    return items


def _memory(table: dict, index: int, source: str) -> MemorySpec:
    prefix = f"memory[{index}]"
    _check_known(table, MEMORY_KEYS, source, prefix)
    name = MEMORY_KEYS["name"].read(table, "name", source, prefix) or f"mem{index}"
    prefix = f"memory.{name}"
    return MemorySpec(name, MEMORY_KEYS["base"].read(table, "base", source, prefix),
                      MEMORY_KEYS["size"].read(table, "size", source, prefix))


def _peripheral(table: dict, index: int, source: str) -> PeripheralSpec:
    prefix = f"peripheral[{index}]"
    plugin = PERIPHERAL_KEYS["plugin"].read(table, "plugin", source, prefix)
    name = PERIPHERAL_KEYS["name"].read(table, "name", source, prefix) or plugin
    prefix = f"peripheral.{name}"
    params = {k: v for k, v in table.items() if k not in PERIPHERAL_KEYS}
    return PeripheralSpec(name, plugin, PERIPHERAL_KEYS["base"].read(table, "base", source, prefix),
                          PERIPHERAL_KEYS["size"].read(table, "size", source, prefix), params)


def _check_unique_names(specs: list, kind: str, source: str) -> None:
    seen = set()
    for spec in specs:
        if spec.name in seen:
            raise PlatformError(f"{source}: two [[{kind}]] tables named '{spec.name}': names "
                                f"must be unique")
        seen.add(spec.name)


def check_disjoint(source: str, windows: list[tuple[int, int, str]]) -> None:
    """Address windows (base, size, label) must lie in the 32-bit space without overlapping:
    an overlap would shadow a memory or a device, or make Unicorn refuse the mapping."""
    for base, size, label in windows:
        if base + size > ADDRESS_SPACE:
            raise PlatformError(f"{source}: {label} (0x{base:x}, 0x{size:x} bytes) ends beyond "
                                f"the 32-bit address space")
    ordered = sorted(windows)
    for (b0, s0, n0), (b1, s1, n1) in zip(ordered, ordered[1:], strict=False):
        if b1 < b0 + s0:
            raise PlatformError(f"{source}: {n0} (0x{b0:08x}-0x{b0 + s0:08x}) overlaps {n1} "
                                f"(0x{b1:08x}-0x{b1 + s1:08x})")
