"""Result rows of a sweep: metrics from the stats, the CSV / Parquet files, the summary table.

One row per point: `point` (its index in the spec), the parameters, `status` (ok, failed,
timeout, lost), `error`, the metrics, `stop_reason`, `exit_code`, `point_seconds` (host time
of the whole point), `cached` (taken from the cache) and `key` (the cache key's start). The CSV
gets each row as it arrives (flushed, so an interrupted or killed sweep leaves a valid file);
at the end (also after Ctrl-C) it is rewritten in point order and the Parquet file written.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

TRAILER = ("stop_reason", "exit_code", "point_seconds", "cached", "key")
MISSING = object()


def metric(stats: dict | None, record: dict, path: str):
    """The value at a dotted path of the stats (list items by index), or None."""
    if path == "point_seconds":
        return record.get("point_seconds")
    value = stats if stats is not None else MISSING
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value if not isinstance(value, (dict, list)) else str(value)


class Results:
    """Collects rows and writes them (CSV as they come; sorted CSV + Parquet at close)."""

    def __init__(self, csv_path, parameters: list, metrics: list, parquet: bool = True):
        self.csv_path = Path(csv_path)
        self.parameters = parameters
        self.metrics = metrics
        taken = {"point", "status", "error", *parameters}
        self.metric_columns = [f"{m} (stats)" if m in taken else m for m in metrics]
        # metrics that are also trailer columns (stop_reason, exit_code, point_seconds) hold
        # the same value: one column
        self.columns = ["point", *parameters, "status", "error", *self.metric_columns,
                        *(c for c in TRAILER if c not in self.metric_columns)]
        self.parquet = parquet
        self.rows: list[dict] = []
        self.csv_path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.csv_path, "w", newline="")
        self._csv = csv.DictWriter(self._file, self.columns)
        self._csv.writeheader()
        self._file.flush()

    def add(self, point, record: dict, cached: bool) -> dict:
        stats = record.get("stats")
        row = {"point": point.index, **point.params, "status": record["status"],
               "error": record.get("error", ""),
               "stop_reason": stats.get("stop_reason") if stats else None,
               "exit_code": stats.get("exit_code") if stats else None,
               "point_seconds": record.get("point_seconds"), "cached": cached,
               "key": record["key"][:16]}
        row.update({c: metric(stats, record, m)
                    for c, m in zip(self.metric_columns, self.metrics, strict=True)})
        self.rows.append(row)
        self._csv.writerow(row)
        self._file.flush()
        return row

    def close(self) -> list[Path]:
        """Rewrite the CSV in point order, write the Parquet file; the files written."""
        self._file.close()
        self.rows.sort(key=lambda r: r["point"])
        tmp = self.csv_path.with_name(self.csv_path.name + ".tmp")
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, self.columns)
            writer.writeheader()
            writer.writerows(self.rows)
        os.replace(tmp, self.csv_path)
        written = [self.csv_path]
        if self.parquet:
            path = write_parquet(self.rows, self.columns, self.csv_path.with_suffix(".parquet"))
            if path is not None:
                written.append(path)
        return written


def write_parquet(rows: list, columns: list, path: Path) -> Path | None:
    """The rows as a Parquet file, or None when pyarrow is not installed."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    arrays = []
    for c in columns:
        values = [r.get(c) for r in rows]
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError):     # mixed types: keep them as text
            arrays.append(pa.array([None if v is None else str(v) for v in values]))
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(pa.Table.from_arrays(arrays, names=columns), tmp)
    os.replace(tmp, path)
    return path


def read_results(path) -> list[dict]:
    """Rows of a results file (.csv or .parquet); CSV numbers come back as int / float."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq
        return pq.read_table(path).to_pylist()
    with open(path, newline="") as f:
        return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _number(text: str):
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"True": True, "False": False}.get(text, text)


def summary_table(results: Results, title: str, limit: int = 40):
    """A rich Table of the rows (the first `limit`; failures first if they do not fit)."""
    from rich.table import Table
    rows = results.rows
    if len(rows) > limit:
        bad = [r for r in rows if r["status"] != "ok"]
        rows = sorted((bad + [r for r in rows if r["status"] == "ok"])[:limit],
                      key=lambda r: r["point"])
    table = Table(title=title, title_justify="left")
    shown = ["point", *results.parameters, "status", *results.metric_columns, "error"]
    for c, header in zip(shown, short_names(shown), strict=True):
        text = c in ("status", "error")
        table.add_column(header, justify="left" if text else "right", no_wrap=not text,
                         overflow="fold", ratio=1 if c == "error" else None)
    for r in rows:
        style = {"ok": None, "timeout": "yellow"}.get(r["status"], "red")
        table.add_row(*(_cell(r.get(c)) for c in shown), style=style)
    notes = [f"{limit} of {len(results.rows)} rows shown"] if len(results.rows) > limit else []
    notes += ["full column names in the result file"] if shown != short_names(shown) else []
    table.caption = "; ".join(notes) or None
    return table


def short_names(names: list) -> list:
    """Each dotted name cut to its shortest last components that are still unique."""
    short = []
    for name in names:
        parts = name.split(".")
        for n in range(1, len(parts) + 1):
            tail = ".".join(parts[-n:])
            if sum(o == tail or o.endswith("." + tail) for o in names) == 1:
                break
        short.append(tail)
    return short


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
