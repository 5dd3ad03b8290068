"""Multi-core firmware on the event unit: fork/join, barriers, mutex, software events.

The apps (firmware/apps/cluster_*) print what each core saw; the expected lines are built
here from the API's definition (team = cores 0..n-1, every core of the team runs the entry
once, barrier = nobody leaves before all arrived, ...), never from a previous run.
Every app runs built for CORE-V (waits are cv.elw) and for plain RV32IMC (waits are lw).
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

ISAS = ("corev", "rv32imc")
EVENT_BARRIER = 16


def run(elf, cores, tmp_path, timeout=300):
    """`iss run --cores N` -> (completed process, stats dict)."""
    js = tmp_path / f"stats-{elf.stem}-{cores}.json"
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", "--cores", str(cores), str(elf),
                        "--json", str(js), "--quiet"], capture_output=True, text=True,
                       timeout=timeout)
    assert js.exists(), r.stderr
    return r, json.loads(js.read_text())


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("cores", range(1, 9))
def test_fork_join_every_team_size(firmware_elf, tmp_path, isa, cores):
    r, stats = run(firmware_elf("cluster_fork", isa=isa), cores, tmp_path)
    assert r.returncode == 0, r.stderr
    expected = [f"cores {cores}"]
    for n in range(cores + 1):
        team = n or cores                       # 0: every core
        cells = [f"{c + 1}/{team}/{1000 + n}" if c < team else "0/0/0" for c in range(cores)]
        expected.append(f"fork {n}: " + " ".join(cells))
    assert r.stdout.splitlines() == expected
    # workers sleep between forks: a few dozen instructions per fork, not a spin loop
    for hart in stats["harts"][1:]:
        assert hart["instructions"] < 100 * (cores + 1)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("cores", (1, 2, 3, 8))
def test_barrier_under_skewed_work(firmware_elf, tmp_path, isa, cores):
    r, stats = run(firmware_elf("cluster_barrier", isa=isa), cores, tmp_path)
    lines = r.stdout.splitlines()
    assert lines[-1] == f"cores {cores}, early passes 0"
    assert r.returncode == 0, r.stderr
    rounds = [line for line in lines if line.startswith("round ")]
    assert len(rounds) == 6
    for line in rounds:                         # "round r: last arrival A, first departure D"
        arrive = int(line.split("last arrival ")[1].split(",")[0])
        leave = int(line.split("first departure ")[1])
        assert leave > arrive, line
    if cores > 1:                               # the early cores slept in the barrier
        assert sum(h["sleep_cycles"] for h in stats["harts"]) > 0
        assert stats["peripherals"]["event_unit"]["barriers"] >= 6


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("cores", (1, 4, 8))
def test_mutex_counter(firmware_elf, tmp_path, isa, cores):
    r, _ = run(firmware_elf("cluster_mutex", isa=isa), cores, tmp_path)
    assert r.stdout.splitlines() == [f"team {n}: counter {100 * n}, overlaps 0, time overlaps 0"
                                     for n in range(1, cores + 1)]
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("cores", (1, 2, 5, 8))
def test_software_events(firmware_elf, tmp_path, isa, cores):
    r, _ = run(firmware_elf("cluster_events", isa=isa), cores, tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "ring: " + " ".join(str(c) for _ in range(3) for c in range(cores))
    # each receiver's wait returns exactly the broadcast event (bit 5)
    assert lines[1] == "broadcast:" + "".join(" 20" for _ in range(1, cores))
    if cores > 1:
        delay = int(lines[2].split()[-1])
        assert 0 < delay < 40                   # woken within a few cycles of the trigger


@pytest.mark.parametrize("isa", ISAS)
def test_idle_workers_sleep(firmware_elf, tmp_path, isa):
    """cluster_idle never forks: the workers go to sleep at boot and stay there."""
    elf = firmware_elf("cluster_idle", isa=isa)
    r1, one = run(elf, 1, tmp_path)
    r8, eight = run(elf, 8, tmp_path)
    assert r1.returncode == r8.returncode == 0
    assert r8.stdout == r1.stdout == "sum 199990000\n"
    # core 0 alone is neither slowed down nor perturbed by the sleeping workers
    assert eight["harts"][0]["instructions"] == one["harts"][0]["instructions"]
    assert eight["harts"][0]["cycles"] == one["harts"][0]["cycles"]
    for hart in eight["harts"][1:]:
        assert hart["instructions"] < 40            # crt0 + the worker loop up to its first pop
        assert hart["sleep_cycles"] > eight["cycles"] - 100
        assert hart["state"] == "sleeping"
    waiting = eight["peripherals"]["event_unit"]["waiting"]
    assert waiting == {str(c): "dispatch" for c in range(1, 8)}


def test_wait_with_nothing_to_wake_is_a_deadlock(tmp_path):
    src = tmp_path / "stuck.c"
    src.write_text('#include "pulp.h"\nint main(void) { eu_evt_mask(0); eu_evt_wait(); return 0; }\n')
    elf = tmp_path / "stuck.elf"
    cc = subprocess.run([sys.executable, "-m", "iss.cli", "cc", str(src), "-o", str(elf)],
                        capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    r, stats = run(elf, 2, tmp_path)
    assert r.returncode == 3, r.stderr             # every core asleep: deadlock
    assert stats["peripherals"]["event_unit"]["waiting"] == {"0": "event", "1": "dispatch"}


def test_xpulpv2_p_elw_sleeps(tmp_path):
    """p.elw (XpulpV2, no compiler support: hand-encoded) waits like cv.elw and lw."""
    src = tmp_path / "pelw.c"
    src.write_text(r'''
#include <stdio.h>
#include "pulp.h"
static volatile uint32_t got;
static void entry(void *arg)
{
    (void)arg;
    if (pi_core_id() == 1) {
        uint32_t v;
        eu_evt_maskSet(1u << 4);
        /* p.elw v, 0(addr): LOAD opcode, funct3 6 */
        __asm__ volatile(".insn i 0x03, 6, %0, 0(%1)" : "=r"(v)
                         : "r"(ARCHI_EU_DEMUX_ADDR + EU_CORE_EVENT_WAIT_CLEAR) : "memory");
        got = v;
    } else {
        for (volatile int i = 0; i < 3000; i++)
            ;
        eu_evt_trig_from_id(4, 1u << 1);
    }
}
int main(void)
{
    pi_cl_team_fork(2, entry, 0);
    printf("got %x\n", got);
    return 0;
}
''')
    elf = tmp_path / "pelw.elf"
    cc = subprocess.run([sys.executable, "-m", "iss.cli", "cc", "--isa", "rv32imc", str(src),
                         "-o", str(elf)], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    js = tmp_path / "pelw.json"
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", "--isa", "xpulpv2", "--cores", "2",
                        str(elf), "--json", str(js), "--quiet"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "got 10\n"                   # the wait returned event 4
    stats = json.loads(js.read_text())
    assert stats["harts"][1]["sleep_cycles"] > 3000  # core 1 slept while core 0 spun
