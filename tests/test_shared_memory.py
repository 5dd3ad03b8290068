"""Cores talking through plain L1 variables (firmware/apps/flag_pingpong): core 0 sets a flag
after working, a flag ping-pong, a Peterson lock. In the accurate timing mode a value is never
seen before the cycle it was written, and a spinning core sees it within a poll iteration; in
the fast mode the skew is bounded by the scheduler's quantum (docs/cluster.md, "Cores polling
shared memory")."""
from __future__ import annotations

import io
import re

import pytest

from iss.scheduler import QUANTUM_CYCLES
from iss.simulator import Simulator

ROUNDS = 8
# cycles from a write to the spinning core's timer read after its loop: the rest of the
# poll iteration (load, branch), the loop exit and the timer read (an MMIO load)
POLL = 20


def _rounds(elf, timing):
    out = io.StringIO()
    result = Simulator(elf, output=out, timing=timing).run(max_instructions=20_000_000)
    text = out.getvalue()
    assert result.exit_code == 0, text
    assert "counter 400" in text and "flag_pingpong: OK" in text
    rounds = [tuple(map(int, m)) for m in
              re.findall(r"ping (\d+) seen (\d+) pong (\d+) seen (\d+)", text)]
    assert len(rounds) == ROUNDS
    go = tuple(map(int, re.search(r"go (\d+) seen (\d+)", text).groups()))
    return rounds, go, result


def test_a_flag_is_seen_when_it_is_written(firmware_elf):
    """Accurate timing: never before the write, and within a poll iteration after it;
    a ping-pong round trip costs tens of cycles, not a scheduling quantum."""
    rounds, (go, seen_go), _ = _rounds(firmware_elf("flag_pingpong"), "accurate")
    assert go <= seen_go <= go + POLL
    for ping, seen_ping, pong, seen_pong in rounds:
        assert ping <= seen_ping <= ping + POLL and pong <= seen_pong <= pong + POLL
        assert pong >= seen_ping        # core 1 answers after it saw the ping
    round_trips = [b[0] - a[0] for a, b in zip(rounds, rounds[1:], strict=False)]
    assert max(round_trips) <= 4 * POLL, round_trips


@pytest.mark.parametrize("timing", ["fast", "accurate"])
def test_flag_skew_is_bounded_by_the_quantum(firmware_elf, timing):
    rounds, (go, seen_go), _ = _rounds(firmware_elf("flag_pingpong"), timing)
    bound = QUANTUM_CYCLES[timing] + POLL
    assert abs(seen_go - go) <= bound
    for ping, seen_ping, pong, seen_pong in rounds:
        assert abs(seen_ping - ping) <= bound and abs(seen_pong - pong) <= bound


def test_shared_memory_runs_are_identical(firmware_elf):
    for timing in ("fast", "accurate"):
        a = _rounds(firmware_elf("flag_pingpong"), timing)
        b = _rounds(firmware_elf("flag_pingpong"), timing)
        assert a[:2] == b[:2]
        assert a[2].stats["harts"] == b[2].stats["harts"]


SPIN_LOOPS_S = """
.globl main
main:
    la a4, flag
spin:                       # a poll: load, compare with a loop-invariant register
    lw a5, 0(a4)
    bne a5, a3, spin
spin_c:                     # compressed, computing the address inside the loop
    lui a4, %hi(flag)
    c.lw a5, 0(a4)
    c.beqz a5, spin_c
count:                      # not a poll: a counter carried from one iteration to the next
    addi a2, a2, 1
    lw a5, 0(a4)
    beqz a5, count
store:                      # not a poll: it writes memory
    sw a2, 4(a4)
    lw a5, 0(a4)
    beqz a5, store
call:                       # not a poll: it calls
    jal ra, main
    beqz a5, call
    li a0, 0
    ret
.data
flag: .word 0, 0
"""


def test_spin_loops_are_found_from_the_code(tmp_path):
    """iss/spin.py marks exactly the loops that only poll memory (assembled by LLVM)."""
    import subprocess
    import sys

    from iss.elf import load_elf
    from iss.memory import SharedMemory
    from iss.platform import load_platform
    from iss.spin import spin_loop_starts

    (tmp_path / "s.S").write_text(SPIN_LOOPS_S)
    subprocess.run([sys.executable, "-m", "iss.cli", "cc", "--isa", "rv32imc", "-o",
                    str(tmp_path / "s.elf"), str(tmp_path / "s.S")], check=True)
    image = load_elf(tmp_path / "s.elf")
    mem = SharedMemory(load_platform(None))
    mem.load(image)
    table = spin_loop_starts(bytes(mem.read(mem.code_base, mem.code_end - mem.code_base)),
                             "corev")
    by_address = {a: name for name, a in image.symbols.items()}
    found = {by_address.get(mem.code_base + 2 * int(k)) for k in table.nonzero()[0]}
    assert found == {"spin", "spin_c"}
