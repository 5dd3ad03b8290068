"""Read and check a sweep spec (TOML) into its list of points.

```toml
[sweep]
name = "ima-roofline"
firmware = "ima_pointwise"      # shipped app name or ELF path (relative to this file); a list
                                # of them is a parameter 'firmware' (one value per variant)
platform = "default"            # base platform: "default" or a TOML path (relative to this file)
metrics = ["cycles", "peripherals.ima.busy_cycles", "wall_seconds"]   # stats JSON paths
timeout = 300                   # host seconds per point (the CLI's --timeout wins)
require_exit_zero = true        # a non-zero firmware exit status fails the point
build_isa = "corev"             # how shipped apps are compiled (corev or rv32imc)

[set]                           # values for every point
cores = 1
[grid]                          # every combination of these
"peripheral.ima.bus_bits" = [32, 64, 128, 256, 512]
peripheral.ima.execution = ["sequential", "pipelined"]    # dotted keys work unquoted too
[[point]]                       # explicit points, after the grid's
clock_hz = 100_000_000
```
Parameter names: `iss.sweep.overrides`. Metric names: a dotted path into the `iss-stats/1`
JSON (list items by index: `harts.0.cycles`) or `point_seconds` (host time of the whole point).
"""
from __future__ import annotations

import hashlib
import itertools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import IssError
from . import overrides

STATS_KEYS = ("schema", "firmware", "platform", "isa", "timing", "cores", "clock_hz",
              "stop_reason", "stop_hart", "exit_code", "message", "instructions", "cycles",
              "time_seconds", "wall_seconds", "mips", "harts", "peripherals", "energy")
EXTRA_METRICS = ("point_seconds",)
DEFAULT_METRICS = ("cycles", "instructions", "time_seconds", "wall_seconds")
SWEEP_KEYS = {"name", "firmware", "platform", "metrics", "timeout", "require_exit_zero",
              "build_isa"}
TABLES = {"sweep", "set", "grid", "point"}


class SpecError(IssError):
    """A sweep spec the user must fix (one line)."""


@dataclass(frozen=True)
class Firmware:
    label: str          # as written in the spec
    path: Path          # the ELF (built for shipped apps)
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Point:
    index: int
    params: dict        # the point's values of the sweep's parameters (the result columns)
    firmware: Firmware
    platform_text: str  # the platform TOML with every parameter applied
    run: dict           # isa, timing, max_instructions (those that are set)


@dataclass
class Spec:
    path: Path
    name: str
    parameters: list    # varying parameters, column order
    metrics: list
    points: list
    timeout: float | None
    require_exit_zero: bool


def load_spec(path, build_dir=None) -> Spec:
    """Parse and check the spec at `path`; build shipped apps into `build_dir`."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise SpecError(f"{path}: cannot read sweep spec: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{path}: invalid TOML: {e}") from None
    _unknown(path, "tables", set(data) - TABLES)
    sweep = data.get("sweep", {})
    _unknown(path, "[sweep] keys", set(sweep) - SWEEP_KEYS)
    base_text = _platform_text(path, sweep.get("platform", "default"))
    base = tomllib.loads(base_text)

    try:
        fixed = _flatten(data.get("set", {}), "set")
        grid = _flatten(data.get("grid", {}), "grid")
        points = data.get("point", [])
        explicit = [_flatten(p, "point") for p in (points if isinstance(points, list) else [0])]
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from None
    firmware = sweep.get("firmware")
    if isinstance(firmware, list):
        grid = {"firmware": firmware, **grid}
    elif firmware is not None:
        fixed.setdefault("firmware", firmware)
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise SpecError(f"{path}: [grid] '{name}' must be a non-empty list of values")
    names = list(dict.fromkeys([*fixed, *grid, *(k for p in explicit for k in p)]))
    bad = [f"{n} ({why})" for n in names if (why := overrides.check_parameter(n, base))]
    if bad:
        raise SpecError(f"{path}: unknown parameters: {'; '.join(bad)}")

    metrics = sweep.get("metrics", list(DEFAULT_METRICS))
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise SpecError(f"{path}: [sweep] metrics must be a list of strings")
    bad = [m for m in metrics if not _known_metric(m, base)]
    if bad:
        raise SpecError(f"{path}: unknown metrics: {', '.join(bad)} (a dotted path into the "
                        f"stats JSON under {', '.join(STATS_KEYS)}; or point_seconds)")

    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())] \
        if grid else []
    combos += explicit
    if not combos:
        combos = [{}]
    if all("firmware" not in {**fixed, **c} for c in combos):
        raise SpecError(f"{path}: no firmware: set [sweep] firmware (an app name or ELF path)")
    parameters = list(dict.fromkeys([*grid, *(k for p in explicit for k in p)]))
    build_isa = sweep.get("build_isa", "corev")
    cache: dict = {}
    points = []
    for i, combo in enumerate(combos):
        values = {**fixed, **combo}
        if "firmware" not in values:
            raise SpecError(f"{path}: point {i} has no firmware")
        label = values["firmware"]
        if label not in cache:
            cache[label] = _firmware(path, label, build_isa, build_dir)
        platform, run = overrides.apply(base, {k: v for k, v in values.items() if k != "firmware"})
        points.append(Point(i, {k: values.get(k) for k in parameters}, cache[label],
                            overrides.to_toml(platform), run))
    timeout = sweep.get("timeout")
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise SpecError(f"{path}: [sweep] timeout must be a positive number of seconds")
    return Spec(path, str(sweep.get("name", path.stem)), parameters, list(metrics), points,
                timeout, bool(sweep.get("require_exit_zero", True)))


def _unknown(path, what: str, names) -> None:
    if names:
        raise SpecError(f"{path}: unknown {what}: {', '.join(sorted(names))}")


def _flatten(table, where: str, prefix: str = "") -> dict:
    """{"peripheral": {"ima": {"bus_bits": 64}}} -> {"peripheral.ima.bus_bits": 64}."""
    if not isinstance(table, dict):
        raise SpecError(f"[{where}] must be a table of parameter = value")
    flat = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        flat.update(_flatten(value, where, name) if isinstance(value, dict) else {name: value})
    return flat


def _known_metric(metric: str, base: dict) -> bool:
    parts = metric.split(".")
    if metric in EXTRA_METRICS:
        return True
    if parts[0] not in STATS_KEYS:
        return False
    if parts[0] == "peripherals" and len(parts) > 1:
        return overrides.check_parameter(f"peripheral.{parts[1]}.base", base) is None
    if parts[0] == "harts" and len(parts) > 1:
        return parts[1].isdigit()
    return True


def _platform_text(spec: Path, platform) -> str:
    if platform == "default":
        from ..platform import DEFAULT_PLATFORM
        return resources.files("iss.platforms").joinpath(DEFAULT_PLATFORM).read_text()
    file = (spec.parent / str(platform))
    try:
        text = file.read_text()
        tomllib.loads(text)
    except OSError as e:
        raise SpecError(f"{spec}: cannot read platform {file}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{spec}: platform {file}: invalid TOML: {e}") from None
    return text


def _firmware(spec: Path, label, build_isa: str, build_dir) -> Firmware:
    """An ELF path (relative to the spec) or the name of a shipped app (built, cached)."""
    if not isinstance(label, str):
        raise SpecError(f"{spec}: firmware must be a string, got {label!r}")
    from .. import toolchain
    if label.endswith(".elf") or "/" in label:
        elf = spec.parent / label
    elif label in toolchain.list_apps():
        out = Path(build_dir) if build_dir else spec.parent / ".iss-sweep-cache" / "firmware"
        try:
            elf = toolchain.build_app(label, out / build_isa, isa=build_isa)
        except toolchain.ToolchainError as e:
            raise SpecError(f"{spec}: cannot build app '{label}': {e}") from None
    else:
        raise SpecError(f"{spec}: firmware '{label}' is neither an ELF path nor a shipped app "
                        f"(apps: {', '.join(toolchain.list_apps())})")
    try:
        return Firmware(label, elf, elf.read_bytes())
    except OSError as e:
        raise SpecError(f"{spec}: cannot read firmware {elf}: {e.strerror}") from None
