"""Multi-core debugging through the GDB remote protocol (issue 17 item 3): per-thread vCont
actions (held threads do not move), range stepping (vCont;r) at simulation speed, stops of
held threads kept for the next resume, qXfer:threads:read with core names, and a real
gdb-multiarch session on an 8-core program: break in a worker, next, step, finish, a
`next` over a 100,000-iteration loop, info threads, thread N, stepping a core that waits
at a barrier, continue to the end.

Expected values come from the C source below: dot(c, 8) = sum of i * (2i + 1) over the
indices i = c, c + 8, ... < 64; main prints the sum of the partial results per round.
"""
from __future__ import annotations

import io
import re
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from fwbuild import build_c
from test_gdbserver import (EXIT_STATUS, RspClient, build_test_firmware, elf_symbols, reg,
                            run_gdb, run_to_main, served, stop_fields)

from iss.debugger.target import DebugTarget
from iss.isa.decoder import decode

N, CORES, SPINS = 64, 8, 100_000

CLUSTER_C = """\
#include <stdio.h>
#include "pulp.h"

#define N 64
static int a[N], b[N];
volatile int partial[8];
volatile unsigned spins[8];

__attribute__((noinline)) static int dot(int core, int cores)
{
    int acc = 0;                                            /* LINE_DOT */
    for (int i = core; i < N; i += cores)
        acc += a[i] * b[i];
    return acc;
}

void dot_worker(void *arg)
{
    int core = pi_core_id();                                /* LINE_FIRST */
    int acc = dot(core, pi_cl_team_nb_cores());             /* LINE_CALL */
    partial[core] = acc;                                    /* LINE_STORE */
    for (unsigned k = 0; k < 100000; k++) spins[core]++;    /* LINE_SPIN */
    partial[core] += (int)spins[core] - 100000;             /* LINE_AFTER */
}

int main(void)
{
    for (int i = 0; i < N; i++) {
        a[i] = i;
        b[i] = 2 * i + 1;
    }
    for (int round = 0; round < 2; round++) {
        pi_cl_team_fork(0, dot_worker, 0);
        int sum = 0;
        for (int c = 0; c < pi_cl_cluster_nb_cores(); c++)
            sum += partial[c];
        printf("round %d sum %d\\n", round, sum);
    }
    return 0;
}
"""


def line(marker: str) -> int:
    return next(n for n, text in enumerate(CLUSTER_C.splitlines(), 1) if marker in text)


def dot(core: int) -> int:
    return sum(i * (2 * i + 1) for i in range(core, N, CORES))


def round_sum(round_index: int) -> int:
    # round r: partial = dot + spins - 100000, spins having reached (r + 1) * 100000
    return sum(dot(c) + round_index * SPINS for c in range(CORES))


@pytest.fixture(scope="module")
def cluster_elf() -> Path:
    # -O0: one statement after the other, as the expected lines assume
    return build_c("gdb_threads", "gdbcluster", CLUSTER_C, extra_args=["-O0"])


@pytest.fixture(scope="module")
def single_core_elf() -> Path:
    """test_gdbserver's one-function program (main stores, calls printf, returns 3)."""
    return build_test_firmware()


def at_line(target: DebugTarget, marker: str) -> int:
    return min(target.addresses_for_line("gdbcluster.c", line(marker)))


# ---------------------------------------------------------------- the debug target

def stopped_in_worker(elf: Path) -> tuple[DebugTarget, int, io.StringIO]:
    output = io.StringIO()
    target = DebugTarget(elf, output=output, cores=CORES)
    worker = target.resolve("dot_worker")
    target.add_breakpoint(worker)
    event = target.cont()
    assert event.reason == "breakpoint" and event.pc == worker
    target.remove_breakpoint(worker)
    return target, event.hart, output


def test_held_harts_do_not_move_and_a_lone_hart_blocks_at_the_barrier(cluster_elf):
    target, core, _ = stopped_in_worker(cluster_elf)
    others = [h for h in target.harts if h.index != core]
    before = [(h.pc, h.instret, h.cycles) for h in others]
    event = target.cont(harts=[core])
    # it runs its whole worker (100,000 increments), then waits for the others
    assert event.reason == "blocked" and target.finished is None
    assert target.hart_state(core) == "asleep, waits for barrier 0"     # pi_cl_team_barrier
    assert int.from_bytes(target.read_memory(target.resolve("spins") + 4 * core, 4),
                          "little") == SPINS
    assert [(h.pc, h.instret, h.cycles) for h in others] == before


def test_stepping_a_hart_that_waits_runs_the_others_until_it_retires(cluster_elf):
    target, core, output = stopped_in_worker(cluster_elf)
    assert target.cont(harts=[core]).reason == "blocked"
    waiting = target.harts[core]
    pc = waiting.pc
    word = int.from_bytes(target.read_memory(pc, 4), "little")
    assert decode(word, target.sim.flavour).mnemonic == "cv.elw"     # the barrier's wait
    length = 4                                                       # a 32-bit instruction
    others = {h.index: h.instret for h in target.harts if h.index != core}
    target.select_hart(core)
    event = target.stepi(1)
    assert (event.reason, event.hart, event.pc) == ("step", core, pc + length)
    assert all(target.harts[i].instret > n for i, n in others.items())
    assert target.cont().reason == "exit"
    assert f"round 0 sum {round_sum(0)}" in output.getvalue()


def test_stops_of_held_harts_are_kept_for_the_next_resume(cluster_elf):
    target, core, output = stopped_in_worker(cluster_elf)
    assert target.cont(harts=[core]).reason == "blocked"
    after = at_line(target, "LINE_AFTER")
    target.add_breakpoint(after)
    target.select_hart(core)
    # the others run for the waiting hart, each held at the breakpoint; then nobody can
    # move (the hart waits for held ones): the step blocks
    event = target.stepi(1, wait=True)
    assert event.reason == "blocked"
    assert sorted(target.pending) == sorted(h.index for h in target.harts if h.index != core)
    counts = [h.instret for h in target.harts]
    reported = []
    for _ in range(CORES - 1):        # reported one by one, nothing runs meanwhile
        event = target.cont()
        assert event.reason == "breakpoint" and event.pc == after
        reported.append(event.hart)
    assert [h.instret for h in target.harts] == counts
    assert sorted(reported) == sorted(h.index for h in target.harts if h.index != core)
    target.remove_breakpoint(after)
    assert target.cont().reason == "exit"
    assert f"round 1 sum {round_sum(1)}" in output.getvalue()


# ---------------------------------------------------------------- raw protocol

@contextmanager
def stopped_at_main(elf: Path):
    """A served 8-core target whose hart 0 stands at main: (client, main, symbols)."""
    syms = elf_symbols(elf)
    with served(elf) as (server, _):
        client = RspClient(server.port)
        client.no_ack()
        yield client, run_to_main(client, syms), syms


def test_range_step_stops_at_the_first_pc_outside(single_core_elf):
    with stopped_at_main(single_core_elf) as (c, main, syms):
        first = int(c.cmd(f"m{main:x},1"), 16)
        length = 4 if first & 3 == 3 else 2
        # a one-instruction range is a single step
        fields = stop_fields(c.cmd(f"vCont;r{main:x},{main + length:x}:1"))
        assert fields["signal"] == "05" and reg(fields["20"]) == main + length
        # the whole of main: the first pc outside is the first call's target, printf
        fields = stop_fields(c.cmd(f"vCont;r{main:x},{main + syms['main'][1]:x}:1;c"))
        assert fields["thread"] == "1" and reg(fields["20"]) == syms["printf"][0]
        assert c.cmd("c").startswith(f"W{EXIT_STATUS:02x}")


def test_a_thread_left_alone_that_waits_holds_until_interrupted(single_core_elf):
    with stopped_at_main(single_core_elf) as (c, main, _):
        # hart 1 boots alone, then waits for work that the held hart 0 would dispatch
        c.send("vCont;c:2")
        time.sleep(0.3)
        c.send_raw(b"\x03")
        fields = stop_fields(c.read_packet().decode())
        assert fields["signal"] == "02" and fields["thread"] == "2"
        info = bytes.fromhex(c.cmd("qThreadExtraInfo,2")).decode()
        assert info.endswith("asleep, waits for dispatch"), info
        assert c.cmd("Hg1") == "OK" and reg(c.cmd("p20")) == main   # held where it was
        assert c.cmd("c").startswith(f"W{EXIT_STATUS:02x}")


def test_thread_list_names_the_cores(single_core_elf):
    with served(single_core_elf) as (server, _):
        c = RspClient(server.port)
        c.no_ack()
        assert "qXfer:threads:read+" in c.cmd("qSupported:swbreak+")
        reply = c.cmd("qXfer:threads:read::0,fff")
        assert reply.startswith("l")
        threads = re.findall(r'<thread id="([0-9a-f]+)" core="(\d+)" name="core (\d+)">([^<]*)</thread>',
                             reply)
        assert [(int(t, 16), int(core), int(name)) for t, core, name, _ in threads] == \
            [(i + 1, i, i) for i in range(CORES)]
        assert all(text.startswith(f"hart {i} (hartid 0x{i:x})")
                   for i, (_, _, _, text) in enumerate(threads))


# ---------------------------------------------------------------- a real gdb

def test_gdb_multiarch_eight_core_session(cluster_elf):
    packets: list[str] = []
    out, server_out = run_gdb(cluster_elf, [
        "break dot_worker", "continue", "delete", "next", "step", "finish", "step", "finish",
        "next", "next", "next", "p spins", "info threads", "thread 3", "stepi", "continue"],
        cores=CORES, packets=packets)
    assert "internal-error" not in out and "Remote failure" not in out, out
    m = re.search(rf'Thread (\d) "core (\d)" hit Breakpoint 1, dot_worker \(arg=0x0\) at '
                  rf'.*gdbcluster\.c:{line("LINE_FIRST")}\n', out)
    assert m and int(m.group(1)) == int(m.group(2)) + 1, out
    core = int(m.group(2))
    lines = [int(n) for n in re.findall(r"^(\d+)\t", out, re.M)]
    for marker in ("LINE_CALL", "LINE_DOT", "LINE_STORE", "LINE_SPIN", "LINE_AFTER"):
        assert line(marker) in lines, (marker, out)
    # finish out of pi_cl_team_nb_cores (the argument), then out of dot
    assert re.search(rf"pi_cl_team_nb_cores \(\) at .*\n(.*\n)*?Value returned is \$1 = {CORES}\n"
                     rf"(.*\n)*?dot \(core={core}, cores={CORES}\) at .*gdbcluster\.c:{line('LINE_DOT')}\n"
                     rf"(.*\n)*?Value returned is \$2 = {dot(core)}\n", out), out
    spins = [int(v) for v in re.search(r"\$3 = \{([\d, ]+)\}", out).group(1).split(",")]
    assert spins[core] == SPINS, out
    for i in range(CORES):
        assert re.search(rf'^[ *] {i + 1}\s+Thread {i + 1} "core {i}" \(hart {i} \(hartid 0x{i:x}\)',
                         out, re.M), out
    assert "[Switching to thread 3 (Thread 3)]" in out
    assert "[Inferior 1 (Remote target) exited normally]" in out, out
    assert f"round 0 sum {round_sum(0)}" in server_out and f"round 1 sum {round_sum(1)}" in server_out
    # gdb range-steps (vCont;r) instead of stepping each of the loop's instructions
    resumes = [p for p in packets if p.startswith(("vCont;c", "vCont;s", "vCont;r", "c", "s"))]
    assert any(p.startswith("vCont;r") for p in resumes)
    assert len(resumes) < 50, resumes


# ---------------------------------------------------------------- iss debug

def test_shell_thread_breakpoints_switching_and_thread_apply(cluster_elf):
    from iss.debugger.shell import run_script

    out = run_script(cluster_elf, [
        "break dot_worker thread 3", "info breakpoints", "run", "p $mhartid",
        "thread apply all bt", "thread", "break main thread 9", "delete",
        f"break {line('LINE_AFTER')} thread 1", "continue", "p $mhartid"], cores=CORES)
    assert "\tstop only in thread 3\n" in out, out
    # only thread 3 stops there, and gdb's notice says the stop is in another thread
    assert re.search(r"\[Switching to Thread 3 \(hart 2\)\]\n\nBreakpoint 1, dot_worker "
                     rf"\(arg=0x0\) at gdbcluster\.c:{line('LINE_FIRST')}\n", out), out
    values = re.findall(r"^\$\d+ = (\d+)$", out, re.M)
    assert values == ["2", "0"], out
    # every thread, highest first, each with its backtrace; the selection is kept
    headers = re.findall(r"^Thread (\d) \(Thread (\d) \(hart (\d)\)\):\n#0 ", out, re.M)
    assert [(int(a), int(b), int(c)) for a, b, c in headers] == \
        [(n, n, n - 1) for n in range(CORES, 0, -1)], out
    assert re.search(r"Thread 1 \(Thread 1 \(hart 0\)\):\n(#\d.*\n)*#\d+ .* in main \(\)", out), out
    assert "[Current thread is 3 (Thread 3 (hart 2))]" in out
    assert "Unknown thread 9." in out
    assert re.search(r"\[Switching to Thread 1 \(hart 0\)\]\n\nBreakpoint 2, dot_worker "
                     rf"\(arg=0x0\) at gdbcluster\.c:{line('LINE_AFTER')}\n", out), out
