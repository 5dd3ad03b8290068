"""Robustness fuzzing of the execution engine with random instruction words.

One ELF per flavour holds a table of slots; each slot is one 32-bit word under
test followed by a jump to an exit path (a store of the EOC bit to SoC control).
A worker process loads the ELF ONCE and, for every slot, sets random register
values, points the hart's PC at the slot and runs at most 10 000 instructions.
Every run must end with stop reason exit, fault or limit (faults with a
one-line message), never a Python exception, a crash or a hang.  The worker
runs in a subprocess with a timeout, so a segfault in native code or an endless
loop fails the test (naming the slot) instead of killing or blocking pytest.

Words (seeded, deterministic):
* custom instructions of the flavour, generated from the decoder's spec tables
  (match | random bits outside the mask: random registers and immediates);
* "near misses": random words with a custom/extended major opcode of either
  flavour (0x0B 0x2B 0x5B 0x7B 0x57 0x33 0x03 0x23 0x63);
* fully random 32-bit words (including compressed encodings);
* hand-picked special words (system instructions, CSR accesses incl. the
  hardware-loop CSRs, endless loops, unimp, ...).
"""
from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MAX_INSTRUCTIONS = 10_000
N_SPEC, N_OPCODE, N_RANDOM = 900, 600, 900          # per flavour (+ the special words)
SEEDS = {"xpulpv2": 0x5EED0001, "corev": 0x5EED0002}
BUILD_ISA = {"xpulpv2": "rv32imc", "corev": "corev"}
WORKER_TIMEOUT = 240                                # seconds, per flavour

SPECIAL = [
    0x00000000,              # c.unimp (+ c.unimp)
    0xFFFFFFFF,
    0x00000013,              # nop
    0x0000006F,              # j .  (endless loop -> limit)
    0x0000A001,              # c.j . + c.nop
    0x00000073,              # ecall
    0x00100073,              # ebreak
    0x00009002,              # c.ebreak + c.nop
    0x10500073,              # wfi
    0x30200073,              # mret
    0x10200073,              # sret
    0x00200073,              # uret
    0x7B200073,              # dret
    0x0000000F,              # fence
    0x0000100F,              # fence.i
    0x12000073,              # sfence.vma
    0x00008067,              # ret (ra is random)
    0x000080E7,              # jalr ra (random target)
    0x30529073,              # csrw mtvec, t0
    0x30001073,              # csrw mstatus, zero
    0x34101073,              # csrw mepc, zero
    0xF1401573,              # csrrw a0, mhartid, zero (read-only CSR)
    0xB0201573,              # csrrw a0, minstret, zero
    0xB0001573,              # csrrw a0, mcycle, zero
    0xC0001573,              # csrrw a0, cycle, zero (read-only)
    0xC0202573,              # csrr a0, instret
    0xC8202573,              # csrr a0, instreth
    0x7C029573, 0x7C129573, 0x7C229573, 0x7C429573, 0x7C529573, 0x7C629573,   # csrrw a0, 0x7c?, t0
    0x7C315573,              # csrrwi a0, 0x7c3, 2 (hole in the loop CSRs)
    0xCC029573, 0xCC129573, 0xCC229573, 0xCC429573, 0xCC529573, 0xCC629573,   # csrrw a0, 0xcc?, t0
    0xCC002573, 0xCC602573, 0xCC302573,                                      # csrr a0, 0xcc0/6/3
    0xCC00E573,              # csrrsi a0, 0xcc0, 1
    0xCC007573,              # csrrci a0, 0xcc0, 0 (no write)
    0x1005A52F,              # lr.w a0, (a1)
    0x00B5252F,              # amoadd.w a0, a1, (a0)
    0x0005A507,              # flw fa0, 0(a1)
    0x02B50533,              # mul a0, a0, a1
    0x02B54533,              # div a0, a0, a1
    0x0000A503,              # lw a0, 0(ra)
    0x00A0A023,              # sw a0, 0(ra)
    # hardware loops with all-ones / all-zero operand fields
    0xFFFFD07B, 0x0000507B, 0xFFFF407B, 0x0010207B,        # lp.setupi/setup/count
    0xFFFFF6AB, 0x0000462B, 0xFFFF77AB, 0x000F452B,        # cv.setupi/setup/count
    0x0000402B, 0x0000422B, 0x0000412B, 0x0000432B,        # cv.starti/endi/start/end 0
]


def words_for(flavour: str) -> list[int]:
    from iss.isa.decoder import SPECS, decode

    rng = random.Random(SEEDS[flavour])
    words = list(SPECIAL)
    specs = list(SPECS[flavour])
    for i in range(N_SPEC):
        s = specs[i % len(specs)]
        for _ in range(20):
            w = s.match | (rng.getrandbits(32) & ~s.mask & 0xFFFFFFFF)
            if decode(w, flavour) is not None:
                break
        words.append(w)
    opcodes = (0x0B, 0x2B, 0x5B, 0x7B, 0x57, 0x33, 0x03, 0x23, 0x63)
    for i in range(N_OPCODE):
        words.append((rng.getrandbits(32) & ~0x7F) | opcodes[i % len(opcodes)])
    for _ in range(N_RANDOM):
        words.append(rng.getrandbits(32))
    return words


WFI = 0x10500073


def fuzz_source(words: list[int]) -> str:
    lines = ["    .text", "    .option norvc", "    .option norelax", "    .balign 4",
             "    .globl fuzz_slots", "fuzz_slots:"]
    for w in words:
        lines += [f"    .word {w:#010x}", "    j fuzz_exit"]
    lines += ["    .globl fuzz_exit", "fuzz_exit:", "    lui t0, 0x1a104", "    lui t1, 0x80000",
              "    sw t1, 0xa0(t0)", "1:  j 1b",
              "    .globl main", "main:", "    li a0, 0", "    ret"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# worker (runs in a subprocess: python tests/test_fuzz.py FLAVOUR ELF SEED NSLOTS)
# ---------------------------------------------------------------------------------------
def random_register(rng: random.Random, scratch: int) -> int:
    k = rng.random()
    if k < 0.35:
        return rng.getrandbits(32)
    if k < 0.55:
        return rng.randint(-64, 64) & 0xFFFFFFFF
    if k < 0.90:                               # inside an L1 scratch area (any alignment)
        return scratch + rng.randint(0, 0xFFF)
    return rng.choice((0x1A10F000, 0x1A104000, 0x1A1040C0, 0x1C000000, 0x10000000, 0))


def worker(flavour: str, elf: str, seed: int, nslots: int) -> None:
    sys.path.insert(0, str(REPO))
    from iss.hart_state import CTX_LP_COUNT0, CTX_LP_COUNT1
    from iss.simulator import Simulator

    sim = Simulator(elf, isa=flavour, output=io.StringIO(), cores=1)
    hart = sim.harts[0]
    slots = sim.image.symbols["fuzz_slots"]
    scratch = 0x10010000                        # L1, away from the stacks at the top of L1
    rng = random.Random(seed)
    out = sys.stdout
    for i in range(nslots):
        pc = slots + 8 * i
        regs = [random_register(rng, scratch) for _ in range(32)]
        print(json.dumps({"start": i}), file=out, flush=True)
        record = {"slot": i, "pc": pc}
        try:
            for r in range(1, 32):
                hart.set_reg(r, regs[r])
            # no hardware loop left active by the previous slot
            hart.ctx[CTX_LP_COUNT0] = 0
            hart.ctx[CTX_LP_COUNT1] = 0
            # nor a core left asleep (a wfi with nothing to wake it ends its slot asleep)
            hart.state = "running"
            hart.irq.in_wfi = False
            hart.pc = pc
            before = hart.instret
            result = sim.run(max_instructions=before + MAX_INSTRUCTIONS)
            stop = result.stop
            record.update(reason=stop.reason, message=stop.message,
                          retired=hart.instret - before,
                          line=sim.describe_stop(stop) if stop.reason == "fault" else "")
        except BaseException as exc:        # noqa: BLE001 - reported to the parent
            import traceback
            record.update(reason="exception", message=f"{type(exc).__name__}: {exc}",
                          traceback=traceback.format_exc())
        print(json.dumps(record), file=out, flush=True)


# ---------------------------------------------------------------------------------------
# the test
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("flavour", ["xpulpv2", "corev"])
def test_random_words_never_break_the_engine(fuzz_dir, flavour):
    from iss import toolchain

    words = words_for(flavour)
    src = fuzz_dir / f"fuzz_{flavour}.S"
    src.write_text(fuzz_source(words))
    elf = toolchain.compile_firmware([src], fuzz_dir / f"fuzz_{flavour}.elf", isa=BUILD_ISA[flavour])
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, __file__, flavour, str(elf), str(SEEDS[flavour] ^ 0xABCDEF), str(len(words))]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=WORKER_TIMEOUT,
                              cwd=REPO, env=env)
        stdout, stderr, rc = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        started = [json.loads(l)["start"] for l in stdout.splitlines() if l.startswith('{"start"')]
        last = started[-1] if started else None
        pytest.fail(f"{flavour}: worker hung (> {WORKER_TIMEOUT} s) in slot {last} "
                    f"(word {words[last]:#010x})" if last is not None else f"{flavour}: worker hung")
    records = [json.loads(l) for l in stdout.splitlines() if l.startswith('{"slot"')]
    started = [json.loads(l)["start"] for l in stdout.splitlines() if l.startswith('{"start"')]
    if rc != 0 or len(records) != len(words):
        last = started[-1] if started else None
        where = f" in slot {last} (word {words[last]:#010x})" if last is not None else ""
        pytest.fail(f"{flavour}: worker died with exit code {rc}{where} after {len(records)} runs\n"
                    f"{stderr[-3000:]}")
    problems = []
    reasons = {}
    for rec in records:
        w = words[rec["slot"]]
        reasons[rec["reason"]] = reasons.get(rec["reason"], 0) + 1
        tag = f"slot {rec['slot']} word {w:#010x}"
        if rec["reason"] == "deadlock" and w == WFI and "waits for wfi" in rec["message"]:
            continue          # wfi with no interrupt enabled sleeps for good: a deadlock
        if rec["reason"] not in ("exit", "fault", "limit"):
            problems.append(f"{tag}: stop reason {rec['reason']}: {rec['message']}\n"
                            f"{rec.get('traceback', '')}")
            continue
        if rec["retired"] > MAX_INSTRUCTIONS:
            problems.append(f"{tag}: {rec['retired']} instructions retired (limit {MAX_INSTRUCTIONS})")
        if rec["reason"] == "limit" and rec["retired"] != MAX_INSTRUCTIONS:
            problems.append(f"{tag}: limit stop after {rec['retired']} instructions")
        if rec["reason"] == "fault" and (not rec["message"] or "\n" in rec["line"]):
            problems.append(f"{tag}: fault without a one-line message: {rec['line']!r}")
    assert not problems, (f"{flavour}: {len(problems)} bad run(s) of {len(records)} {reasons}:\n"
                          + "\n".join(problems[:20]))
    # the table exercised every outcome
    assert reasons.get("exit", 0) > 0 and reasons.get("fault", 0) > 0 and reasons.get("limit", 0) > 0


if __name__ == "__main__":
    worker(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
