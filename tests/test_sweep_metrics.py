"""Sweep metrics are checked at spec load against the stats the simulator reports (issue 19
item 4b): a misspelled path is a one-line error (exit 2) naming where it went wrong."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from iss.sweep.spec import SpecError, load_spec, stats_before_run, stats_path_error


def _spec(tmp_path: Path, elf: Path, metrics: list, grid: str = "clock_hz = [100_000_000]") -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(f'[sweep]\nfirmware = "{elf}"\nmetrics = {metrics!r}\n[grid]\n{grid}\n'
                    .replace("'", '"'))
    return path


def test_misspelled_metric_is_a_one_line_error_exit_2(firmware_elf, tmp_path):
    spec = _spec(tmp_path, firmware_elf("hello"), ["cycles", "energy.total_j"])
    r = subprocess.run([sys.executable, "-m", "iss.cli", "sweep", str(spec), "--serial",
                        "-o", str(tmp_path / "r.csv")], capture_output=True, text=True, timeout=600,
                       check=False)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"iss: error: {spec}: unknown metrics: energy.total_j "
                               f"(energy.total_j: energy has no 'total_j' (it has total_uj, ")
    assert not (tmp_path / "r.csv").exists()          # nothing ran


@pytest.mark.parametrize("metric,why", [
    ("cycels", "the stats has no 'cycels'"),
    ("harts.8.cycles", "harts has items 0..7, not '8'"),          # 8 cores: harts 0..7
    ("harts.0.stalls.load_usee", "harts.0.stalls has no 'load_usee'"),
    ("peripherals.imma.jobs", "peripherals has no 'imma'"),
    ("cycles.total", "cycles is a value, with no 'total'"),
    # the noise statistics exist only with pcm_noise = true (docs/ima.md)
    ("peripherals.ima.noise.output_snr_db", "peripherals.ima has no 'noise'"),
])
def test_unknown_metrics_say_where(firmware_elf, tmp_path, metric, why):
    with pytest.raises(SpecError) as e:
        load_spec(_spec(tmp_path, firmware_elf("hello"), [metric]))
    assert "\n" not in str(e.value)
    assert f"unknown metrics: {metric} ({metric}: {why}" in str(e.value)


def test_known_metrics_pass(firmware_elf, tmp_path):
    # the README's examples; noise keys when some point has pcm_noise = true
    metrics = ["cycles", "instructions", "time_seconds", "exit_code", "harts.7.cycles",
               "harts.3.stalls.tcdm", "peripherals.ima.busy_cycles", "peripherals.stdout.characters",
               "energy.total_uj", "energy.components.l1", "point_seconds",
               "peripherals.ima.noise.output_snr_db", "peripherals.ima.phase_cycles.compute"]
    spec = load_spec(_spec(tmp_path, firmware_elf("hello"), metrics,
                           "peripheral.ima.pcm_noise = [false, true]"))
    assert spec.metrics == metrics


def test_every_path_of_a_real_run_is_known_before_it(firmware_elf, tmp_path):
    """The check and the stats cannot drift: each leaf of a finished run's stats passes."""
    from iss.simulator import Simulator
    spec = load_spec(_spec(tmp_path, firmware_elf("hello"), ["cycles"]))
    before = stats_before_run(spec.points[0])
    stats = Simulator(str(spec.points[0].firmware.path), output=io.StringIO()).run().stats

    def leaves(value, prefix=""):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from leaves(v, f"{prefix}{k}.")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from leaves(v, f"{prefix}{i}.")
        else:
            yield prefix[:-1]

    paths = list(leaves(stats))
    assert len(paths) > 100
    assert [p for p in paths if stats_path_error(before, p) is not None] == []
