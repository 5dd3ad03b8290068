"""A point's parameters applied to a platform description (the parsed TOML), and back to TOML.

Parameter names are dotted paths:
  firmware, isa, timing, max_instructions   how the point runs (`iss run` options)
  cores, clock_hz, cluster_id, name          top-level platform keys
  memory.NAME.base / .size                   a [[memory]] table, by name
  peripheral.NAME.KEY                        a [[peripheral]] table, by name: any plugin parameter
  energy.CONSTANT                            an [energy] override (docs/energy.md)
"""
from __future__ import annotations

import copy
import json
import math

RUN_PARAMETERS = ("firmware", "isa", "timing", "max_instructions")
TOP_LEVEL = ("cores", "clock_hz", "cluster_id", "name")
_FIXED_PERIPHERAL_KEYS = ("base", "size")


def _named(tables: list, name: str, default_key: str | None = None) -> dict | None:
    for t in tables:
        if t.get("name", t.get(default_key) if default_key else None) == name:
            return t
    return None


def check_parameter(path: str, platform: dict) -> str | None:
    """None if `path` names something of this platform, else why not (a short phrase)."""
    if path in RUN_PARAMETERS or path in TOP_LEVEL:
        return None
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "memory":
        if _named(platform.get("memory", []), parts[1]) is None:
            return f"no memory named '{parts[1]}'"
        return None if parts[2] in ("base", "size") else "a memory has only base and size"
    if len(parts) == 3 and parts[0] == "peripheral":
        table = _named(platform.get("peripheral", []), parts[1], "plugin")
        if table is None:
            return f"no peripheral named '{parts[1]}'"
        known = set(table) | set(_FIXED_PERIPHERAL_KEYS) | _plugin_parameters(table["plugin"])
        known -= {"name", "plugin"}
        return None if parts[2] in known else \
            f"'{parts[1]}' has no parameter '{parts[2]}' (known: {', '.join(sorted(known))})"
    if len(parts) == 2 and parts[0] == "energy":
        from ..energy import DEFAULTS
        return None if parts[1] in DEFAULTS else f"no energy constant '{parts[1]}'"
    return "not a run option, platform key, memory.*, peripheral.* or energy.* path"


def _plugin_parameters(plugin: str) -> set:
    """The parameter names a plugin declares (a module-level PARAMS set), if it does."""
    import sys
    try:
        from ..plugin import find_plugin
        cls = find_plugin(plugin)
    except Exception:      # an unknown plugin is the platform's error, reported when it loads
        return set()
    return set(getattr(cls, "PARAMS", None) or getattr(sys.modules[cls.__module__], "PARAMS", ()))


def apply(platform: dict, params: dict) -> tuple[dict, dict]:
    """(platform with the parameters applied, the run options among them)."""
    data = copy.deepcopy(platform)
    run = {}
    for path, value in params.items():
        parts = path.split(".")
        if path in RUN_PARAMETERS:
            run[path] = value
        elif len(parts) == 1:
            data[path] = value
        elif parts[0] == "energy":
            data.setdefault("energy", {})[parts[1]] = value
        else:
            kind = parts[0]
            _named(data[kind], parts[1], "plugin" if kind == "peripheral" else None)[parts[2]] = value
    return data, run


def to_toml(data: dict) -> str:
    """TOML text of a platform description (scalars, tables, arrays of tables)."""
    lines = [f"{k} = {_value(v)}" for k, v in data.items() if not _is_table(v) and not _is_tables(v)]
    for k, v in data.items():
        if _is_table(v):
            lines += ["", f"[{k}]", *(f"{kk} = {_value(vv)}" for kk, vv in v.items())]
        elif _is_tables(v):
            for t in v:
                lines += ["", f"[[{k}]]", *(f"{kk} = {_value(vv)}" for kk, vv in t.items())]
    return "\n".join(lines) + "\n"


def _is_table(v) -> bool:
    return isinstance(v, dict)


def _is_tables(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(t, dict) for t in v)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return ("nan" if math.isnan(v) else "inf" if v > 0 else "-inf") if not math.isfinite(v) \
            else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {v!r} as TOML")
