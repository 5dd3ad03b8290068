"""Schedule a sweep's points: from the cache, in-process (--serial), or on Dask.

Dask: a LocalCluster of worker processes (one thread each: a simulation holds the GIL) by
default, or the existing cluster whose scheduler address is given, which needs nothing but
this package installed on its workers. Each distinct firmware is scattered once; a task is
`point.run_point` with the platform text and run options. Results are handled as they arrive,
in completion order; Ctrl-C cancels what is left and returns what finished.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass

from ..errors import IssError
from .cache import loaded_version, point_key, simulator_version
from .point import make_task, run_point


@dataclass
class Outcome:
    total: int
    ran: int = 0
    cached: int = 0
    failed: int = 0
    interrupted: bool = False
    wall_seconds: float = 0.0
    where: str = ""


def run_sweep(spec, results, cache, *, scheduler: str | None = None, workers: int | None = None,
              serial: bool = False, timeout: float | None = None, progress=None) -> Outcome:
    """Run every point of `spec` not already in `cache`; rows go to `results`."""
    from .progress import SweepProgress
    t0 = time.perf_counter()
    # the code that will run: this process's (--serial) or the source files' (fresh workers)
    version = loaded_version() if serial else simulator_version()
    outcome = Outcome(total=len(spec.points))
    timeout = timeout if timeout is not None else spec.timeout
    todo = []
    for point in spec.points:
        key = point_key(point, version)
        record = cache.get(key)
        if record is not None:
            results.add(point, record, cached=True)
            outcome.cached += 1
            outcome.failed += record["status"] != "ok"
        else:
            todo.append((point, make_task(point, key, version, timeout, spec.require_exit_zero)))
    bar = SweepProgress(len(todo), outcome.cached, spec.name, progress)

    def finished(point, record):
        cache.put(record["key"], record)
        results.add(point, record, cached=False)
        outcome.ran += 1
        outcome.failed += record["status"] != "ok"
        bar.advance(record["status"] == "ok")

    with bar:
        try:
            if not todo:
                outcome.where = "cache"
            elif serial:
                outcome.where = "in this process (--serial)"
                for point, task in todo:
                    finished(point, run_point(task))
            else:
                _run_dask(todo, finished, scheduler, workers, outcome)
        except KeyboardInterrupt:
            outcome.interrupted = True
    outcome.wall_seconds = time.perf_counter() - t0
    return outcome


def _run_dask(todo, finished, scheduler, workers, outcome) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise IssError("iss sweep runs points on Dask: pip install 'pulp-imc-iss[sweep]' "
                       "(or 'dask[distributed]'), or use --serial") from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = _local_cluster(LocalCluster, workers or os.cpu_count() or 1)
        client = Client(cluster)
    outcome.where = (f"on the Dask cluster at {scheduler}" if scheduler
                     else f"on a Dask LocalCluster of {len(cluster.workers)} worker processes")
    futures = {}
    try:
        scattered = {}                  # one copy of each firmware on the cluster
        for point, task in todo:
            data = task.pop("firmware")
            if id(data) not in scattered:
                scattered[id(data)] = client.scatter(data, hash=True)
            fut = client.submit(run_point, task, scattered[id(data)], pure=False,
                                key=f"iss-point-{point.index}-{task['key'][:16]}")
            futures[fut] = point, task
        for fut in as_completed(list(futures)):
            point, task = futures.pop(fut)
            try:
                record = fut.result()
            except Exception as e:      # the worker died or the task could not run
                record = {"index": point.index, "key": task["key"], "status": "lost",
                          "error": f"{type(e).__name__}: {e}", "stats": None}
            finished(point, record)
    finally:
        if futures:
            client.cancel(list(futures))
        client.close()
        if cluster is not None:
            cluster.close()


def _local_cluster(LocalCluster, n: int):
    """n worker processes of one thread. They start with SIGINT ignored (inherited), so a
    Ctrl-C on the terminal reaches only this process, which then shuts them down."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        return LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                            dashboard_address=None, silence_logs=logging.ERROR)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
