"""Design-space sweeps (`iss sweep`, iss/sweep/): Dask vs direct runs, failures, timeouts,
the cache and resume, interruption, the spec parser, the CLI and the plot."""
from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

import pytest

from iss.cli import main as iss_main
from iss.simulator import Simulator
from iss.sweep import engine
from iss.sweep.cache import Cache
from iss.sweep.engine import run_sweep
from iss.sweep.results import Results, read_results
from iss.sweep.spec import SpecError, load_spec

METRICS = ["cycles", "instructions", "time_seconds", "exit_code", "harts.0.cycles",
           "peripherals.stdout.characters", "energy.total_uj"]
BAD_STDOUT = 0x1A200000      # stdout moved off the address the runtime's putchar stores to


def write_spec(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def sweep(spec, out: Path, cache=None, **kw):
    results = Results(out, spec.parameters, spec.metrics)
    try:
        outcome = run_sweep(spec, results, Cache(cache), progress=False, **kw)
    finally:
        results.close()
    return outcome, {r["point"]: r for r in results.rows}


def direct(elf: Path, tmp_path: Path, cores: int, clock_hz: int) -> dict:
    """The same point as a plain `iss run`: a platform file edited by hand."""
    text = resources.files("iss.platforms").joinpath("pulp_imc_cluster.toml").read_text()
    assert "clock_hz = 500_000_000" in text
    platform = tmp_path / f"direct-{clock_hz}.toml"
    platform.write_text(text.replace("clock_hz = 500_000_000", f"clock_hz = {clock_hz}"))
    return Simulator(str(elf), str(platform), output=io.StringIO(), cores=cores).run().stats


def test_dask_sweep_matches_direct_runs_and_records_a_fault(firmware_elf, tmp_path):
    elf = firmware_elf("hello")
    spec = load_spec(write_spec(tmp_path, f"""
[sweep]
firmware = "{elf}"
metrics = {METRICS!r}
[grid]
cores = [1, 4]
clock_hz = [250_000_000, 500_000_000]
[[point]]
peripheral.stdout.base = {BAD_STDOUT}
"""))
    outcome, rows = sweep(spec, tmp_path / "out.csv", workers=2)
    assert "LocalCluster of 2 worker processes" in outcome.where
    assert (outcome.ran, outcome.failed, outcome.interrupted) == (5, 1, False)
    for i, (cores, clock) in enumerate([(1, 250_000_000), (1, 500_000_000),
                                        (4, 250_000_000), (4, 500_000_000)]):
        row, stats = rows[i], direct(elf, tmp_path, cores, clock)
        assert (row["cores"], row["clock_hz"], row["status"], row["error"]) == (cores, clock, "ok", "")
        assert row["cycles"] == stats["cycles"] and row["instructions"] == stats["instructions"]
        assert row["time_seconds"] == stats["time_seconds"]
        assert row["harts.0.cycles"] == stats["harts"][0]["cycles"]
        assert row["peripherals.stdout.characters"] == stats["peripherals"]["stdout"]["characters"]
        assert row["energy.total_uj"] == stats["energy"]["total_uj"]
        assert row["exit_code"] == 0
    fault = rows[4]
    assert fault["status"] == "failed" and fault["stop_reason"] == "fault"
    assert "store to unmapped address 0x1a10f000" in fault["error"]
    assert fault["peripheral.stdout.base"] == BAD_STDOUT and fault["cores"] is None
    on_disk = {r["point"]: r for r in read_results(tmp_path / "out.csv")}
    assert on_disk[3]["cycles"] == rows[3]["cycles"] and on_disk[4]["status"] == "failed"


def test_timeout_and_resume_from_the_cache(firmware_elf, tmp_path, monkeypatch):
    from iss import toolchain
    loop = tmp_path / "loop.c"
    loop.write_text("int main(void) { volatile int x = 0; for (;;) x++; }\n")
    toolchain.compile_firmware([loop], tmp_path / "loop.elf")
    hello = firmware_elf("hello")
    spec = load_spec(write_spec(tmp_path, f"""
[sweep]
timeout = 0.5
metrics = ["cycles", "point_seconds"]
[grid]
firmware = ["{hello}", "loop.elf"]
cores = [1, 2]
"""))
    cache = tmp_path / "cache"
    outcome, rows = sweep(spec, tmp_path / "a.csv", cache, serial=True)
    assert [rows[i]["status"] for i in range(4)] == ["ok", "ok", "timeout", "timeout"]
    assert rows[2]["error"].startswith("timed out after 0.5 s")
    assert rows[0]["cycles"] > 0 and rows[2]["cycles"] is None
    assert len(list(cache.glob("*.json"))) == 2          # timeouts are not cached

    calls = []
    real = engine.run_point
    monkeypatch.setattr(engine, "run_point", lambda task: calls.append(task["index"]) or real(task))
    spec = load_spec(spec.path)                          # e.g. a longer timeout next time
    spec.timeout = 30.0
    spec.points = spec.points[:2] + [spec.points[2]]     # one of the looping points
    spec.points[2].run["max_instructions"] = 10_000      # ...now bounded: it stops on the limit
    outcome, rows = sweep(spec, tmp_path / "b.csv", cache, serial=True)
    assert calls == [2] and (outcome.cached, outcome.ran) == (2, 1)
    assert rows[0]["cached"] and rows[1]["cached"] and not rows[2]["cached"]
    assert rows[2]["stop_reason"] == "limit" and rows[2]["status"] == "failed"


def test_interrupt_leaves_a_valid_partial_result_file(firmware_elf, tmp_path, monkeypatch):
    elf = firmware_elf("hello")
    spec = load_spec(write_spec(tmp_path, f"""
[sweep]
firmware = "{elf}"
[grid]
cores = [1, 2, 3]
"""))
    real = engine.run_point

    def interrupted_at_the_second(task):
        if task["index"] == 1:
            raise KeyboardInterrupt
        return real(task)
    monkeypatch.setattr(engine, "run_point", interrupted_at_the_second)
    outcome, rows = sweep(spec, tmp_path / "part.csv", tmp_path / "cache", serial=True)
    assert outcome.interrupted and list(rows) == [0]
    with open(tmp_path / "part.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [(r["point"], r["status"]) for r in table] == [("0", "ok")]
    if (tmp_path / "part.parquet").exists():
        assert [r["point"] for r in read_results(tmp_path / "part.parquet")] == [0]


def test_spec_rejects_unknown_parameters_and_metrics(tmp_path):
    path = write_spec(tmp_path, """
[sweep]
firmware = "hello"
[grid]
peripheral.ima.bus_bit = [32, 64]
"peripheral.nope.x" = [1]
coress = [1]
""")
    with pytest.raises(SpecError) as e:
        load_spec(path)
    message = str(e.value)
    assert "\n" not in message and message.startswith(f"{path}: unknown parameters: ")
    assert "peripheral.ima.bus_bit ('ima' has no parameter 'bus_bit'" in message
    assert "peripheral.nope.x (no peripheral named 'nope')" in message
    assert "coress (" in message
    path = write_spec(tmp_path, """
[sweep]
firmware = "hello"
metrics = ["cycles", "cycels", "peripherals.imma.jobs"]
""")
    with pytest.raises(SpecError, match=r"unknown metrics: cycels, peripherals\.imma\.jobs "):
        load_spec(path)
    path = write_spec(tmp_path, '[sweep]\nfirmware = "hello"\nmetric = ["cycles"]\n')
    with pytest.raises(SpecError, match=r"unknown \[sweep\] keys: metric$"):
        load_spec(path)


def test_cli_sweep_and_plot(firmware_elf, tmp_path, capsys):
    elf = firmware_elf("hello")
    spec = write_spec(tmp_path, f"""
[sweep]
firmware = "{elf}"
metrics = ["cycles", "energy.total_uj"]
[grid]
clock_hz = [100_000_000, 500_000_000]
""", "clocks.toml")
    out = tmp_path / "res" / "clocks.csv"
    assert iss_main(["sweep", str(spec), "--serial", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "2 of 2 points: 2 ok, 0 failed; 0 from the cache, 2 run" in captured.err
    assert (tmp_path / "res" / ".iss-sweep-cache").is_dir()
    assert iss_main(["sweep", str(spec), "--serial", "-o", str(out), "--quiet"]) == 0
    assert "2 from the cache, 0 run" in capsys.readouterr().err
    assert iss_main(["plot", str(out), "--metric", "total_uj", "--x", "clock_hz",
                     "-o", str(tmp_path)]) == 0
    png = Path(capsys.readouterr().out.strip())
    assert png.parent == tmp_path and png.read_bytes()[:4] == b"\x89PNG"
    assert iss_main(["sweep", str(spec), "--list"]) == 0
    assert iss_main(["sweep", str(tmp_path / "missing.toml")]) == 2
