"""`iss run --trace` (iss/trace.py, plugins/trace_marker.py, trace.h) and `--itrace`
(iss/itrace.py): valid trace-event JSON with the expected tracks and spans; one itrace line
per executed instruction."""
from __future__ import annotations

import collections
import io
import json
import re
import subprocess
import sys

import pytest

from iss.hwpe import Job
from iss.simulator import Simulator
from iss.trace import Tracer


def traced(elf, **kw):
    sim = Simulator(elf, output=io.StringIO(), **kw)
    tracer = Tracer(sim)
    result = sim.run()
    assert result.stop.reason == "exit" and result.exit_code == 0
    tracer.finish()
    doc = json.loads(json.dumps(tracer.document()))     # what --trace writes
    return sim, result.stats, doc


def tracks(doc):
    return {e["tid"]: e["args"]["name"] for e in doc["traceEvents"]
            if e["ph"] == "M" and e["name"] == "thread_name"}


def spans(doc, track=None, ph="X"):
    names = tracks(doc)
    return [e for e in doc["traceEvents"]
            if e["ph"] == ph and (track is None or names.get(e.get("tid")) == track)]


def test_trace_file_is_valid_trace_event_json(firmware_elf, tmp_path):
    out = tmp_path / "t.json"
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(firmware_elf("trace_demo")),
                        "--trace", str(out), "--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert set(doc) >= {"traceEvents", "displayTimeUnit", "otherData"}
    for e in doc["traceEvents"]:
        assert e["ph"] in "XiCM" and isinstance(e["pid"], int) and isinstance(e["name"], str)
        if e["ph"] != "M":
            assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0
        if e["ph"] == "X":
            assert e["dur"] >= 0 and "tid" in e
        if e["ph"] == "C":
            assert all(isinstance(v, (int, float)) for v in e["args"].values())
    assert doc["otherData"]["dropped_events"] == 0


def test_trace_tracks_and_span_counts(firmware_elf):
    sim, stats, doc = traced(firmware_elf("trace_demo"), cores=8)
    names = set(tracks(doc).values())
    assert {f"core {i}" for i in range(8)} <= names
    assert {f"core {i} marks" for i in range(8)} <= names
    assert {"cluster_dma", "event_unit"} <= names
    # firmware spans (trace.h): every core one "compute" and one "id <core>"; core 0 more
    for i in range(8):
        marks = collections.Counter(e["name"] for e in spans(doc, f"core {i} marks"))
        expected = {"compute": 1, f"id {i}": 1}
        if i == 0:
            expected.update(load=1, store=1)
        assert marks == expected
    assert [e["name"] for e in spans(doc, "core 0 marks", "i")] == ["done"]
    # DMA: one span per transfer, as the DMA's stats count them
    dma = spans(doc, "cluster_dma")
    assert len(dma) == stats["peripherals"]["cluster_dma"]["transfers"] == 2
    assert sorted(e["args"]["bytes"] for e in dma) == [32, 2048]
    assert sum(e["args"]["cycles"] for e in dma) == stats["peripherals"]["cluster_dma"]["busy_cycles"]
    # event unit: barrier instants; every sleep a wait span with its reason
    eu = stats["peripherals"]["event_unit"]
    assert len(spans(doc, "event_unit", "i")) == eu["barriers"]
    waits = [e for i in range(8) for e in spans(doc, f"core {i}") if e["name"] != "run"]
    assert len(waits) == eu["sleeps"]
    assert {e["name"] for e in waits} <= {"wait barrier 0", "wait dispatch", "wait event"}
    assert any(e["name"] == "wait barrier 0" for e in waits)
    # counters
    counters = {e["name"] for e in spans(doc, ph="C")}
    assert {f"core {i} IPC" for i in range(8)} | {"running cores"} <= counters


def test_core_tracks_tile_the_run(firmware_elf):
    """Each core's run / wait spans cover [0, its cycles] without gaps or overlaps; run
    spans hold all its instructions, wait spans all its sleep cycles."""
    sim, stats, doc = traced(firmware_elf("trace_demo"), cores=4)
    for hart in stats["harts"]:
        own = sorted(spans(doc, f"core {hart['hart']}"), key=lambda e: e["args"]["start_cycle"])
        t = 0
        for e in own:
            assert e["args"]["start_cycle"] == t
            t += e["args"]["cycles"]
        assert t == hart["cycles"]
        assert sum(e["args"]["instructions"] for e in own if e["name"] == "run") == hart["instructions"]
        assert sum(e["args"]["cycles"] for e in own if e["name"] != "run") == hart["sleep_cycles"]


def test_trace_does_not_change_the_run(firmware_elf):
    elf = firmware_elf("trace_demo")
    plain = Simulator(elf, output=io.StringIO()).run().stats
    _, stats, _ = traced(elf)
    assert (stats["instructions"], stats["cycles"]) == (plain["instructions"], plain["cycles"])


def test_accelerator_job_spans(firmware_elf):
    """iss/hwpe.py reports each trigger: a job span with its parameters and the phases laid
    out inside it (scaled when they overlap)."""
    sim = Simulator(firmware_elf("hello"), output=io.StringIO(), cores=1)
    tracer = Tracer(sim)
    job = Job(stream_cycles=40, total_cycles=100, run=lambda: None, jobs=4,
              phases={"stream_in": 30, "compute": 60, "stream_out": 10}, args={"k": 3})
    tracer.job("ima", job, 5, 10, 110, core=2)
    seq = Job(stream_cycles=50, total_cycles=50, run=lambda: None,
              phases={"stream_in": 50, "compute": 50})       # pipelined: 100 phase cycles in 50
    tracer.job("ima", seq, 120, 120, 170, core=0)
    sim.run()
    tracer.finish()
    doc = tracer.document()
    ima = spans(doc, "ima")
    jobs = [e for e in ima if e["name"] in ("4 jobs", "job")]
    assert [e["args"]["start_cycle"] for e in jobs] == [10, 120]
    assert jobs[0]["args"]["k"] == 3 and jobs[0]["args"]["waited_for_port"] == 5
    assert jobs[0]["args"]["phases"] == {"stream_in": 30, "compute": 60, "stream_out": 10}
    phases = [(e["name"], e["args"]["start_cycle"], e["args"]["cycles"]) for e in ima
              if e["name"] not in ("4 jobs", "job")]
    assert phases == [("stream_in", 10, 30), ("compute", 40, 60), ("stream_out", 100, 10),
                      ("stream_in", 120, 25), ("compute", 145, 25)]


# (The `perfetto` package's trace processor downloads its shell binary on first use, which
# this machine's network does not allow, so the file is checked by parsing it, above.)


# ---- --itrace ----------------------------------------------------------------------------
LINE = re.compile(r"^(\d+) (\d+) ([0-9a-f]{8}) ([0-9a-f]{8}|[0-9a-f]{4}) (\S+)(.*?)"
                  r"( ; ((\w+=0x[0-9a-f]{8} ?)+|slept))?$")


def itrace(elf, tmp_path, *args, status=0):
    out = tmp_path / "i.txt"
    stats = tmp_path / "s.json"
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf), "--itrace", str(out),
                        "--json", str(stats), *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == status, r.stderr
    assert "--itrace is slow" in r.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith("# iss itrace/1")
    body = [line for line in lines if not line.startswith("#")]
    for line in body:
        assert LINE.match(line), line
    return body, json.loads(stats.read_text()), r.stdout


def test_itrace_one_line_per_instruction(firmware_elf, tmp_path):
    body, stats, stdout = itrace(firmware_elf("hello"), tmp_path, "--cores", "1")
    assert "Hello from core 0!" in stdout
    assert len(body) == stats["instructions"]
    # crt0's csrr mhartid is an emulated CSR: shown with its original word, and its write-back
    first = [line for line in body if " csrr " in line][0]
    assert re.search(r" f14022f3 csrr t0, mhartid ; t0=0x00000000$", first)
    cycles = [int(line.split()[1]) for line in body]
    assert cycles == sorted(cycles) and cycles[-1] < stats["cycles"]


def test_itrace_harts_and_range(firmware_elf, tmp_path):
    elf = firmware_elf("trace_demo")
    body, stats, _ = itrace(elf, tmp_path, "--cores", "4", "--itrace-harts", "1,3")
    per_hart = collections.Counter(int(line.split()[0]) for line in body if not line.endswith("slept"))
    assert per_hart == {1: stats["harts"][1]["instructions"], 3: stats["harts"][3]["instructions"]}
    assert any(line.endswith("; slept") for line in body)       # workers wait for dispatch
    plain = Simulator(elf, output=io.StringIO(), cores=4).run().stats
    assert stats["instructions"] == plain["instructions"]
    sim = Simulator(elf, output=io.StringIO())
    start, size, _ = next(f for f in sim.image.functions if f[2] == "kernel")
    body, _, _ = itrace(elf, tmp_path, "--cores", "2", "--itrace-range", "kernel")
    pcs = {int(line.split()[2], 16) for line in body}
    assert pcs and all(start <= pc < start + size for pc in pcs)
    assert start in pcs


def test_itrace_hardware_loops_and_simd(firmware_elf, tmp_path):
    """XpulpV2 kernel: hardware-loop bodies appear once per iteration, custom instructions
    with their write-back, and the line count still equals the instructions."""
    body, stats, stdout = itrace(firmware_elf("xpulp_selftest"), tmp_path, "--cores", "1")
    assert len(body) == stats["instructions"]
    loops = [line for line in body if " cv.setup" in line]
    assert loops
    sdot = [line for line in body if " cv.sdotsp.b " in line]
    assert sdot and all(re.search(r" ; \w+=0x[0-9a-f]{8}$", line) for line in sdot)
    assert any(re.search(r" cv\.lw \w+, \(\w+\), 4 ; \w+=0x[0-9a-f]{8} \w+=0x[0-9a-f]{8}$", line)
               for line in body)                           # loaded value and incremented base


@pytest.mark.parametrize("app,accel", [("ima_pointwise", "ima"), ("dw_layer", "dw")])
def test_accelerator_tracks_of_real_apps(firmware_elf, app, accel):
    """Every trigger of the platform's accelerators is a job span on its track."""
    sim, stats, doc = traced(firmware_elf(app))
    triggers = stats["peripherals"][accel]["triggers"]
    jobs = [e for e in spans(doc, accel) if "jobs" in e["args"]]
    assert triggers > 0 and len(jobs) == triggers
    assert sum(e["args"]["jobs"] for e in jobs) == stats["peripherals"][accel]["jobs"]
    assert all(e["args"]["phases"] for e in jobs)


def test_trace_does_not_depend_on_host_speed(firmware_elf, monkeypatch):
    """The IPC counter is sampled at scheduler turns; with one core those would end after
    a host-time budget, so a trace ends them at fixed counts: the file is the same
    whether the host's slices would be as short or as long as the scheduler allows."""
    import iss.scheduler
    docs = []
    for host_slice_seconds in (0.0, 1e6):
        monkeypatch.setattr(iss.scheduler, "SLICE_SECONDS", host_slice_seconds)
        docs.append(traced(firmware_elf("bench_matmul_xpulp"), cores=1)[2])
    assert len([e for e in docs[0]["traceEvents"] if e["name"] == "core 0 IPC"]) > 2
    assert docs[0] == docs[1]


def test_trace_marks_reach_an_observer_without_a_trace(firmware_elf):
    """The trace_marker device's marks are the run's event "mark": a Python program sees
    each begin/end/instant with its core and cycle, in order, also without --trace (how
    tools/paper.py times the MobileNetV2 ops)."""
    sim = Simulator(firmware_elf("trace_demo"), output=io.StringIO(), cores=4)
    marks = []
    sim.observe("mark",
                lambda hart, kind, value, cycle: marks.append((hart.index, kind, value, cycle)))
    result = sim.run()
    assert result.exit_code == 0 and sim.service("timeline") is None
    counts = result.stats["peripherals"]["trace_marker"]
    kinds = collections.Counter(kind for _, kind, _, _ in marks)
    assert kinds["begin"] + kinds["begin_id"] == counts["begins"] > 0
    assert kinds["end"] == counts["ends"] and kinds["instant"] == counts["instants"]
    for core in {c for c, *_ in marks}:
        cycles = [cycle for c, _, _, cycle in marks if c == core]
        assert cycles == sorted(cycles)                     # a core's marks in time order
    names = {value for _, kind, value, _ in marks if kind in ("begin", "instant")}
    assert names and all(isinstance(n, str) and n for n in names)
