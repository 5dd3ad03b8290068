"""`iss plot STATS.json` (iss/plot.py): the PNG charts are written and are real images."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")

PNG = b"\x89PNG\r\n\x1a\n"


def run_stats(elf, tmp_path, *args) -> dict:
    path = tmp_path / "stats.json"
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf), "--json", str(path),
                        "--quiet", *args], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return path


def plot(stats_path, out_dir):
    r = subprocess.run([sys.executable, "-m", "iss.cli", "plot", str(stats_path), "-o", str(out_dir)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return [line for line in r.stdout.splitlines() if line]


def test_plots_of_a_profiled_cluster_run(firmware_elf, tmp_path):
    stats = run_stats(firmware_elf("trace_demo"), tmp_path, "--profile")
    written = plot(stats, tmp_path / "png")
    names = sorted(p.rsplit("/", 1)[-1] for p in written)
    expected = {"utilisation.png", "stalls.png", "accelerators.png", "profile.png"}
    if "energy" in json.loads(stats.read_text()):
        expected.add("energy.png")
    assert set(names) == expected
    for name in names:
        data = (tmp_path / "png" / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000, name


def test_energy_and_accelerator_breakdowns(tmp_path):
    """Stats with an energy breakdown and an accelerator with phases (hand-made)."""
    stats = {"firmware": "x.elf", "cycles": 1000,
             "harts": [{"hart": i, "cycles": 1000, "active_cycles": 600, "sleep_cycles": 400,
                        "stalls": {"load_use": 10 * i, "branch": 50, "tcdm": i}} for i in range(4)],
             "peripherals": {"ima": {"busy_cycles": 700, "phase_cycles":
                                     {"stream_in": 200, "compute": 400, "stream_out": 100}},
                             "cluster_dma": {"busy_cycles": 100}, "stdout": {"characters": 3}},
             "energy": {"total_uj": 3.0, "components": {"cores_active": 2.0, "l1": 0.5,
                                                        "ima": 0.5, "dw": 0.0}}}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(stats))
    names = sorted(p.rsplit("/", 1)[-1] for p in plot(path, tmp_path))
    assert names == ["accelerators.png", "energy.png", "stalls.png", "utilisation.png"]
    for name in names:
        assert (tmp_path / name).read_bytes().startswith(PNG)


def test_plot_rejects_what_is_not_stats(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    r = subprocess.run([sys.executable, "-m", "iss.cli", "plot", str(bad)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "not the stats" in r.stderr
    r = subprocess.run([sys.executable, "-m", "iss.cli", "plot", str(tmp_path / "none.json")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "cannot read" in r.stderr
