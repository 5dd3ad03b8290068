"""The progress line of long runs (iss/cli.py): on a terminal's stderr only; Ctrl-C stops the
run cleanly with the stats so far.

Independent of the machine's speed: `--progress 0` shows the line after the first slice of
simulation (1 M instructions), so any run longer than that shows it, and the Ctrl-C test runs
firmware that never ends."""
from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys

import pytest

from ptyio import read_to_end, sigint_default

# bench_compute on one core: far more than the first slice's 1 M instructions
LONG = ("--cores", "1")
FOREVER = "int main(void) { volatile int n = 0; for (;;) n++; }\n"


@pytest.fixture(scope="module")
def forever_elf(tmp_path_factory):
    """Firmware that runs until it is stopped."""
    d = tmp_path_factory.mktemp("forever")
    (d / "main.c").write_text(FOREVER)
    subprocess.run([sys.executable, "-m", "iss.cli", "cc", "-O1", "-o", str(d / "f.elf"),
                    str(d / "main.c")], check=True)
    return d / "f.elf"


def test_progress_is_silent_when_stderr_is_not_a_terminal(firmware_elf):
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(firmware_elf("bench_compute")),
                        *LONG, "--max-instructions", "25000000"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 4, r.stderr
    assert "\r" not in r.stderr and "\x1b" not in r.stderr and "Ctrl-C" not in r.stderr
    assert r.stderr.startswith("iss: hart 0 stopped")


def test_progress_line_on_a_terminal(firmware_elf):
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "iss.cli", "run",
                             str(firmware_elf("bench_compute")), *LONG, "--progress", "0",
                             "--max-instructions", "25000000"],
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = read_to_end(master)
    assert proc.wait(timeout=300) == 4
    text = seen.decode(errors="replace")
    assert "\r\x1b[Kiss: " in text and "MIPS (Ctrl-C stops with the stats so far)" in text
    assert "cycles" in text and "instructions" in text


def test_ctrl_c_stops_with_the_stats(forever_elf, tmp_path):
    """SIGINT once the progress line shows the simulation running: exit code 130, the stop
    described, the JSON stats of the instructions so far."""
    stats = tmp_path / "s.json"
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "iss.cli", "run",
                             str(forever_elf), *LONG, "--progress", "0", "--json", str(stats)],
                            stdout=subprocess.DEVNULL, stderr=slave, preexec_fn=sigint_default)
    os.close(slave)
    seen = b""
    while b"MIPS (Ctrl-C" not in seen:
        chunk = os.read(master, 4096)
        assert chunk, seen
        seen += chunk
    proc.send_signal(signal.SIGINT)
    seen += read_to_end(master)
    assert proc.wait(timeout=120) == 130
    err = seen.decode(errors="replace")
    s = json.loads(stats.read_text())
    assert s["stop_reason"] == "interrupted" and s["instructions"] > 0 and s["cycles"] > 0
    assert "interrupted by the user" in err and "iss: interrupted:" in err
    assert "Traceback" not in err
