"""A regression guard for refactoring (not a correctness test): every shipped app's stats,
in both timing modes, equal a stored snapshot (tests/snapshots/app_stats.json).

The values are the simulator's own output at the time the snapshot was taken; their
correctness is checked elsewhere (the apps' own self-checks, test_timing.py, the golden
models). What this test adds is that a change meant to keep behaviour (moving code,
renaming, speed work) kept every count of every app: instructions, cycles, stalls, events,
traps, peripherals' stats and energy.

After a change that is meant to alter timing or stats, regenerate the snapshot and say
why in the commit:

    python tests/test_stats_snapshot.py --update
"""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "app_stats.json"
TIMINGS = ("fast", "accurate")
# what differs between two identical runs: the host's time and where the ELF was built
VOLATILE = ("firmware", "wall_seconds", "mips")
VOLATILE_PERIPHERAL = {"ima": ("kernel_seconds",)}       # host time spent in the kernels
# the two benchmarks that run for minutes stop at this limit: deterministic all the same
MAX_INSTRUCTIONS = 10_000_000


def app_names() -> list[str]:
    from iss import toolchain
    return sorted(p.name for p in (toolchain.firmware_dir() / "apps").iterdir()
                  if (p / "main.c").is_file() or any(p.glob("*.c")))


def app_stats(elf: Path, timing: str) -> dict:
    from iss import Simulator
    sim = Simulator(str(elf), timing=timing, output=io.StringIO())
    stats = sim.stats(sim.run(max_instructions=MAX_INSTRUCTIONS))
    for key in VOLATILE:
        stats.pop(key)
    for name, keys in VOLATILE_PERIPHERAL.items():
        for key in keys:
            stats["peripherals"][name].pop(key)
    return json.loads(json.dumps(stats))       # tuples -> lists, keys -> str, as stored


@pytest.fixture(scope="module")
def snapshot() -> dict:
    return json.loads(SNAPSHOT.read_text())


def test_the_snapshot_covers_every_app(snapshot):
    assert sorted(snapshot) == sorted(f"{app}/{t}" for app in app_names() for t in TIMINGS)


@pytest.mark.parametrize("timing", TIMINGS)
@pytest.mark.parametrize("app", app_names())
def test_app_stats_unchanged(app, timing, firmware_elf, snapshot):
    assert app_stats(firmware_elf(app), timing) == snapshot[f"{app}/{timing}"]


def _update() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from iss import toolchain
    out = Path(__file__).resolve().parent / ".fwcache" / "corev" / "apps"
    SNAPSHOT.parent.mkdir(exist_ok=True)
    data = {f"{app}/{t}": app_stats(toolchain.build_app(app, out), t)
            for app in app_names() for t in TIMINGS}
    SNAPSHOT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT} ({len(data)} runs)")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_stats_snapshot.py --update")
    _update()
