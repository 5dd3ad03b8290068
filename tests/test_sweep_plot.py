"""`iss plot RESULTS.csv` of a sweep: a swept parameter other than --x / --hue is never
silently averaged, and the --where selection is in the PNG's name (issue 19 item 4c)."""
from __future__ import annotations

import csv

import pytest

pytest.importorskip("matplotlib")

from iss.cli import main as iss_main

SEED = "peripheral.ima.pcm_seed"
COLUMNS = ["point", "clock_hz", SEED, "status", "error", "cycles", "stop_reason", "exit_code",
           "point_seconds", "cached", "key"]


@pytest.fixture
def results(tmp_path):
    """A results file as `iss sweep` writes it: 2 clocks x 2 seeds."""
    path = tmp_path / "noise.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        for i, (clock, seed) in enumerate([(100, 1), (100, 2), (500, 1), (500, 2)]):
            w.writerow({"point": i, "clock_hz": clock, SEED: seed, "status": "ok", "error": "",
                        "cycles": clock + seed, "stop_reason": "exit", "exit_code": 0,
                        "point_seconds": 0.1, "cached": False, "key": f"k{i}"})
    return path


def _plot(capsys, results, out, *args):
    rc = iss_main(["plot", str(results), "--metric", "cycles", "--x", "clock_hz", "-o", str(out),
                   *args])
    captured = capsys.readouterr()
    return rc, captured.out.strip(), captured.err.strip()


def test_an_unfixed_parameter_is_an_error_naming_it(capsys, results, tmp_path):
    rc, out, err = _plot(capsys, results, tmp_path)
    assert rc == 2 and out == ""
    assert err == (f"iss: error: {results}: parameter '{SEED}' also varies (1, 2): fix it with "
                   f"--where {SEED}=VALUE, draw it with --hue {SEED}, or average over it with "
                   f"--average {SEED}")
    assert not list(tmp_path.glob("*.png"))


def test_where_selections_get_their_own_files(capsys, results, tmp_path):
    names = []
    for seed in (1, 2):
        rc, out, err = _plot(capsys, results, tmp_path, "--where", f"pcm_seed={seed}")
        assert rc == 0, err
        names.append(out.rsplit("/", 1)[-1])
    assert names == ["noise-cycles-vs-clock_hz-where-pcm_seed_1.png",
                     "noise-cycles-vs-clock_hz-where-pcm_seed_2.png"]
    assert all((tmp_path / n).read_bytes()[:4] == b"\x89PNG" for n in names)


def test_hue_or_explicit_average(capsys, results, tmp_path):
    rc, out, err = _plot(capsys, results, tmp_path, "--hue", "pcm_seed")
    assert rc == 0, err
    assert out.endswith("/noise-cycles-vs-clock_hz-by-peripheral_ima_pcm_seed.png")
    rc, out, err = _plot(capsys, results, tmp_path, "--average", "pcm_seed")
    assert rc == 0, err
    assert out.endswith("/noise-cycles-vs-clock_hz-avg-peripheral_ima_pcm_seed.png")
    rc, out, err = _plot(capsys, results, tmp_path, "--average", "cycles")
    assert rc == 2 and err.startswith(f"iss: error: {results}: 'cycles' is not a swept parameter")
