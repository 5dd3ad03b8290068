"""Traces people can use (issue 19, item 3): `--itrace-mem` memory fields (Spike commit-log
style) and `# HART <function>` lines in --itrace; `--trace-filter` and the power counters
of `--trace`. Expected values are derived by hand from the programs' sources and symbols,
or computed separately (the energy model applied to the run's stats)."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from iss.elf import load_elf


def run_itrace(elf, tmp_path, *args):
    out = tmp_path / "i.txt"
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf), "--quiet",
                        "--itrace", str(out), *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out.read_text().splitlines()


def mem_fields(lines):
    """(mnemonic, operands, 'mem ...' text) of the lines with a memory field."""
    got = []
    for line in lines:
        if line.startswith("#") or " mem 0x" not in line:
            continue
        m = re.match(r"^\d+ \d+ [0-9a-f]{8} [0-9a-f]{4,8} (\S+) (.*?) ; (.*)$", line)
        assert m, line
        got.append((m.group(1), m.group(2), m.group(3)))
    return got


def test_itrace_mem_rv32_loads_and_stores(firmware_elf, tmp_path):
    """firmware/isa_tests/rv32i_loadstore.S: every load and store of main with its address
    (buf, scratch from the symbol table + the offsets in the source) and stored value."""
    elf = firmware_elf("rv32i_loadstore")
    image = load_elf(elf)
    buf, scratch = image.symbols["buf"], image.symbols["scratch"]
    lines = run_itrace(elf, tmp_path, "--itrace-mem", "--itrace-range", "main")
    got = mem_fields(lines)

    def ld(mn, ops, rd, addr, value):
        return (mn, ops, f"{rd}=0x{value:08x} mem 0x{addr:08x}")

    def st(mn, ops, addr, value, digits):
        return (mn, ops, f"mem 0x{addr:08x} 0x{value:0{digits}x}")

    # buf: .word 0x8001ff7f, 0x12345678 (bytes 7f ff 01 80 78 56 34 12)
    expected = [
        ld("lb", "t2, 0(t0)", "t2", buf, 0x7f), ld("lb", "t2, 1(t0)", "t2", buf + 1, 0xffffffff),
        ld("lb", "t2, 3(t0)", "t2", buf + 3, 0xffffff80), ld("lbu", "t2, 1(t0)", "t2", buf + 1, 0xff),
        ld("lbu", "t2, 3(t0)", "t2", buf + 3, 0x80), ld("lb", "t2, 2(t0)", "t2", buf + 2, 1),
        ld("lh", "t2, 0(t0)", "t2", buf, 0xffffff7f), ld("lhu", "t2, 0(t0)", "t2", buf, 0xff7f),
        ld("lh", "t2, 2(t0)", "t2", buf + 2, 0xffff8001), ld("lhu", "t2, 2(t0)", "t2", buf + 2, 0x8001),
        ld("lw", "t2, 0(t0)", "t2", buf, 0x8001ff7f), ld("lh", "t2, 4(t0)", "t2", buf + 4, 0x5678),
        ld("lh", "t2, 6(t0)", "t2", buf + 6, 0x1234), ld("lb", "t2, 7(t0)", "t2", buf + 7, 0x12),
        ld("lbu", "t2, 4(t0)", "t2", buf + 4, 0x78), ld("lw", "t2, 4(t0)", "t2", buf + 4, 0x12345678),
        # t0 = buf + 8
        ld("lw", "t2, -4(t0)", "t2", buf + 4, 0x12345678), ld("lb", "t2, -8(t0)", "t2", buf, 0x7f),
        ld("lh", "t2, -6(t0)", "t2", buf + 2, 0xffff8001), ld("lbu", "t2, -5(t0)", "t2", buf + 3, 0x80),
        # t0 = scratch
        st("sw", "t1, 0(t0)", scratch, 0x11223344, 8), ld("lw", "t2, 0(t0)", "t2", scratch, 0x11223344),
        ld("lbu", "t2, 0(t0)", "t2", scratch, 0x44),
        st("sb", "t1, 1(t0)", scratch + 1, 0xaa, 2), ld("lw", "t2, 0(t0)", "t2", scratch, 0x1122aa44),
        st("sh", "t1, 2(t0)", scratch + 2, 0xbeef, 4), ld("lw", "t2, 0(t0)", "t2", scratch, 0xbeefaa44),
        st("sb", "t1, 3(t0)", scratch + 3, 0x34, 2), ld("lw", "t2, 0(t0)", "t2", scratch, 0x34efaa44),
        st("sh", "t1, 0(t0)", scratch, 0x1234, 4), ld("lw", "t2, 0(t0)", "t2", scratch, 0x34ef1234),
        ld("lh", "t2, 2(t0)", "t2", scratch + 2, 0x34ef),
        # t3 = scratch + 12
        st("sw", "t1, -8(t3)", scratch + 4, 0xcafef00d, 8),
        ld("lw", "t2, 4(t0)", "t2", scratch + 4, 0xcafef00d),
        st("sb", "t1, -1(t3)", scratch + 11, 0x80, 2), ld("lb", "t2, 11(t0)", "t2", scratch + 11, 0xffffff80),
        st("sh", "t1, -4(t3)", scratch + 8, 0x8000, 4), ld("lw", "t2, 8(t0)", "t2", scratch + 8, 0x80008000),
        ld("lhu", "t2, 8(t0)", "t2", scratch + 8, 0x8000),
        ("lw", "zero, 0(t0)", f"mem 0x{scratch:08x}"),          # into x0: no write-back
    ]
    assert got == expected


XPULP_SOURCE = """
volatile unsigned int data[4] = {0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00};
volatile unsigned int out[4];

int main(void)
{
    unsigned int *p = (unsigned int *)data, *q = (unsigned int *)out;
    unsigned int a, b, c;
    int eight = 8, minus4 = -4;
    __asm__ volatile("cv.lw %0, (%3), 4\\n\\t"
                     "cv.lw %1, (%3), %4\\n\\t"
                     "cv.lw %2, %5(%3)\\n\\t"
                     : "=&r"(a), "=&r"(b), "=&r"(c), "+r"(p)
                     : "r"(eight), "r"(minus4) : "memory");
    __asm__ volatile("cv.sw %1, (%0), 4\\n\\t"
                     "cv.sh %2, (%0), %4\\n\\t"
                     "cv.sb %3, %5(%0)\\n\\t"
                     : "+r"(q) : "r"(a), "r"(b), "r"(c), "r"(eight), "r"(minus4) : "memory");
    return out[0] == 0x11223344 && out[1] == 0x7788 && out[2] == 0xcc ? 0 : 1;
}
"""


def test_itrace_mem_xpulp_post_increment_and_register_offset(tmp_path):
    """CORE-V / XpulpV2 loads and stores: post-increment by an immediate and by a register
    (the access at the old base), register offset (base + offset register)."""
    from iss import toolchain
    src = tmp_path / "mem.c"
    src.write_text(XPULP_SOURCE)
    elf = tmp_path / "mem.elf"
    assert toolchain.cc_main(["-o", str(elf), str(src)]) == 0
    image = load_elf(elf)
    data, out = image.symbols["data"], image.symbols["out"]
    lines = run_itrace(elf, tmp_path, "--itrace-mem", "--itrace-range", "main")
    custom = [(mn, fields) for mn, _, fields in mem_fields(lines) if mn.startswith("cv.")]
    regs = re.compile(r"\w+=0x[0-9a-f]{8} ")
    # loads: data[0] (base += 4), data[1] (base += 8), then base + (-4) = data + 8
    # stores: out[0] = data[0] (base += 4), out[1] = low half of data[1] (base += 8),
    # out + 12 - 4 = out[2] = low byte of data[2]
    assert [(mn, regs.sub("", f)) for mn, f in custom] == [
        ("cv.lw", f"mem 0x{data:08x}"), ("cv.lw", f"mem 0x{data + 4:08x}"),
        ("cv.lw", f"mem 0x{data + 8:08x}"),
        ("cv.sw", f"mem 0x{out:08x} 0x11223344"), ("cv.sh", f"mem 0x{out + 4:08x} 0x7788"),
        ("cv.sb", f"mem 0x{out + 8:08x} 0xcc")]
    # the loaded values and incremented bases are the write-back, before the mem field
    assert "=0x11223344 " in custom[0][1] and f"=0x{data + 4:08x} " in custom[0][1]
    assert "=0x55667788 " in custom[1][1] and f"=0x{data + 12:08x} " in custom[1][1]
    assert custom[2][1].startswith("a") and "=0x99aabbcc " in custom[2][1]
    assert f"=0x{out + 4:08x} " in custom[3][1] and f"=0x{out + 12:08x} " in custom[4][1]


def test_itrace_function_lines(firmware_elf, tmp_path):
    """`# HART <function>` before each run of lines of one function: crt0's _start, then
    main (the symbol table's names), and back to _start after main returns."""
    elf = firmware_elf("rv32i_loadstore")
    image = load_elf(elf)
    lines = run_itrace(elf, tmp_path, "--cores", "1")
    headers = [line for line in lines[1:] if line.startswith("#")]
    assert headers[:2] == ["# 0 <_start>", "# 0 <main>"]
    main = image.symbols["main"]
    after = lines[lines.index("# 0 <main>") + 1]
    assert int(after.split()[2], 16) == main          # main's first instruction
    body = [line for line in lines if not line.startswith("#")]
    current = None
    for line in lines[1:]:
        if line.startswith("#"):
            current = line
            continue
        pc = int(line.split()[2], 16)
        name, _ = image.function_at(pc) or (None, 0)
        if name is not None:
            assert current == f"# 0 <{name}>", line
    # without --itrace-mem the lines have no memory fields (the format of before)
    assert body and not any(" mem 0x" in line for line in body)


# ---- --trace: filters and power counters -------------------------------------------------
def trace_run(elf, tmp_path, *args, name="t"):
    out, stats = tmp_path / f"{name}.json", tmp_path / f"{name}-stats.json"
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf), "--quiet",
                        "--trace", str(out), "--json", str(stats), *args],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out, json.loads(out.read_text()), json.loads(stats.read_text())


def power_counters(doc):
    got = {}
    for e in doc["traceEvents"]:
        if e["ph"] == "C" and e["name"].startswith("power "):
            got.setdefault(e["name"][len("power "):], []).append((e["ts"], e["args"]["mW"]))
    return got


def integral_uj(points):
    """Step function (Perfetto holds a counter's value until its next sample): mW x us = nJ."""
    assert points[-1][1] == 0                          # the last sample closes the run
    return sum(v * (t1 - t0) for (t0, v), (t1, _) in zip(points, points[1:], strict=False)) * 1e-3


@pytest.mark.parametrize("app,args", [("trace_demo", ("--cores", "8")),
                                      ("ima_pointwise", ()), ("dw_layer", ())])
def test_power_counters_integrate_to_the_stats_energy(firmware_elf, tmp_path, app, args):
    """Each `power <component>` counter, integrated over the run, is that component's
    energy in the end-of-run stats (iss/energy.py on the run's counts), and `power total`
    the total; the components the app exercises have energy."""
    _, doc, stats = trace_run(firmware_elf(app), tmp_path, *args)
    energy = stats["energy"]
    power = power_counters(doc)
    assert set(power) == set(energy["components"]) | {"total"}
    for component, uj in energy["components"].items():
        assert integral_uj(power[component]) == pytest.approx(uj, rel=1e-9, abs=1e-9), component
    assert integral_uj(power["total"]) == pytest.approx(energy["total_uj"], rel=1e-9)
    busy = {"trace_demo": "dma", "ima_pointwise": "ima", "dw_layer": "dw"}[app]
    assert energy["components"][busy] > 0 and max(v for _, v in power[busy]) > 0
    end_us = stats["cycles"] / stats["clock_hz"] * 1e6
    assert all(p[-1][0] == pytest.approx(end_us) for p in power.values())


def test_multi_array_ima_jobs_are_traced_and_priced(tmp_path):
    """A multi-array IMA (MobileNetV2 at 64x64: 34 crossbars, tracks `ima[0]`..): the
    arrays' jobs count in the IMA's energy over time as in its stats (the power counter
    integrates to the stats' IMA energy) and `--trace-filter ima` keeps their tracks."""
    from iss_experiments.paper.mobilenetv2.build import build
    from iss_experiments.paper.mobilenetv2.network import RES_TEST
    b = build(RES_TEST, tmp_path / "mn")
    _, doc, stats = trace_run(b["elf"], tmp_path, "--platform", str(b["platform"]),
                              "--trace-filter", "ima,power")
    power = power_counters(doc)
    uj = stats["energy"]["components"]["ima"]
    assert uj > 0 and integral_uj(power["ima"]) == pytest.approx(uj, rel=1e-9)
    names = set(tids(doc).values())
    assert len({n for n in names if n.startswith("ima[")}) > 10
    assert all(n.startswith("ima") for n in names)


def test_power_counter_values_and_period(firmware_elf, tmp_path):
    """Static power is the model's constant (5% of Vega's 49.4 mW, docs/energy.md) all
    run long; with --trace-power-period P the samples fall on multiples of P cycles; a
    core's active power while all 8 run is 8 x core_active_pj x clock."""
    from iss.energy import DEFAULTS
    period = 250
    _, doc, stats = trace_run(firmware_elf("trace_demo"), tmp_path, "--cores", "8",
                              "--trace-power-period", str(period))
    clock = stats["clock_hz"]
    power = power_counters(doc)
    static = power["static"]
    assert [v for _, v in static] == [pytest.approx(0.05 * 49.4), 0]
    assert DEFAULTS["static_mw"].value == pytest.approx(0.05 * 49.4)
    cycle_us = 1e6 / clock
    for points in power.values():
        for ts, _ in points[:-1]:
            assert round(ts / cycle_us) % period == 0
    # every value of cores_active is n cores x core_active_pj x clock (n = 0..8) where a
    # period is all active or all gated; the peak is all 8 cores active
    per_core_mw = DEFAULTS["core_active_pj"].value * clock * 1e-9
    assert max(v for _, v in power["cores_active"]) == pytest.approx(8 * per_core_mw, rel=1e-6)


def track_names(doc):
    return {e["args"]["name"] for e in doc["traceEvents"]
            if e["ph"] == "M" and e["name"] == "thread_name"}


def test_trace_filter(firmware_elf, tmp_path):
    elf = firmware_elf("trace_demo")
    _, full, _ = trace_run(elf, tmp_path, "--cores", "4", name="full")
    _, dma, _ = trace_run(elf, tmp_path, "--cores", "4", "--trace-filter", "dma,power", name="dma")
    assert track_names(dma) == {"cluster_dma"}
    counters = {e["name"] for e in dma["traceEvents"] if e["ph"] == "C"}
    assert counters and all(c.startswith("power ") for c in counters)
    # the kept tracks have the same events as in the unfiltered trace
    same = [e for e in full["traceEvents"] if e["ph"] != "M"
            and (e["ph"] == "C" and e["name"].startswith("power ")
                 or e.get("tid") == next(t for t, n in tids(full).items() if n == "cluster_dma"))]
    def untid(events):       # thread ids are numbered in order of creation
        return [{k: v for k, v in e.items() if k != "tid"} for e in events]
    assert untid(e for e in dma["traceEvents"] if e["ph"] != "M") == untid(same)
    _, cores, _ = trace_run(elf, tmp_path, "--cores", "4", "--trace-filter", "cores,marks,event_unit",
                            name="cores")
    assert track_names(cores) == {f"core {i}" for i in range(4)} | \
        {f"core {i} marks" for i in range(4)} | {"event_unit"}
    assert {e["name"] for e in cores["traceEvents"] if e["ph"] == "C"} == \
        {f"core {i} IPC" for i in range(4)} | {"running cores"}
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf), "--trace",
                        str(tmp_path / "x.json"), "--trace-filter", "cores,gpu"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("iss: error: --trace-filter: unknown gpu (known: ")


def tids(doc):
    return {e["tid"]: e["args"]["name"] for e in doc["traceEvents"]
            if e["ph"] == "M" and e["name"] == "thread_name"}


def test_traces_are_deterministic(firmware_elf, tmp_path):
    """Two runs write identical --trace and --itrace files (simulated time only)."""
    elf = firmware_elf("trace_demo")
    files = []
    for name in ("a", "b"):
        out, _, _ = trace_run(elf, tmp_path, "--cores", "4", "--itrace",
                              str(tmp_path / f"{name}.txt"), "--itrace-mem", name=name)
        files.append((out.read_bytes(), (tmp_path / f"{name}.txt").read_bytes()))
    assert files[0] == files[1]
    assert b" mem 0x" in files[0][1] and b"power total" in files[0][0]
