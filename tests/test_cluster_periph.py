"""Cluster timer and cluster control unit (plugins/cluster_timer.py, cluster_ctrl.py) with a
fake simulator, then on firmware: the timer and the performance counters read by firmware
against the simulator's own per-hart statistics."""
from __future__ import annotations

import numpy as np
import pytest

from iss.testing import FakeSim
from iss_plugins.cluster_ctrl import ClusterCtrl
from iss_plugins.cluster_timer import ClusterTimer

CFG_LO, CFG_HI, CNT_LO, CNT_HI, CMP_LO, CMP_HI = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14
START_LO, START_HI, RESET_LO, RESET_HI = 0x18, 0x1C, 0x20, 0x24
ENABLE, RESET, IRQEN, IEM, MODE, ONE_S, PEN, CCFG = (1 << b for b in range(8))
CASC = 1 << 31


def timer():
    sim = FakeSim()
    return sim, ClusterTimer(sim, "cluster_timer", 0x10200400, 0x400, {}), sim.harts[0]


def at(hart, t):
    hart.t = t
    return hart


# ---------------------------------------------------------------- timer

def test_counts_cycles_of_the_accessing_hart_from_enable():
    sim, tm, h = timer()
    tm.write(at(h, 100), CFG_LO, 4, ENABLE | RESET)
    assert tm.read(at(h, 1100), CNT_LO, 4) == 1000
    assert tm.read(h, CFG_LO, 4) == ENABLE                      # RESET reads back 0
    assert tm.read(at(sim.harts[1], 1200), CNT_LO, 4) == 1100    # any core reads the same timer
    tm.write(at(h, 1300), CFG_LO, 4, 0)                          # stop
    assert tm.read(at(h, 5000), CNT_LO, 4) == 1200
    assert tm.read(h, CNT_HI, 4) == 0                            # HI never enabled


def test_prescaler_divides_by_pval_plus_one():
    sim, tm, h = timer()
    tm.write(at(h, 0), CFG_LO, 4, ENABLE | PEN | 3 << 8)         # Ftimer = Fclk / 4
    assert tm.read(at(h, 1001), CNT_LO, 4) == 250
    assert tm.read(at(h, 1003), CNT_LO, 4) == 250
    assert tm.read(at(h, 1004), CNT_LO, 4) == 251


def test_reference_clock_counts_32768_hz_of_the_platform_clock():
    sim, tm, h = timer()
    tm.write(at(h, 0), CFG_LO, 4, ENABLE | CCFG)
    assert tm.read(at(h, 15258), CNT_LO, 4) == 0                # 15258.8 cycles per tick
    assert tm.read(at(h, 15259), CNT_LO, 4) == 1
    assert tm.read(at(h, sim.platform.clock_hz), CNT_LO, 4) == 32768


def test_compare_match_raises_timer_event_and_continue_mode_wraps():
    sim, tm, h = timer()
    tm.write(at(h, 50), CMP_LO, 4, 500)
    tm.write(h, CFG_LO, 4, ENABLE | RESET | IRQEN)
    sim.run_until(549)
    assert not sim.raised
    sim.run_until(550)
    assert sim.raised == [(10, 0xFF, 550)]
    assert tm.read(at(h, 560), CNT_LO, 4) == 510                 # continues counting
    assert sim.next_event_time() == 550 + (1 << 32)              # next match after a wrap
    assert tm.stats() == {"events": 1}


def test_cycle_mode_clears_on_match_periodically():
    sim, tm, h = timer()
    tm.write(at(h, 0), CMP_LO, 4, 100)
    tm.write(h, CFG_LO, 4, ENABLE | IRQEN | MODE)
    sim.run_until(350)
    assert [t for _, _, t in sim.raised] == [100, 200, 300]
    assert tm.read(at(h, 350), CNT_LO, 4) == 50


def test_one_shot_disables_on_match_and_cmp_with_prescaler():
    sim, tm, h = timer()
    tm.write(at(h, 10), CMP_LO, 4, 5)
    tm.write(h, CFG_LO, 4, ENABLE | IRQEN | ONE_S | PEN | 1 << 8)   # a tick every 2 cycles
    sim.run_until(10_000)
    assert sim.raised == [(10, 0xFF, 20)]
    assert not tm.read(h, CFG_LO, 4) & ENABLE
    assert tm.read(at(h, 9000), CNT_LO, 4) == 5


def test_reconfiguration_cancels_a_pending_match():
    sim, tm, h = timer()
    tm.write(at(h, 0), CMP_LO, 4, 100)
    tm.write(h, CFG_LO, 4, ENABLE | IRQEN)
    tm.write(at(h, 50), CMP_LO, 4, 300)
    sim.run_until(1000)
    assert sim.raised == [(10, 0xFF, 300)]


def test_hi_counter_is_independent_and_uses_line_11():
    sim, tm, h = timer()
    tm.write(at(h, 0), CMP_HI, 4, 40)
    tm.write(h, CFG_HI, 4, ENABLE | IRQEN)
    tm.write(at(h, 10), START_LO, 4, 1)
    sim.run_until(100)
    assert sim.raised == [(11, 0xFF, 40)]
    assert tm.read(at(h, 100), CNT_LO, 4) == 90
    assert tm.read(h, CNT_HI, 4) == 100
    tm.write(h, RESET_HI, 4, 1)
    assert tm.read(at(h, 130), CNT_HI, 4) == 30


def test_cascaded_64_bit_counter_carries_into_hi_and_matches_on_64_bits():
    sim, tm, h = timer()
    tm.write(at(h, 0), CNT_LO, 4, 0xFFFFFFF0)
    tm.write(h, CMP_LO, 4, 0x20)
    tm.write(h, CMP_HI, 4, 1)
    tm.write(h, CFG_LO, 4, ENABLE | IRQEN | CASC)
    assert tm.read(at(h, 0x20), CNT_LO, 4) == 0x10
    assert tm.read(h, CNT_HI, 4) == 1
    sim.run_until(1000)
    assert sim.raised == [(10, 0xFF, 0x30)]
    tm.write(at(h, 1000), RESET_LO, 4, 1)                         # clears all 64 bits
    assert (tm.read(at(h, 1005), CNT_LO, 4), tm.read(h, CNT_HI, 4)) == (5, 0)


def test_narrow_accesses_read_and_write_bytes_of_a_register():
    sim, tm, h = timer()
    tm.write(at(h, 0), CMP_LO, 4, 0x11223344)
    assert tm.read(h, CMP_LO + 2, 2) == 0x1122
    tm.write(h, CMP_LO + 1, 1, 0xAB)
    assert tm.read(h, CMP_LO, 4) == 0x1122AB44


# ---------------------------------------------------------------- cluster control unit

def ctrl():
    sim = FakeSim()
    return sim, ClusterCtrl(sim, "cluster_ctrl", 0x10200000, 0x400, {})


def test_ctrl_reset_values_fetch_enable_all_and_boot_at_the_elf_entry():
    sim, c = ctrl()
    h = sim.harts[0]
    assert c.read(h, 0x8, 4) == 0xFF
    assert [c.read(h, 0x40 + 4 * i, 4) for i in range(8)] == [sim.image.entry] * 8


def test_ctrl_eoc_ends_the_run_with_the_return_value():
    sim, c = ctrl()
    h = sim.harts[0]
    c.write(h, 0x100, 4, (1 << 31) | 7)
    c.write(h, 0x0, 4, 1)
    assert sim.exits == [(0, 7)]
    sim2, c2 = ctrl()
    c2.write(sim2.harts[1], 0x0, 4, 1)                            # no valid RETURN: status 0
    assert sim2.exits == [(1, 0)]


def test_ctrl_fetch_enable_halts_others_and_restarts_at_the_boot_address():
    sim, c = ctrl()
    h0, h3 = sim.harts[0], sim.harts[3]
    c.write(at(h0, 500), 0x8, 4, 0x00)                # halt cores 1..7 (not itself) at 500
    assert c.read(h0, 0x8, 4) == 0x00
    assert all(h.state == "running" for h in sim.harts)          # others may be behind 500
    sim.run_until(500)
    assert [h.state for h in sim.harts] == ["running"] + ["halted"] * 7
    c.write(h0, 0x40 + 12, 4, 0x1C000400)
    h3.cycles = 200
    c.write(at(h0, 900), 0x8, 4, 0x09)                            # restart core 3
    sim.run_until(900)
    assert (h3.state, h3.pc, h3.cycles) == ("running", 0x1C000400, 900)
    assert c.read(h0, 0x8, 4) == 0x09
    assert c.stats() == {"core_starts": 1, "core_halts": 7}


def test_ctrl_other_registers_are_plain_storage():
    sim, c = ctrl()
    h = sim.harts[0]
    c.write(h, 0x18, 4, 0x1234)
    c.write(h, 0x19, 1, 0xAB)
    assert c.read(h, 0x18, 4) == 0xAB34
    assert c.read(h, 0x20, 4) == 0


# ---------------------------------------------------------------- firmware: perf counters, timer

PERF_SOURCE = r"""
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include <perf.h>
#include <timer.h>

/* measured(buf, counter mask, &CNT_LO, times): timer, pi_perf_start, the region, pi_perf_stop,
 * timer.  .balign 4 and norvc (but for two c.addi) fix every size and alignment. */
void measured(volatile uint32_t *buf, uint32_t mask, uint32_t timer_cnt, uint32_t *times);
__asm__(
    "    .text\n    .balign 4\n    .globl measured\n    .type measured, @function\n"
    "measured:\n    .option push\n    .option norvc\n"
    "    lw t4, 0(a2)\n"
    "    csrc 0x320, a1\n"
    "    .rept 20\n    addi t0, t0, 1\n    .endr\n"
    "    lw t1, 0(a0)\n"
    "    addi t1, t1, 1\n"
    "    sw t1, 4(a0)\n"
    "    .option rvc\n    c.addi t0, 1\n    c.addi t0, 1\n    .option norvc\n"
    "    li t2, 3\n"
    "1:  addi t2, t2, -1\n"
    "    bne t2, zero, 1b\n"
    "    mulh t3, t0, t1\n"
    "    jal zero, 2f\n"
    "2:  csrs 0x320, a1\n"
    "    lw t5, 0(a2)\n"
    "    sw t4, 0(a3)\n    sw t5, 4(a3)\n"
    "    ret\n    .option pop\n    .size measured, . - measured\n");

static volatile uint32_t buf[16][2];
static volatile uint32_t counts[16][PI_PERF_NB_EVENTS + 1];

static void each_core(void *arg)
{
    (void)arg;
    int core = pi_core_id();
    uint32_t times[2];
    pi_perf_conf((1u << PI_PERF_NB_EVENTS) - 1);
    pi_perf_reset();
    measured(buf[core], ((1u << PI_PERF_NB_EVENTS) - 1) << 3,
             timer_base_cl(0, 0, 0) + TIMER_CNT_LO_OFFSET, times);
    for (int i = 0; i < PI_PERF_NB_EVENTS; i++)
        counts[core][i] = pi_perf_read(i);
    counts[core][PI_PERF_NB_EVENTS] = times[1] - times[0];
}

int main(void)
{
    timer_conf_set(timer_base_cl(0, 0, 0), 1 << TIMER_CFG_LO_ENABLE_BIT);
    int n = pi_cl_cluster_nb_cores();
    pi_cl_team_fork(n, each_core, 0);
    for (int c = 0; c < n; c++) {
        printf("core %d:", c);
        for (int i = 0; i <= PI_PERF_NB_EVENTS; i++)
            printf(" %u", (unsigned)counts[c][i]);
        printf("\n");
    }
    return 0;
}
"""

# Hand count of the region between pi_perf_start's csrc and pi_perf_stop's csrs
# (timing rules: docs/cluster.md): 20 addi; lw + dependent addi (+1 load-use); sw; 2 c.addi;
# li; 3 x (addi, bne) with 2 taken (3 cycles) and 1 not taken; mulh (5); jal (2).
REGION_INSTR = 20 + 2 + 1 + 2 + 1 + 6 + 1 + 1
REGION_CYCLES = 20 + 3 + 1 + 2 + 1 + (3 + 2 * 3 + 1) + 5 + 2
CSR_CYCLES = 4          # csrc/csrs of mcountinhibit (CV32E40P: 4-cycle CSRs)
# The counters see the instructions after the enabling csrc up to and including the
# disabling csrs (a CSR write takes effect from the next instruction, CV32E40P).
EXPECTED = {"CYCLES": REGION_CYCLES + CSR_CYCLES, "INSTR": REGION_INSTR + 1, "LD_STALL": 1,
            "JR_STALL": 1, "IMISS": 0, "LD": 1, "ST": 1, "JUMP": 1, "BRANCH": 3, "BTAKEN": 2,
            "RVC": 2, "ELW": 0, "LD_EXT": 0, "ST_EXT": 0, "LD_EXT_CYC": 0, "ST_EXT_CYC": 0,
            "TCDM_CONT": 0}
# the timer read before the region to the one after: lw, csrc, region, csrs
EXPECTED_TIMER = 1 + CSR_CYCLES + REGION_CYCLES + CSR_CYCLES


def cc(tmp_path, name, source, *flags, isa="corev"):
    import subprocess
    import sys
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    elf = tmp_path / f"{name}.elf"
    r = subprocess.run([sys.executable, "-m", "iss.cli", "cc", "--isa", isa, *flags, "-o",
                        str(elf), str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return elf


def run_elf(elf, cores=None):
    import io
    from iss.simulator import Simulator
    out = io.StringIO()
    result = Simulator(elf, output=out, cores=cores).run(max_instructions=10_000_000)
    assert result.stop.reason == "exit" and result.exit_code == 0, (result.stop, out.getvalue())
    return result, out.getvalue()


def perf_run(tmp_path, cores):
    _, out = run_elf(cc(tmp_path, "perf", PERF_SOURCE), cores)
    lines = out.splitlines()
    assert len(lines) == cores
    return [[int(v) for v in line.split(":")[1].split()] for line in lines]


@pytest.mark.parametrize("cores", [1, 8])
def test_perf_counters_and_timer_match_a_hand_count_on_every_core(tmp_path, cores):
    for core, values in enumerate(perf_run(tmp_path, cores)):
        assert dict(zip(EXPECTED, values, strict=False)) == EXPECTED, f"core {core}"
        assert values[-1] == EXPECTED_TIMER, f"core {core}: timer"


# The same region REPEAT times between start and stop, the counts left in memory (no printf,
# whose cost depends on the digits): two builds differ by exactly one region, in the perf
# counters and in the simulator's own per-hart statistics.
REPEAT_SOURCE = r"""
#include <stdint.h>
#include <perf.h>

void measured(volatile uint32_t *buf);
__asm__(
    "    .text\n    .balign 4\n    .globl measured\n    .type measured, @function\n"
    "measured:\n    .option push\n    .option norvc\n"
    "    li a1, 0xFFFF8\n"
    "    csrc 0x320, a1\n"
    "    .rept " REPEAT "\n"
    "    .rept 20\n    addi t0, t0, 1\n    .endr\n"
    "    lw t1, 0(a0)\n    addi t1, t1, 1\n    sw t1, 4(a0)\n"
    "    .option rvc\n    c.addi t0, 1\n    c.addi t0, 1\n    .option norvc\n"
    "    li t2, 3\n1:  addi t2, t2, -1\n    bne t2, zero, 1b\n"
    "    mulh t3, t0, t1\n    jal zero, 2f\n2:\n"
    "    .endr\n"
    "    csrs 0x320, a1\n"
    "    ret\n    .option pop\n    .size measured, . - measured\n");

volatile uint32_t buf[2] = {41, 0};
volatile uint32_t counts[PI_PERF_NB_EVENTS];

int main(void)
{
    pi_perf_conf((1u << PI_PERF_NB_EVENTS) - 1);
    pi_perf_reset();
    measured(buf);
    for (int i = 0; i < PI_PERF_NB_EVENTS; i++)
        counts[i] = pi_perf_read(i);
    return 0;
}
"""


def test_perf_counters_agree_with_the_simulators_per_hart_stats(tmp_path):
    from iss.elf import load_elf
    from iss.simulator import Simulator
    perf, stats = [], []
    for repeat in (1, 2):
        elf = cc(tmp_path, f"repeat{repeat}", REPEAT_SOURCE, f"-DREPEAT=\"{repeat}\"")
        sim = Simulator(elf, output=open("/dev/null", "w"), cores=1)
        result = sim.run(max_instructions=10**6)
        assert result.exit_code == 0
        address = load_elf(elf).symbols["counts"]
        perf.append(np.frombuffer(sim.memory.read(address, 4 * 17), dtype=np.uint32).astype(int))
        h = result.stats["harts"][0]
        stats.append({"CYCLES": h["cycles"], "INSTR": h["instructions"],
                      "LD_STALL": h["stalls"]["load_use"], "JR_STALL": h["stalls"]["jump"],
                      **{k.upper(): v for k, v in h["events"].items()}})
    one_region_perf = dict(zip(EXPECTED, perf[1] - perf[0], strict=True))
    one_region_stats = {k: stats[1][k] - stats[0][k] for k in stats[0]}
    assert one_region_stats == {k: one_region_perf[k] for k in one_region_stats}
    assert one_region_perf["INSTR"] == REGION_INSTR and one_region_perf["CYCLES"] == REGION_CYCLES
    assert one_region_perf["BTAKEN"] == 2 and one_region_perf["RVC"] == 2


TIMER_SOURCE = r"""
#include <stdio.h>
#include <pulp.h>
#include <timer.h>

/* Core 0 sleeps until the timer's compare event (line 10); the others sleep in the
 * dispatch FIFO.  Then the periodic mode: three events 1000 cycles apart. */
int main(void)
{
    unsigned int t = timer_base_cl(0, 0, 0);
    timer_cmp_set(t, 5000);
    timer_conf_set(t, 1 << TIMER_CFG_LO_ENABLE_BIT | 1 << TIMER_CFG_LO_RESET_BIT
                      | 1 << TIMER_CFG_LO_IRQEN_BIT | 1 << TIMER_CFG_LO_ONE_S_BIT);
    eu_evt_maskWaitAndClr(1 << ARCHI_CL_EVT_TIMER0_LO);
    printf("woke at %u\n", timer_count_get(t));

    timer_cmp_set(t, 1000);
    timer_conf_set(t, 1 << TIMER_CFG_LO_ENABLE_BIT | 1 << TIMER_CFG_LO_RESET_BIT
                      | 1 << TIMER_CFG_LO_IRQEN_BIT | 1 << TIMER_CFG_LO_MODE_BIT);
    for (int i = 0; i < 3; i++) {
        eu_evt_maskWaitAndClr(1 << ARCHI_CL_EVT_TIMER0_LO);
        printf("tick at %u\n", timer_count_get(t));
    }
    timer_conf_set(t, 0);
    return 0;
}
"""


def test_timer_compare_event_wakes_a_sleeping_core(tmp_path):
    result, out = run_elf(cc(tmp_path, "timer", TIMER_SOURCE))
    lines = out.splitlines()
    woke = int(lines[0].split()[-1])
    # one-shot: the counter stops at 5000; the core is back a few cycles after the event
    assert lines[0] == "woke at 5000"
    assert result.stats["harts"][0]["sleep_cycles"] > 4900
    # periodic: each tick is read shortly after the counter wrapped to 0 at 1000
    ticks = [int(line.split()[-1]) for line in lines[1:]]
    assert len(ticks) == 3 and all(0 <= v < 20 for v in ticks), ticks
    assert woke and result.stats["peripherals"]["cluster_timer"]["events"] == 4


CTRL_SOURCE = r"""
#include <stdio.h>
#include <pulp.h>

#define CTRL(off) (ARCHI_CLUSTER_CTRL_ADDR + (off))
static volatile int restarted;

/* where core 3 starts on fetch enable: its registers (sp) are those it had when halted */
void core3_entry(void)
{
    restarted = pi_core_id() + 100;
    for (;;)
        eu_evt_maskWaitAndClr(0);       /* sleep for good */
}

int main(void)
{
    printf("fetch_en %x\n", hal_read32(CTRL(CLUSTER_CTRL_FETCH_EN_OFFSET)));
    hal_write32(CTRL(CLUSTER_CTRL_FETCH_EN_OFFSET), 0x1);        /* halt cores 1..7 */
    printf("fetch_en %x\n", hal_read32(CTRL(CLUSTER_CTRL_FETCH_EN_OFFSET)));
    hal_write32(CTRL(CLUSTER_CTRL_BOOTADDR_OFFSET(3)), (uint32_t)core3_entry);
    hal_write32(CTRL(CLUSTER_CTRL_FETCH_EN_OFFSET), 0x9);        /* start core 3 */
    while (!restarted)
        ;
    printf("core %d\n", restarted - 100);
    hal_write32(CTRL(CLUSTER_CTRL_RETURN_OFFSET), 1u << 31 | 42);
    hal_write32(CTRL(CLUSTER_CTRL_EOC_OFFSET), 1);               /* end: status 42 */
    printf("not reached\n");
    return 0;
}
"""


def test_ctrl_firmware_halts_restarts_a_core_and_ends_with_eoc(tmp_path):
    import io
    from iss.simulator import Simulator
    out = io.StringIO()
    result = Simulator(cc(tmp_path, "ctrl", CTRL_SOURCE), output=out).run(max_instructions=10**6)
    assert (result.stop.reason, result.exit_code) == ("exit", 42)
    assert out.getvalue().splitlines() == ["fetch_en ff", "fetch_en 1", "core 3"]
    states = [h["state"] for h in result.stats["harts"]]
    assert states[1:3] + states[4:] == ["halted"] * 6 and states[3] == "sleeping"
