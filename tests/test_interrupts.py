"""Interrupts (iss/interrupts.py, the event unit's IRQ lines, runtime irq.h, crt0's vectors).

Expected values come from the firmware's own arithmetic redone here in Python, from the
hand-counted number of interrupts each app provokes, and for the entry latency from the
timing constants' sources (CV32E40P cycle table, GVSoC's interrupt entry), not from runs.
"""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from iss.simulator import Simulator

REPO = Path(__file__).resolve().parents[1]
TIMER_LINE, SW_LINE, MIE_LINE = 10, 3, 6
# trap overhead: interrupt entry 4 (GVSoC irq_external.cpp "latency 4"), mret 5 (GVSoC
# priv.hpp "latency 5"), exception entry 2 (a taken jump: 1 + 1 stall, CV32E40P table)
IRQ_ENTRY, MRET, EXCEPTION_ENTRY = 4, 5, 2


def run_app(firmware_elf, name, isa="corev", cores=8):
    out = io.StringIO()
    sim = Simulator(firmware_elf(name, isa), output=out, cores=cores)
    result = sim.run()
    assert result.stop.reason == "exit", result.stop.message
    assert result.exit_code == 0, out.getvalue()
    return out.getvalue(), result.stats


def lcg_checksum(steps: int) -> int:
    x, total = 12345, 0
    for _ in range(steps):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        total = (total + (x >> 16)) & 0xFFFFFFFF
    return total


@pytest.mark.parametrize("cores", [1, 8])
@pytest.mark.parametrize("isa", ["corev", "rv32imc"])
def test_timer_tick_counter(firmware_elf, isa, cores):
    text, stats = run_app(firmware_elf, "irq_timer_tick", isa, cores)
    assert f"checksum 0x{lcg_checksum(600):08x}\n" in text      # registers survive the ticks
    assert "ticks 20 (" in text and "irq_timer_tick: OK" in text
    core0 = stats["harts"][0]["traps"]
    assert core0["interrupts"] == 20 and core0["interrupt_lines"] == {str(TIMER_LINE): 20}
    assert core0["overhead_cycles"] == 20 * (IRQ_ENTRY + MRET)
    assert all(h["traps"]["interrupts"] == 0 for h in stats["harts"][1:])   # not in their mask
    # 20 matches of a clear-on-match timer with compare value 1000 happen 1001 cycles apart
    assert stats["cycles"] >= 20 * 1001


@pytest.mark.parametrize("isa", ["corev", "rv32imc"])
def test_illegal_instruction_emulation(firmware_elf, isa):
    text, stats = run_app(firmware_elf, "irq_illegal_emulation", isa, cores=1)
    madd1_sum = sum(i * (3 * i + 7) + 1 for i in range(50)) & 0xFFFFFFFF
    assert f"madd1 sum {madd1_sum}, 50 emulated, ecall 1 -> 42, ecall 9 -> 0xffffffff" in text
    traps = stats["harts"][0]["traps"]
    assert traps["exceptions"] == 52 and traps["interrupts"] == 0     # 50 madd1 + 2 ecalls
    assert traps["overhead_cycles"] == 52 * (EXCEPTION_ENTRY + MRET)


@pytest.mark.parametrize("cores", [2, 8])
@pytest.mark.parametrize("isa", ["corev", "rv32imc"])
def test_cluster_interrupts(firmware_elf, isa, cores):
    text, stats = run_app(firmware_elf, "irq_cluster", isa, cores)
    workers = cores - 1
    assert (f"cores {cores}: first round {workers} interrupts, after the wait {2 * workers}, "
            f"waits ended by event {workers}") in text
    assert "held 0, after enable 1; mie-masked 0, unmasked 1" in text
    assert "0 handler runs" in text and "irq_cluster: OK" in text
    for hart in stats["harts"][1:]:
        assert hart["traps"]["interrupt_lines"] == {str(SW_LINE): 2}
    assert stats["harts"][0]["traps"]["interrupt_lines"] == {str(SW_LINE): 1, str(MIE_LINE): 1}


@pytest.mark.parametrize("cores", [1, 8])
@pytest.mark.parametrize("isa", ["corev", "rv32imc"])
def test_every_interrupt_source(firmware_elf, isa, cores):
    """DMA (its IRQ line 9), DW end (12), IMA end (14), hardware barrier (16): one interrupt
    each on core 0, after the operation's result is there."""
    text, stats = run_app(firmware_elf, "irq_sources", isa, cores)
    assert "dma 1 (data ok), dw 1 (idle 1), ima 1 (finished 1), barrier 1\n" in text
    assert stats["harts"][0]["traps"]["interrupt_lines"] == {"9": 1, "12": 1, "14": 1, "16": 1}
    assert all(h["traps"]["interrupts"] == 0 for h in stats["harts"][1:])


def test_interrupts_are_deterministic(firmware_elf):
    first = run_app(firmware_elf, "irq_cluster")[1]
    second = run_app(firmware_elf, "irq_cluster")[1]
    assert first["harts"] == second["harts"] and first["cycles"] == second["cycles"]


# The entry latency, measured by firmware: mcycle before `csrr` (CSR_CYCLES, the CV32E40P
# table's 4-cycle CSRs, mcycle among them), the store that sends software event 3 to the
# core itself (1 cycle; the event reaches the buffer one cycle later), a jump to the next
# instruction (2 cycles), which ends the block, then the entry (4: GVSoC irq_external.cpp,
# "latency 4"); the handler's first instruction reads mcycle.
CSR_CYCLES, STORE_CYCLES, JUMP_CYCLES, ENTRY_CYCLES = 4, 1, 2, 4
LATENCY_C = r"""
#include <stdio.h>
#include <stdint.h>
#include <cluster.h>
#include <irq.h>

volatile uint32_t entry_cycle;
__asm__(".section .text.latency_handler, \"ax\"\n"
        ".balign 256\n"
        "latency_handler:\n"
        "    csrr t1, mcycle\n"
        "    la   t2, entry_cycle\n"
        "    sw   t1, 0(t2)\n"
        "    mret\n");
extern char latency_handler[];

int main(void)
{
    uint32_t start;
    eu_irq_maskSet(1u << 3);
    __asm__ volatile ("csrw mtvec, %0" :: "r"(latency_handler));   /* direct mode */
    __asm__ volatile ("csrsi mstatus, 8\n"
                      "csrr  %0, mcycle\n"
                      "sw    %2, 0(%1)\n"
                      "j     1f\n"
                      "1:    nop\n"
                      : "=&r"(start) : "r"(eu_evt_trig_addr(3)), "r"(1u) : "t1", "t2", "memory");
    printf("latency %u\n", (unsigned)(entry_cycle - start));
    return 0;
}
"""


@pytest.mark.parametrize("isa", ["corev", "rv32imc"])
def test_entry_latency(tmp_path, isa):
    src = tmp_path / "latency.c"
    src.write_text(LATENCY_C)
    elf = tmp_path / "latency.elf"
    r = subprocess.run([sys.executable, "-m", "iss.cli", "cc", "--isa", isa, "-o", str(elf),
                        str(src)], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", "--cores", "1", str(elf)],
                       capture_output=True, text=True, timeout=300, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"latency {CSR_CYCLES + STORE_CYCLES + JUMP_CYCLES + ENTRY_CYCLES}\n"


def test_unhandled_exception_still_reports(tmp_path):
    """crt0 installs vectors on every core; with no exception handler the instruction
    faults again without them and the run ends with the simulator's one-line report."""
    src = tmp_path / "bad.c"
    src.write_text("int main(void) { __asm__ volatile (\".word 0x00000077\"); return 0; }\n")
    elf = tmp_path / "bad.elf"
    r = subprocess.run([sys.executable, "-m", "iss.cli", "cc", "-o", str(elf), str(src)],
                       capture_output=True, text=True, timeout=300, cwd=REPO)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf)],
                       capture_output=True, text=True, timeout=300, cwd=REPO)
    assert r.returncode == 3
    assert "fault at 0x" in r.stderr and "<main" in r.stderr and "illegal instruction" in r.stderr


def test_trace_marks_each_interrupt(firmware_elf):
    """--trace: one instant per interrupt taken, on the core's track, named by its line."""
    from iss.trace import Tracer
    sim = Simulator(firmware_elf("irq_timer_tick"), output=io.StringIO(), cores=2)
    tracer = Tracer(sim)
    assert sim.run().exit_code == 0
    tracer.finish()
    doc = tracer.document()
    names = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    irqs = [e for e in doc["traceEvents"] if e["ph"] == "i" and e["name"] == f"irq {TIMER_LINE}"]
    assert len(irqs) == 20 and {names[e["tid"]] for e in irqs} == {"core 0"}
    assert not [e for e in doc["traceEvents"] if e["name"].startswith("exception")]
    # and a span per handler, from the entry to its mret (whose cycles it holds)
    spans = [e for e in doc["traceEvents"] if e["ph"] == "X" and e["name"] == f"irq {TIMER_LINE}"]
    assert len(spans) == 20 and {names[e["tid"]] for e in spans} == {"core 0"}
    assert all(e["args"]["cycles"] >= IRQ_ENTRY + MRET for e in spans)
    assert all(s["args"]["start_cycle"] + IRQ_ENTRY == i["args"]["cycle"]
               for s, i in zip(spans, irqs, strict=True))
    assert not any(e["args"].get("unterminated") for e in spans)


def test_trace_marks_each_exception(firmware_elf):
    from iss.trace import Tracer
    sim = Simulator(firmware_elf("irq_illegal_emulation"), output=io.StringIO(), cores=1)
    tracer = Tracer(sim)
    assert sim.run().exit_code == 0
    tracer.finish()
    names = [e["name"] for e in tracer.document()["traceEvents"] if e["ph"] == "i"]
    assert names.count("exception 2") == 50 and names.count("exception 11") == 2
