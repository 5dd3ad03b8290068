"""Run one point of a sweep; the function a Dask worker executes (needs only the installed package).

A task carries everything: the firmware bytes and the platform text, written to a temporary
directory on the worker. The result is a record (a dict of plain values), never an exception:
status `ok`, `failed` (fault, deadlock, limit, non-zero exit if required, bad platform,
simulator error) or `timeout`, with a one-line error.
"""
from __future__ import annotations

import io
import socket
import tempfile
import time
import traceback
from pathlib import Path

from ..log import warnings_on_stderr

OUTPUT_TAIL = 2000          # characters of the firmware's output kept in the record


class PointTimeout(Exception):
    pass


def make_task(point, key: str, version: str, timeout, require_exit_zero: bool) -> dict:
    return {"index": point.index, "key": key, "firmware": point.firmware.data,
            "firmware_name": point.firmware.path.name, "platform": point.platform_text,
            "run": point.run, "timeout": timeout, "require_exit_zero": require_exit_zero,
            "version": version}


def run_point(task: dict, firmware: bytes | None = None) -> dict:
    """Run one point; `firmware` (the ELF bytes) when the task does not carry them."""
    from .cache import loaded_version
    t0 = time.perf_counter()
    record = {"index": task["index"], "key": task["key"], "status": "failed", "error": "",
              "stats": None, "output": "", "host": socket.gethostname(), "point_seconds": 0.0}
    version = loaded_version()
    if version != task["version"]:
        record["status"] = "lost"           # not cached: another worker may have the right one
        record["error"] = (f"worker runs simulator {version}, the client {task['version']}: "
                           f"install the same version on the workers")
        return record
    output = io.StringIO()
    try:
        with tempfile.TemporaryDirectory(prefix="iss-sweep-") as tmp:
            elf = Path(tmp) / task["firmware_name"]
            elf.write_bytes(firmware if firmware is not None else task["firmware"])
            platform = Path(tmp) / "platform.toml"
            platform.write_text(task["platform"])
            try:
                with warnings_on_stderr():          # as `iss run` prints them, also on a worker
                    _simulate(task, elf, platform, output, record)
            except Exception as e:          # messages name the temporary files: drop the dir
                e.args = tuple(a.replace(f"{tmp}/", "") if isinstance(a, str) else a
                               for a in e.args)
                raise
    except PointTimeout as e:
        record["status"], record["error"] = "timeout", str(e)
    except KeyboardInterrupt:
        raise
    except Exception as e:      # any error of one point is that point's result
        from ..errors import IssError
        record["error"] = str(e) if isinstance(e, IssError) else \
            f"{type(e).__name__}: {e} ({_where(e)})"
    record["output"] = output.getvalue()[-OUTPUT_TAIL:]
    record["point_seconds"] = time.perf_counter() - t0
    return record


def _simulate(task, elf, platform, output, record) -> None:
    from ..simulator import Simulator
    run = task["run"]
    sim = Simulator(str(elf), str(platform), output=output, isa=run.get("isa", "auto"),
                    timing=run.get("timing", "fast"))
    timeout = task["timeout"]

    def watchdog(_sim, elapsed):            # called every ~0.25 s of host time by the run
        if timeout is not None and elapsed > timeout:
            raise PointTimeout(f"timed out after {timeout:g} s (at {_sim.instructions:,} "
                               f"instructions)")

    result = sim.run(max_instructions=run.get("max_instructions"), progress=watchdog)
    stats = result.stats
    stop = result.stop
    if stop.reason == "interrupted":        # Ctrl-C in --serial mode: stop the sweep
        raise KeyboardInterrupt
    record["stats"] = stats
    if stop.reason != "exit":
        from ..isa_hint import flavour_hint
        record["error"] = sim.describe_stop(stop, stats["stop_hart"]) + flavour_hint(sim, stop)
    elif task["require_exit_zero"] and result.exit_code:
        last = output.getvalue().strip().splitlines()[-1:] or [""]
        record["error"] = f"exit status {result.exit_code}" + (f": {last[0]}" if last[0] else "")
    else:
        record["status"] = "ok"


def _where(e: Exception) -> str:
    frame = traceback.extract_tb(e.__traceback__)[-1]
    return f"{Path(frame.filename).name}:{frame.lineno}"
