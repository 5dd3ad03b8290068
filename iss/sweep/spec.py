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

EXTRA_METRICS = ("point_seconds",)
# Metric paths are checked against the stats a point's simulator reports before it runs
# (Simulator.stats: every key it will have, with the point's platform and peripherals), so
# no list of stats keys is kept here. A metric not found there is looked for in the stats
# of points with another platform (e.g. pcm_noise = true adds peripherals.ima.noise), up to
# this many of them.
METRIC_CHECK_POINTS = 16
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

    combos = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())] \
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
    _check_metrics(path, metrics, points)
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


def _check_metrics(path: Path, metrics: list, points: list) -> None:
    """Every metric is a path into the stats of some point (or an extra metric)."""
    pending = list(dict.fromkeys(m for m in metrics if m not in EXTRA_METRICS))
    reasons: dict = {}
    seen, errors = set(), []
    for point in points:
        if not pending or len(seen) == METRIC_CHECK_POINTS:
            break
        variant = (point.firmware.digest, point.platform_text, tuple(sorted(point.run.items())))
        if variant in seen:
            continue
        seen.add(variant)
        try:
            stats = stats_before_run(point)
        except IssError as e:       # a point that cannot be built fails when it runs
            errors.append(f"point {point.index}: {' '.join(str(e).splitlines())}")
            continue
        still = []
        for m in pending:
            why = stats_path_error(stats, m)
            if why is not None:
                reasons.setdefault(m, why)
                still.append(m)
        pending = still
    if pending and len(errors) == len(seen):
        raise SpecError(f"{path}: cannot check the metrics: no point's simulator could be "
                        f"built ({errors[0]})")
    if pending:
        raise SpecError(f"{path}: unknown metrics: {', '.join(pending)} "
                        f"({'; '.join(f'{m}: {reasons[m]}' for m in pending)}; "
                        f"or {', '.join(EXTRA_METRICS)})")


def stats_before_run(point) -> dict:
    """The stats JSON of the point's simulator before it ran: every key a run reports."""
    import io
    import tempfile
    from ..hart import Stop
    from ..simulator import RunResult, Simulator
    with tempfile.TemporaryDirectory(prefix="iss-spec-") as tmp:
        platform = Path(tmp) / "platform.toml"
        platform.write_text(point.platform_text)
        sim = Simulator(str(point.firmware.path), str(platform), output=io.StringIO(),
                        isa=point.run.get("isa", "auto"), timing=point.run.get("timing", "fast"))
    return sim.stats(RunResult(Stop("exit", sim.harts[0].pc, "not run"), [], 0.0))


def stats_path_error(stats: dict, metric: str) -> str | None:
    """None if `metric` (dotted, list items by index) is a path into `stats`, else why not.
    Below a table that is still empty before the run (keys that appear as the run goes,
    e.g. peripherals.ima.phase_cycles) any key is accepted."""
    value, where = stats, "the stats"
    for part in metric.split("."):
        if isinstance(value, dict):
            if not value and where != "the stats":
                return None
            if part not in value:
                keys = list(value)
                return (f"{where} has no '{part}' (it has {', '.join(keys[:12])}"
                        f"{', ...' if len(keys) > 12 else ''})")
            value = value[part]
        elif isinstance(value, list):
            if not (part.isdigit() and int(part) < len(value)):
                return f"{where} has items 0..{len(value) - 1}, not '{part}'"
            value = value[int(part)]
        else:
            return f"{where} is a value, with no '{part}'"
        where = part if where == "the stats" else f"{where}.{part}"
    return None


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
