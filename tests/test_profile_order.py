"""The busiest functions are listed most first where the shares / bars of all their cycles
are shown: the per-core column of the profile table and the profile chart (issue 19 item 4i)."""
from __future__ import annotations

import io

import pytest

pytest.importorskip("matplotlib")

from iss.profile import STALLS, render


def _row(name, instructions, active, sleep):
    return {"function": name, "address": 0, "instructions": instructions,
            "cycles": active + sleep, "active_cycles": active, "sleep_cycles": sleep,
            "stalls": {c: 0 for c in STALLS}}


# most active first (the profile's own order), which is not most cycles first:
# f_mid 300 active, f_busy 100, f_sleepy 10 active + 590 asleep = 600 cycles
ROWS = [_row("f_mid", 300, 300, 0), _row("f_busy", 100, 100, 0), _row("f_sleepy", 10, 10, 590)]
PROFILE = {"functions": ROWS, "harts": [{"hart": 0, "instructions": 410, "cycles": 1000,
                                         "functions": ROWS}]}
STATS = {"instructions": 410, "cores": 1, "harts": [{"active_cycles": 410}],
         "profile": PROFILE}


def test_per_core_busiest_column_is_descending():
    from rich.console import Console
    out = io.StringIO()
    render(PROFILE, STATS, console=Console(file=out, width=200))
    line = next(s for s in out.getvalue().splitlines() if "f_sleepy 60%" in s)
    assert "f_sleepy 60%, f_mid 30%, f_busy 10%" in line, line


def test_profile_chart_longest_bar_on_top():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from iss.plot import _profile
    fig = _profile(plt, STATS, "t")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()][::-1]     # top to bottom
    assert labels == ["f_sleepy", "f_mid", "f_busy"]
    plt.close(fig)
