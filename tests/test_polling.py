"""Polling a peripheral's status register sees what waiting for its event sees, at the same
simulated time (firmware/apps/poll_periph: IMA with 1, 7 and 64 jobs, DW, DMA, the timer's
clear-on-match, one-shot and compare-event modes), and reruns are identical."""
from __future__ import annotations

import io
import re

import pytest

from iss.simulator import Simulator

# docs/dw.md "Timing": ceil(C/16) x (9 + 4 x bias + Wo x (9 + Ho x (3 x stride + 1)))
DW_8x8x16_S1 = 1 * (9 + 0 + 8 * (9 + 8 * (3 * 1 + 1)))
ACCESS_SLACK = 12     # the timer read around the job, a poll iteration


def _run(elf, cores):
    out = io.StringIO()
    sim = Simulator(elf, output=out, cores=cores)
    result = sim.run(max_instructions=5_000_000)
    return result, out.getvalue()


@pytest.mark.parametrize("cores", [1, 8])
def test_polling_and_waiting_agree(firmware_elf, cores):
    result, out = _run(firmware_elf("poll_periph"), cores)
    assert result.exit_code == 0, out
    assert "poll_periph: OK" in out and "FAILED" not in out
    dw = re.search(r"dw wait (\d+) poll (\d+)", out)
    for t in map(int, dw.groups()):
        assert DW_8x8x16_S1 <= t <= DW_8x8x16_S1 + ACCESS_SLACK, out
    for _n, wait, poll in re.findall(r"ima (\d+) wait (\d+) poll (\d+)", out):
        assert abs(int(wait) - int(poll)) <= ACCESS_SLACK, out
    assert [m for m in re.findall(r"ima (\d+) wait", out)] == ["1", "7", "64"]
    seen = int(re.search(r"timer event seen at (\d+)", out).group(1))
    assert 2000 <= seen <= 2000 + ACCESS_SLACK
    assert int(re.search(r"one-shot stopped at (\d+)", out).group(1)) == 300


def test_polling_runs_are_identical(firmware_elf):
    elf = firmware_elf("poll_periph")
    a, out_a = _run(elf, 8)
    b, out_b = _run(elf, 8)
    assert out_a == out_b
    assert _simulated(a.stats) == _simulated(b.stats)


def _simulated(stats):
    """The stats without host-time fields (wall_seconds, mips, kernel_seconds)."""
    if isinstance(stats, dict):
        return {k: _simulated(v) for k, v in stats.items()
                if k not in ("wall_seconds", "mips", "kernel_seconds")}
    return stats

