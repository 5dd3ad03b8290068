"""Running MobileNetV2 on the simulator (public API: Simulator, load_platform,
sim.memory, sim.observe of the trace marker's marks, Simulator.hart_stats): per op its
cycles (the firmware's timer), its energy (snapshots of the run's counts at the trace
marks) and, in an ideal run, its output checked against the golden model."""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .build import build
from .model import Model, forward, image, make_model
from .network import ADD_KERNEL, CLASSES, MAPPING, NETWORK, PSUM, RES


@dataclass
class OpResult:
    name: str
    kind: str
    engine: str
    cycles: int
    energy: dict = field(default_factory=dict)     # uJ per component + "total"
    mismatches: int = 0                            # wrong output bytes (ideal runs)


@dataclass
class Result:
    res: int
    noise: bool
    ops: list
    total: int                                     # cycles of the network (timer)
    energy: dict                                   # uJ per component + "total"
    logits: np.ndarray
    exit_code: int | None
    output: str
    stats: dict
    crossbars: int
    l1: dict
    golden_logits: np.ndarray                      # the ideal model's, for this input
    image: int = 0
    network: str = NETWORK
    add: str = ADD_KERNEL
    psum: str = PSUM
    mapping: str = MAPPING

    def model(self) -> Model:
        """The network this run ran (make_model is cached: the same object)."""
        return make_model(self.res, network=self.network, add=self.add, psum=self.psum,
                          mapping=self.mapping)

    @property
    def ok(self) -> bool:
        """Every op's output and the logits bit-exact (the firmware checks the logits of
        input 0 itself: its exit status)."""
        return (self.exit_code == (0 if self.image == 0 else 1)
                and self.stats["stop_reason"] == "exit"
                and not any(o.mismatches for o in self.ops)
                and np.array_equal(self.logits, self.golden_logits))

    def latency_s(self) -> float:
        return self.total / self.stats["clock_hz"]

    def noise_metrics(self) -> dict:
        """Output error against the ideal golden logits."""
        ideal = self.golden_logits.astype(np.float64)
        got = self.logits.astype(np.float64)
        err = float(((got - ideal) ** 2).sum())
        top5 = set(np.argsort(-ideal)[:5]) & set(np.argsort(-got)[:5])
        return {"logits_snr_db": 10 * math.log10((ideal ** 2).sum() / err) if err else None,
                "top1_ideal": int(np.argmax(ideal)), "top1_noisy": int(np.argmax(got)),
                "top1_agree": bool(np.argmax(ideal) == np.argmax(got)),
                "top5_overlap": len(top5),
                "logits_corr": float(np.corrcoef(ideal, got)[0, 1]),
                "ima": self.stats["peripherals"]["ima"].get("noise")}


def _snapshot(sim, hart) -> dict:
    """Energy-relevant counts of the run so far (as Simulator.stats), at hart's current
    cycle; the difference of two snapshots is the energy of what ran in between."""
    from iss.energy import energy
    now = hart.now()
    harts = []
    for h in sim.harts:
        s = sim.hart_stats(h)
        if h is hart:
            s["active_cycles"] = now - s["sleep_cycles"]
        harts.append(s)
    stats = {"cycles": now, "time_seconds": now / sim.platform.clock_hz, "harts": harts,
             "peripherals": {p.name: p.stats() for p in sim.peripherals}}
    e = energy(stats, sim.platform)
    return {**e["components"], "total": e["total_uj"], "cycle": now}


def run(res: int = RES, out_dir: Path | None = None, noise: bool = False, progress=None,
        index: int = 0, pcm_seed: int | None = None, network: str = NETWORK,
        add: str = ADD_KERNEL, psum: str = PSUM, mapping: str = MAPPING) -> Result:
    """Build and run the network on input `index` (0: the one in the ELF; others are written
    into L1 before the run). Each op is a trace span (trace.h); at every span end the run's
    energy counts are snapshot (per-op energy = difference of snapshots) and, in an ideal
    run, the op's output tensor is read from L1 and compared with the golden model.
    progress(i, n, name) is called as ops end."""
    from dataclasses import replace as dc_replace

    from iss import Simulator, load_platform
    b = build(res, out_dir, network=network, add=add, psum=psum, mapping=mapping)
    model = make_model(res, network=network, add=add, psum=psum, mapping=mapping)
    platform = load_platform(b["platform_pcm" if noise else "platform"])
    if pcm_seed is not None:
        periph = tuple(dc_replace(p, params={**p.params, "pcm_seed": pcm_seed})
                       if p.plugin == "ima" else p for p in platform.peripherals)
        platform = dc_replace(platform, peripherals=periph)
    out = io.StringIO()
    sim = Simulator(b["elf"], platform=platform, output=out)
    offsets = b["offsets"]
    arena = sim.image.symbols["mn_arena"]
    golden = model.golden
    if index:
        x = image(res, model.seed, index)
        sim.memory.write(arena + offsets["input"], x.tobytes())
        golden = forward(model, x)
    snaps, mism = [], {}

    def on_mark(hart, kind, value, cycle):
        """Core 0 marks each op (trace.h): a snapshot where op 0 begins and at every end,
        and, in an ideal run, the op's output compared with the golden model."""
        if hart.index == 0 and kind == "begin_id" and value == 0:
            snaps.append(_snapshot(sim, hart))
        elif hart.index == 0 and kind == "end":
            i = len(snaps) - 1
            snaps.append(_snapshot(sim, hart))
            op = model.ops[i]
            if not noise:
                want = golden[op.out]
                got = np.frombuffer(bytes(sim.memory.read(arena + offsets[op.out], want.nbytes)),
                                    want.dtype).reshape(want.shape)
                mism[op.name] = int((got != want).sum())
            if progress:
                progress(i + 1, len(model.ops), op.name)

    sim.observe("mark", on_mark)
    res_ = sim.run(max_instructions=2_000_000_000)
    text = out.getvalue()
    cycles = {int(m[1]): int(m[2])
              for m in re.finditer(r"^mn op=(\d+) \S+ cycles=(\d+)$", text, re.M)}
    total = re.search(r"^mn total cycles=(\d+)$", text, re.M)
    ops = []
    for i, op in enumerate(model.ops):
        e = ({k: snaps[i + 1][k] - snaps[i][k] for k in snaps[i] if k != "cycle"}
             if i + 1 < len(snaps) else {})
        ops.append(OpResult(op.name, op.kind, op.engine, cycles.get(i, 0), e, mism.get(op.name, 0)))
    energy = ({k: snaps[-1][k] - snaps[0][k] for k in snaps[0] if k != "cycle"}
              if len(snaps) > 1 else {})
    logits = np.frombuffer(bytes(sim.memory.read(arena + offsets["logits"], 4 * CLASSES)), "<i4")
    l1 = {k: v for k, v in b.items()
          if k in ("arena", "dw_weights", "descriptors", "stacks", "need", "l1")}
    return Result(res, noise, ops, int(total[1]) if total else 0, energy, logits.copy(),
                  res_.exit_code, text, res_.stats, model.crossbars, l1,
                  golden["logits"].ravel().copy(), index, network, add, model.psum, mapping)
