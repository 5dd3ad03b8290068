"""One metric of a sweep's results against one parameter (x), optionally one line per value of
a second (hue). Every other swept parameter must be fixed (`--where P=V`) or averaged over
explicitly (`--average P`, e.g. noise seeds: the mean, with the standard deviation as error
bars); one that still varies is an error naming it, never silently averaged. Only points with
status ok are drawn."""
from __future__ import annotations

import math
import re
import statistics
from pathlib import Path

from ..errors import IssError
from .results import read_results


def plot_sweep(results_path, metric: str, x: str, hue: str | None = None,
               where: list[str] | tuple = (), out_dir=None,
               average: list[str] | tuple = ()) -> Path:
    """Draw the PNG into out_dir (default: next to the results file); return its path."""
    path = Path(results_path)
    try:
        rows = read_results(path)
    except OSError as e:
        raise IssError(f"cannot read {path}: {e.strerror}") from None
    if not rows:
        raise IssError(f"{path}: no rows")
    column, x = _column(metric, rows[0], path), _column(x, rows[0], path)
    hue = _column(hue, rows[0], path) if hue is not None else None
    averaged = [_column(a, rows[0], path) for a in average]
    parameters = _parameters(rows[0])
    for name in averaged:
        if name not in parameters:
            raise IssError(f"{path}: '{name}' is not a swept parameter "
                           f"(parameters: {', '.join(parameters) or 'none'})")
    metric = column.removesuffix(" (stats)")
    rows = [r for r in rows if r.get("status") == "ok" and _matches(r, where, path)]
    rows = [r for r in rows if isinstance(r[column], (int, float)) and not isinstance(r[column], bool)]
    if not rows:
        raise IssError(f"{path}: no successful points with a numeric '{metric}' to plot")
    for name in parameters:         # every other parameter: fixed, or averaged on request
        values = list(dict.fromkeys(map(str, (r[name] for r in rows))))
        if name not in (x, hue, *averaged) and len(values) > 1:
            shown = ", ".join(values[:4]) + (", ..." if len(values) > 4 else "")
            raise IssError(f"{path}: parameter '{name}' also varies ({shown}): fix it with "
                           f"--where {name}=VALUE, draw it with --hue {name}, or average over "
                           f"it with --average {name}")

    groups: dict = {}
    for r in rows:
        groups.setdefault(r[hue] if hue else None, {}).setdefault(r[x], []).append(r[column])
    xs = list(dict.fromkeys(r[x] for r in rows))
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in xs)
    xs = sorted(xs) if numeric else xs
    position = (lambda v: v) if numeric else {v: i for i, v in enumerate(xs)}.__getitem__

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, by_x in groups.items():
        keys = [v for v in xs if v in by_x]
        means = [statistics.fmean(by_x[v]) for v in keys]
        spread = [statistics.pstdev(by_x[v]) if len(by_x[v]) > 1 else 0.0 for v in keys]
        ax.errorbar([position(v) for v in keys], means, yerr=spread if any(spread) else None,
                    marker="o", capsize=3, label=None if hue is None else str(label))
    if numeric and min(xs) > 0 and max(xs) / min(xs) >= 10:
        powers_of_two = all(isinstance(v, int) and v & (v - 1) == 0 for v in xs)
        ax.set_xscale("log", base=2 if powers_of_two else 10)
        if powers_of_two:
            ax.set_xticks(xs, [str(v) for v in xs])
    if not numeric:
        ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_xlabel(x)
    ax.set_ylabel(metric)
    ax.grid(True, alpha=0.3)
    title = f"{metric} vs {x}" + (f" — {', '.join(where)}" if where else "") \
        + (f" (mean and std over {', '.join(averaged)})" if averaged else "")
    ax.set_title(title, fontsize="medium")
    if hue is not None:
        ax.legend(title=hue, fontsize="small")
    # the selection is part of the name: plots of other --where values do not overwrite it
    name = (f"{path.stem}-{_slug(metric)}-vs-{_slug(x)}{f'-by-{_slug(hue)}' if hue else ''}"
            f"{''.join(f'-where-{_slug(w)}' for w in where)}"
            f"{''.join(f'-avg-{_slug(a)}' for a in averaged)}.png")
    out = (Path(out_dir) if out_dir is not None else path.parent) / name
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def _parameters(row: dict) -> list[str]:
    """The swept parameters: the columns between `point` and `status` (results.Results)."""
    names = list(row)
    try:
        return names[names.index("point") + 1:names.index("status")]
    except ValueError:
        return []


def _column(name: str, columns, path) -> str:
    """The column called `name`, or `name (stats)`, or the one column whose dotted name ends
    with `.name` (the summary table's short headers)."""
    for candidate in (name, f"{name} (stats)"):
        if candidate in columns:
            return candidate
    ends = [c for c in columns if c.endswith("." + name)]
    if len(ends) == 1:
        return ends[0]
    raise IssError(f"{path}: no column '{name}'"
                   f"{' (ambiguous: ' + ', '.join(ends) + ')' if ends else ''}")


def _matches(row: dict, where, path) -> bool:
    for condition in where:
        name, sep, value = condition.partition("=")
        if not sep:
            raise IssError(f"--where {condition!r}: expected PARAMETER=VALUE")
        name = _column(name, row, path)
        if str(row[name]) != value and not _same_number(row[name], value):
            return False
    return True


def _same_number(a, text: str) -> bool:
    try:
        return isinstance(a, (int, float)) and math.isclose(a, float(text.replace("_", "")))
    except ValueError:
        return False


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
