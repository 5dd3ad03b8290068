"""Per-function profile of a run (`iss run --profile`, docs/profiling.md).

Nothing is measured per instruction in Python. At the end of the run, for every hart:
- per-instruction execution counts = cumsum of the hart's difference array (hooks.block_hook);
- instructions and static cycles / static stalls = counts x the load-time tables
  (mem.prefix, timing.prefix, timing.stalls);
- dynamic cycles (taken branches, misaligned jump targets, div, hardware-loop load-use,
  misaligned / TCDM accesses, peripheral stalls, sleep) come from a per-halfword table the
  native hooks and the simulator fill only while profiling (CTX_PROFILE != 0: `enable`).
Per-halfword values are then summed over ELF function ranges (prefix sums), or over DWARF
line-table rows for `--profile-lines FUNCTION`. Per hart, the rows add up exactly to the
hart's instructions and cycles; anything the tables cannot place (code outside the
executable segments, a halted core's start time) is an explicit `(unattributed)` row.
"""
from __future__ import annotations

import bisect

import numpy as np

from .hart_state import (PROF_BRANCH, PROF_CAUSES, PROF_DIV, PROF_JUMP, PROF_LOAD_USE,
                         PROF_MISALIGNED, PROF_PERIPHERAL, PROF_SLEEP, PROF_SYNC, PROF_TCDM)

# the stats' stall causes (Simulator.hart_stats), in that order
STALLS = ("load_use", "jump", "branch", "mulh", "div", "csr", "elw", "misaligned", "tcdm",
          "peripheral", "sync")
COLUMNS = ("instructions", "cycles", "sleep_cycles") + STALLS
UNATTRIBUTED = "(unattributed)"


def enable(sim) -> None:
    """Allocate the dynamic-cycle tables and switch the native attribution on (before run)."""
    halfwords = len(sim.timing.prefix) - 1
    for hart in sim.harts:
        hart.dynamic = np.zeros((max(halfwords, 1), PROF_CAUSES), np.int64)
        hart.native.profile_table = hart.dynamic.ctypes.data


def per_instruction(sim, hart) -> tuple[np.ndarray, np.ndarray]:
    """(k, values): the halfword indices k of the code range where this hart spent something
    and int64 values[len(k), COLUMNS] (an instruction's values sit on its first halfword,
    dynamic ones on any of its halfwords)."""
    timing = sim.timing
    n = len(timing.prefix) - 1
    count = np.cumsum(hart.executed)[:n]
    dyn = hart.dynamic[:n] if hart.dynamic is not None else None
    touched = count != 0
    if dyn is not None:
        touched |= dyn.any(axis=1)
    k = np.flatnonzero(touched)
    count = count[k]
    starts = sim.memory.prefix[k + 1].astype(np.int64) - sim.memory.prefix[k]
    cost = timing.prefix[k + 1].astype(np.int64) - timing.prefix[k]
    static = timing.stalls[k] * count[:, None]        # load_use, jump, mulh, csr, elw
    dyn = dyn[k] if dyn is not None else np.zeros((len(k), PROF_CAUSES), np.int64)
    out = np.empty((len(k), len(COLUMNS)), np.int64)
    out[:, 0] = count * starts
    out[:, 1] = count * cost + dyn.sum(axis=1)
    out[:, 2] = dyn[:, PROF_SLEEP]
    stalls = (static[:, 0] + dyn[:, PROF_LOAD_USE], static[:, 1] + dyn[:, PROF_JUMP],
              dyn[:, PROF_BRANCH], static[:, 2], dyn[:, PROF_DIV], static[:, 3], static[:, 4],
              dyn[:, PROF_MISALIGNED], dyn[:, PROF_TCDM], dyn[:, PROF_PERIPHERAL],
              dyn[:, PROF_SYNC])
    for i, column in enumerate(stalls):
        out[:, 3 + i] = column
    return k, out


def function_ranges(image, base: int, end: int) -> list[tuple[int, int, str]]:
    """(start, end, name) covering [base, end): ELF functions, gaps named after the closest
    symbol (assembly labels such as `_start`) or `(no symbol)`."""
    funcs = sorted((a, s, name) for a, s, name in image.functions if base <= a < end)
    labels = sorted((a, name) for name, a in image.symbols.items() if base <= a < end)
    label_at = [a for a, _ in labels]

    def gap(lo, hi):
        i = bisect.bisect_right(label_at, lo) - 1
        j = bisect.bisect_left(label_at, hi)
        name = labels[i][1] if i >= 0 else (labels[j - 1][1] if j > 0 else "(no symbol)")
        return (lo, hi, name)

    out, pos = [], base
    for i, (a, size, name) in enumerate(funcs):
        if a < pos:                                   # alias of a function already placed
            continue
        nxt = next((f[0] for f in funcs[i + 1:] if f[0] > a), end)
        if a > pos:
            out.append(gap(pos, a))
        stop = min(a + size, nxt) if size else nxt
        out.append((a, stop, name))
        pos = stop
    if pos < end:
        out.append(gap(pos, end))
    return out


def _sums(k: np.ndarray, values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Sums of the rows of values (at halfwords k) over the ranges [bounds[i], bounds[i+1])."""
    out = np.zeros((len(bounds) - 1, values.shape[1]), np.int64)
    np.add.at(out, np.searchsorted(bounds, k, side="right") - 1, values)
    return out


def _row(name, address, values) -> dict:
    v = [int(x) for x in values]
    return {"function": name, "address": address, "instructions": v[0], "cycles": v[1],
            "active_cycles": v[1] - v[2], "sleep_cycles": v[2],
            "stalls": dict(zip(STALLS, v[3:], strict=True))}


def _hotness(row):
    """Sort key: busiest first (cycles spent executing, then asleep, then instructions)."""
    return (-row["active_cycles"], -row["sleep_cycles"], -row["instructions"])


def collect(sim, lines_of: str | None = None) -> dict:
    """The "profile" key of the stats (README "Stats JSON", docs/profiling.md)."""
    timing, image = sim.timing, sim.image
    base = timing.base
    end = base + 2 * (len(timing.prefix) - 1)
    ranges = function_ranges(image, base, end)
    bounds = np.array([(lo - base) >> 1 for lo, _, _ in ranges] + [(end - base) >> 1], np.int64)
    names = [(name, lo) for lo, _, name in ranges]
    total = np.zeros((len(ranges), len(COLUMNS)), np.int64)
    extra_total = np.zeros(len(COLUMNS), np.int64)
    harts, tables = [], []
    for hart in sim.harts:
        k, values = per_instruction(sim, hart)
        tables.append((k, values))
        sums = _sums(k, values, bounds) if len(ranges) else np.zeros((0, len(COLUMNS)), np.int64)
        total += sums
        extra = np.zeros(len(COLUMNS), np.int64)
        extra[0] = hart.instret - sums[:, 0].sum()
        extra[1] = hart.cycles - sums[:, 1].sum()
        extra_total += extra
        rows = [_row(n, a, v) for (n, a), v in zip(names, sums, strict=True) if v[0] or v[1]]
        if extra[0] or extra[1]:
            rows.append(_row(UNATTRIBUTED, None, extra))
        rows.sort(key=_hotness)
        harts.append({"hart": hart.index, "instructions": hart.instret, "cycles": hart.cycles,
                      "functions": rows})
    rows = [_row(n, a, v) for (n, a), v in zip(names, total, strict=True) if v[0] or v[1]]
    if extra_total[0] or extra_total[1]:
        rows.append(_row(UNATTRIBUTED, None, extra_total))
    rows.sort(key=_hotness)
    out = {"functions": rows, "harts": harts}
    if lines_of is not None:
        table = np.zeros((len(timing.prefix) - 1, len(COLUMNS)), np.int64)
        for k, values in tables:
            table[k] += values
        out["lines"] = _lines(sim, lines_of, table, base)
    return out


def _lines(sim, function: str, table: np.ndarray, base: int) -> dict:
    """Per source line of one function (DWARF line table), all harts together."""
    from .errors import IssError
    match = [f for f in sim.image.functions if f[2] == function]
    if not match:
        raise IssError(f"--profile-lines: no function named '{function}' in {sim.image.path}")
    start, size, _ = match[0]
    if not size:
        later = [f[0] for f in sim.image.functions if f[0] > start]
        size = (min(later) if later else base + 2 * len(table)) - start
    rows_in = sim.image.line_table()
    if not rows_in:
        raise IssError(f"--profile-lines: {sim.image.path} has no DWARF line table (build with -g)")
    addresses = [r[0] for r in rows_in]
    k0, k1 = max((start - base) >> 1, 0), min((start + size - base) >> 1, len(table))
    lines: dict[tuple[str, int], dict] = {}
    for k in range(k0, k1):
        values = table[k]
        if not values.any():
            continue
        i = bisect.bisect_right(addresses, base + 2 * k) - 1
        file, line = (rows_in[i][1], rows_in[i][2]) if i >= 0 else ("?", 0)
        row = lines.get((file, line))
        if row is None:
            row = lines[(file, line)] = {"file": file, "line": line, "address": base + 2 * k,
                                         "values": np.zeros(len(COLUMNS), np.int64)}
        row["values"] += values
    out = []
    for row in sorted(lines.values(), key=lambda r: (r["file"], r["line"])):
        r = _row(None, row["address"], row.pop("values"))
        del r["function"]
        out.append({"file": row["file"], "line": row["line"], **r})
    return {"function": function, "address": start, "rows": out}


# ---- the table on stderr ------------------------------------------------------------------
def render(profile: dict, stats: dict, console=None, top: int = 25) -> None:
    """Rich tables: functions of all harts, the busiest functions of each hart, and the
    source lines of `--profile-lines`."""
    from rich.console import Console
    from rich.table import Table

    from .plot import busiest as most_cycles
    if console is None:
        import sys
        console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
    rows = profile["functions"]
    instructions = max(stats["instructions"], 1)
    cycles = max(sum(h["active_cycles"] for h in stats["harts"]), 1)
    causes = [c for c in STALLS if any(r["stalls"][c] for r in rows)]
    table = Table(title=f"profile: all {stats['cores']} cores (cycles summed over cores; "
                        f"busiest first)", title_justify="left")
    for name in ("function", "instr", "%", "active", "%", "CPI", "sleep", *causes):
        table.add_column(name, justify="left" if name == "function" else "right")
    for r in rows[:top]:
        active = r["active_cycles"]
        cpi = f"{active / r['instructions']:.2f}" if r["instructions"] else "-"
        table.add_row(r["function"], f"{r['instructions']:,}",
                      f"{100 * r['instructions'] / instructions:.1f}", f"{active:,}",
                      f"{100 * active / cycles:.1f}", cpi, f"{r['sleep_cycles']:,}",
                      *(f"{r['stalls'][c]:,}" for c in causes))
    if len(rows) > top:
        table.caption = f"{len(rows) - top} more functions in the JSON stats (--json)"
    console.print(table)
    per_hart = Table(title="per core: where its cycles went", title_justify="left")
    for name in ("core", "instr", "cycles", "sleep", "busiest functions (share of the core's cycles)"):
        per_hart.add_column(name, justify="left" if name.startswith("busiest") else "right")
    for h in profile["harts"]:
        total = max(h["cycles"], 1)
        busiest = ", ".join(f"{r['function']} {100 * r['cycles'] / total:.0f}%"
                            for r in most_cycles(h["functions"], 3))
        sleep = sum(r["sleep_cycles"] for r in h["functions"])
        per_hart.add_row(str(h["hart"]), f"{h['instructions']:,}", f"{h['cycles']:,}",
                         f"{sleep:,}", busiest)
    console.print(per_hart)
    if "lines" in profile:
        lines = profile["lines"]
        lt = Table(title=f"profile: source lines of {lines['function']}", title_justify="left")
        for name in ("file:line", "address", "instr", "cycles", "sleep", "stalls"):
            lt.add_column(name, justify="left" if name in ("file:line", "stalls") else "right")
        for r in lines["rows"]:
            stalls = " ".join(f"{k}={v:,}" for k, v in r["stalls"].items() if v)
            lt.add_row(f"{r['file']}:{r['line']}", f"0x{r['address']:08x}",
                       f"{r['instructions']:,}", f"{r['cycles']:,}", f"{r['sleep_cycles']:,}", stalls)
        console.print(lt)
