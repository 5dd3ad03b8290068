"""Executed XpulpV2 / CORE-V instructions and hardware loops (hand-derived expectations)."""
import subprocess
import sys

import pytest

from iss.simulator import Simulator


def build(tmp_path, name, source, isa="corev"):
    src = tmp_path / name
    src.write_text(source)
    elf = tmp_path / (name + ".elf")
    subprocess.run([sys.executable, "-m", "iss.cli", "cc", "--isa", isa, "-o", str(elf), str(src)],
                   check=True)
    return elf


def run(elf, isa="auto"):
    sim = Simulator(elf, isa=isa, output=open("/dev/null", "w"), cores=1)
    result = sim.run(max_instructions=10_000_000)
    return sim, result


def enc_cv_setupi(loop, count, end_offset):
    # CV32E40P v2 cv.setupi (CV32E40P corev_hw_loop.rst): 0x0000462b | L<<7 | uimm12<<20 | uimm5<<15
    return 0x0000462B | loop << 7 | count << 20 | (end_offset >> 2) << 15


def enc_lp_setupi(loop, count, end_offset):
    # RI5CY lp.setupi (PULP binutils HWLOOP class): 0x0000507b, L in bit 7, end = pc + (uimm5 << 1)
    return 0x0000507B | loop << 7 | count << 20 | (end_offset >> 1) << 15


def csr_delta_program(body, setup=""):
    """main returns the number of instructions retired by `body` (minstret delta, minus the
    one csrr that closes the window) in a0, and a checksum register in a1 via a global."""
    return f"""
    .globl main
    .type main, @function
main:
    .option push
    .option norvc
    {setup}
    csrr t5, minstret
    {body}
    csrr t6, minstret
    sub a0, t6, t5
    addi a0, a0, -1
    .option pop
    ret
"""


def test_corev_nested_hardware_loops_count_and_result(tmp_path):
    body = f"""
    li a2, 0
    li a3, 0
    .word {enc_cv_setupi(1, 3, 32):#x}
    .word {enc_cv_setupi(0, 4, 16):#x}
    addi a2, a2, 1
    addi a2, a2, 1
    addi a2, a2, 1
    addi a3, a3, 1
    addi a3, a3, 1
    addi a3, a3, 1
    """
    elf = build(tmp_path, "nest.S", csr_delta_program(body))
    sim, result = run(elf)
    assert result.stop.reason == "exit"
    h = sim.harts[0]
    # 2 li + outer setup + 3 x (inner setup + 4 x 3 + 3) = 3 + 3 * 16 = 51
    assert result.exit_code == 51
    assert h.reg(12) == 36 and h.reg(13) == 9


def test_corev_shared_end_and_count_one(tmp_path):
    # both loops end at the same address: loop 0 has priority, then loop 1 iterates
    body = f"""
    li a2, 0
    .word {enc_cv_setupi(1, 2, 20):#x}
    .word {enc_cv_setupi(0, 1, 16):#x}
    addi a2, a2, 1
    addi a2, a2, 1
    addi a2, a2, 1
    """
    elf = build(tmp_path, "shared.S", csr_delta_program(body))
    sim, result = run(elf)
    # count 1 inner: body once per outer pass; outer 2 passes: a2 = 2 * 3
    assert sim.harts[0].reg(12) == 6
    # li + outer setup + 2 x (inner setup + 3) = 2 + 8 = 10
    assert result.exit_code == 10


def test_xpulpv2_hardware_loop_inclusive_end_with_compressed_body(tmp_path):
    # lp.setupi x0, 5, last  -- body: c.addi a2,1 (2 bytes) + addi a3,a3,2 (4 bytes, = lpend)
    src = f"""
    .globl main
    .type main, @function
main:
    li a2, 0
    li a3, 0
    csrr t5, minstret
    .word {enc_lp_setupi(0, 5, 6):#x}
    c.addi a2, 1
    .option push
    .option norvc
    addi a3, a3, 2
    .option pop
    csrr t6, minstret
    sub a0, t6, t5
    addi a0, a0, -1
    ret
"""
    elf = build(tmp_path, "lp.S", src)
    sim, result = run(elf, isa="xpulpv2")
    assert sim.harts[0].reg(12) == 5 and sim.harts[0].reg(13) == 10
    assert result.exit_code == 1 + 5 * 2


def test_simd_dot_product_both_flavours(tmp_path):
    # a = bytes (-128, 127, -1, 1) low to high, b = (5, 4, 3, 2), acc 1000:
    # -640 + 508 - 3 + 2 = -133 -> 867
    corev = """
    .globl main
    .type main, @function
main:
    li a1, 0x01FF7F80
    li a2, 0x02030405
    li a0, 1000
    cv.sdotsp.b a0, a1, a2
    ret
"""
    sim, result = run(build(tmp_path, "dot.S", corev))
    assert result.exit_code == 867
    xpulp = f"""
    .globl main
    .type main, @function
main:
    li a1, 0x01FF7F80
    li a2, 0x02030405
    li a0, 1000
    .word {0xb8001057 | 10 << 7 | 11 << 15 | 12 << 20:#x}   # pv.sdotsp.b a0, a1, a2
    ret
"""
    sim, result = run(build(tmp_path, "dotx.S", xpulp), isa="xpulpv2")
    assert result.exit_code == 867


def test_post_increment_loads_and_immediate_branch(tmp_path):
    src = """
    int data[5] = {3, 5, 7, 11, 13};
    int main(void) {
        const int *p = data;
        int s = 0, v;
        for (int i = 0; i < 5; i++) {
            __asm__ volatile("cv.lw %0, (%1), 4" : "=r"(v), "+r"(p));
            s += v;
        }
        int hit = 0;
        __asm__ volatile("li %0, 0\\n cv.bneimm %1, 7, 1f\\n li %0, 1\\n 1:" : "=&r"(hit) : "r"(s - 32));
        return s * 10 + hit + (p == data + 5 ? 100 : 0);   /* 39 -> 390; s-32 == 7 -> hit 1 */
    }
"""
    sim, result = run(build(tmp_path, "pi.c", src))
    assert result.exit_code == 491 & 0xFFFFFFFF


def test_mhartid_reads_pulp_layout(tmp_path):
    src = """
    .globl main
    .type main, @function
main:
    csrr a0, mhartid
    addi a0, a0, 1
    ret
"""
    sim, result = run(build(tmp_path, "hid.S", src))
    assert result.exit_code == 1     # core 0 of cluster 0: hartid 0


PLACEMENTS = {   # (DENSE_MIN, DENSE_GAP, MAX_DENSE_HOOKS) of iss.hook_layout
    "default": None,
    "all-hooked": (1, 1 << 20, 1000),
    "all-trapped": (1, 1 << 20, 0),
}


@pytest.mark.parametrize("placement", sorted(PLACEMENTS))
@pytest.mark.parametrize("app", ["hello", "matmul_int8"])
def test_count_matches_per_instruction_hook(firmware_elf, monkeypatch, placement, app):
    """Exact counts whether custom instructions trap or run behind the code hook:
    compare with an independent count (a Python UC_HOOK_CODE on every instruction)."""
    import io

    import iss.hook_layout as layout
    from unicorn import unicorn_const as UC
    if PLACEMENTS[placement]:
        for name, value in zip(("DENSE_MIN", "DENSE_GAP", "MAX_DENSE_HOOKS"), PLACEMENTS[placement],
                               strict=True):
            monkeypatch.setattr(layout, name, value)
    # the original code: a per-instruction hook counts Unicorn's instructions, which the
    # translated copy (iss/shadow.py, compared with this mode in tests/test_shadow.py) changes
    sim = Simulator(firmware_elf(app, isa="corev"), output=io.StringIO(), cores=1, translate=False)
    executed = [0]

    def count(uc, address, size, user_data):
        executed[0] += 1
    sim.harts[0].uc.hook_add(UC.UC_HOOK_CODE, count)
    result = sim.run()
    assert result.exit_code == 0
    assert result.stats["instructions"] == executed[0]


def test_taken_immediate_branch_count(tmp_path):
    # 3 x (addi; cv.bneimm taken) + final (addi; cv.bneimm not taken) = 8 instructions
    body = """
    li a2, 0
1:  addi a2, a2, 1
    cv.bneimm a2, 4, 1b
    """
    sim, result = run(build(tmp_path, "br.S", csr_delta_program(body)))
    assert sim.harts[0].reg(12) == 4
    assert result.exit_code == 1 + 8


def test_watchpoint_sees_custom_post_increment_store(tmp_path):
    """XpulpV2 stores run natively on the memory buffers: watchpoints must still see them."""
    import io

    from iss.debugger.target import DebugTarget
    src = """
    volatile int slots[4] = {10, 20, 30, 40};
    int main(void) {
        int *p = (int *)slots;
        int v = 7;
        for (int i = 0; i < 4; i++)
            __asm__ volatile("cv.sw %1, (%0), 4" : "+r"(p) : "r"(v + i) : "memory");
        return slots[2];
    }
"""
    elf = build(tmp_path, "w.c", src)
    target = DebugTarget(elf, output=io.StringIO())
    slot2 = target.resolve("slots") + 8
    target.add_watchpoint(slot2, 4, "w")
    event = target.cont()
    assert event.reason == "watchpoint"
    assert event.watch == ("w", slot2, 4, 30, 9)        # slots[2]: 30 -> 7 + 2
    original = target.image.symbols["main"]
    assert target.read_memory(slot2, 4) == (9).to_bytes(4, "little")
    assert target.hart.pc > original
    target.remove_watchpoint(slot2, 4, "w")
    event = target.cont()
    assert event.reason == "exit" and event.exit_code == 9
