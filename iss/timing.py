"""Static part of the core timing model (docs/cluster.md; CV32E40P manual).

At load time every instruction of the executable segments gets its static cycle cost
and its performance-counter events, from the original (unpatched) words. The block
hook adds costs per executed block through a prefix table (two loads per block), and
per-instruction execution counts come from a difference array the block hook updates
(+1 at the block start, -1 at its end), so the counters of any event are a dot product
computed only when somebody asks (perf CSR read, end of run).

Static rules, RI5CY / CV32E40P (CV32E40P manual pipeline.rst: cycle table, "Hazards"):
- 1 cycle per instruction;
- load-use: +1 when the next instruction in program order reads the loaded register
  (the one exception, a hardware-loop body whose last instruction loads what its first
  one reads, is not seen: the next instruction in program order is the loop exit);
- jal / jalr: 2 cycles; jalr whose rs1 the previous instruction (in program order) writes: +1;
- mulh, mulhsu, mulhu: 5 cycles (multicycle, stall whether or not the result is used);
- CSR access to the "slow" CSRs of the CV32E40P table: 4 cycles;
- p.elw / cv.elw: 4 cycles (CV32E40P table; a wait that sleeps is charged when woken).
Dynamic rules (taken branches, branch/jump targets, div, sleep) are charged by the hooks; every
cost, static or dynamic, is a constant of iss/latency.py.
"""
from __future__ import annotations

import functools

import numpy as np

from .code_tables import (F_AMBIG, F_BRANCH, F_ENDS_BRANCH, F_ENDS_JUMP, F_IS32, F_JUMP, F_MID,
                          decode_graph, potentials)
from .isa.decoder import (LAT_BRANCH, LAT_CSR, LAT_ELW, LAT_JALR, LAT_JUMP, LAT_LOAD, LAT_MULH,
                          LAT_STORE, MEM_POSTINC_IMM, MEM_POSTINC_REG, decode_insn)
from .latency import (BASE_CYCLES, ELW_CYCLES, JALR_HAZARD_STALL, JUMP_STALL, LOAD_USE_STALL,
                      MULH_STALL, SLOW_CSR_STALL)

# performance events of one instruction (RI5CY PCER numbering, pulp-runtime pcer_v2.h)
EV_LD_STALL, EV_JMP_STALL, EV_LD, EV_ST, EV_JUMP, EV_BRANCH, EV_RVC = 2, 3, 5, 6, 7, 8, 10
# stall causes that are static (the stats' "stalls" keys)
STATIC_STALLS = ("load_use", "jump", "mulh", "csr", "elw")

# CSRs with a 4-cycle access (CV32E40P "Cycle counts per instruction type")
SLOW_CSRS = frozenset([0x300, 0x341, 0x305, 0x342, 0xB00, 0xB02, 0xB80, 0xB82, 0x320,
                       0x7B0, 0x7B1, 0x7B2, 0x7B3]
                      + list(range(0xB03, 0xB20)) + list(range(0xB83, 0xBA0))
                      + list(range(0x323, 0x340)))


class Insn:
    """What the timing model needs to know about one instruction."""
    __slots__ = ("length", "reads", "writes", "alu_writes", "load", "store", "branch", "jump", "jalr_rs1",
                 "mulh", "csr", "elw")

    def __init__(self, length):
        self.length = length
        self.reads: tuple = ()
        self.writes = 0
        self.load = self.store = self.branch = self.jump = self.mulh = self.csr = self.elw = False
        self.jalr_rs1 = 0
        self.alu_writes = 0     # the register written through the ALU port (not a load's rd)

    def hazard_registers(self) -> tuple:
        """The registers whose load right before stalls this instruction: those it reads,
        and the one it writes through the ALU port (CV32E40P controller load_stall: the
        operands a/b/c, and regfile_waddr_ex == regfile_alu_waddr_id). x0 never stalls."""
        return tuple(r for r in (*self.reads, self.alu_writes) if r)


def classify(code: int, flavour: str) -> Insn:
    """The timing view of the instruction `code` (a word, or a compressed halfword): what
    its Spec says (iss/isa/spec.py latency class, registers read and written)."""
    i = Insn(4 if code & 3 == 3 else 2)
    d = decode_insn(code, flavour)
    if d is None:
        return i
    latency = d.latency
    i.reads, i.writes = d.reads, d.writes
    i.load, i.elw = latency in (LAT_LOAD, LAT_ELW), latency == LAT_ELW
    i.store, i.branch = latency == LAT_STORE, latency == LAT_BRANCH
    i.jump, i.jalr_rs1 = latency in (LAT_JUMP, LAT_JALR), d.rs1 if latency == LAT_JALR else 0
    i.mulh = latency == LAT_MULH
    # a load writes its rd from the LSU; a post-increment access updates its base in the ALU
    i.alu_writes = d.rs1 if d.mem_mode in (MEM_POSTINC_IMM, MEM_POSTINC_REG) else \
        0 if i.load else d.writes
    i.csr = latency == LAT_CSR and d.imm in SLOW_CSRS
    return i


class StaticTiming:
    """Per-halfword tables over [base, end) for the hooks, and event indicators.

    Every halfword starts one instruction: the linear decode's at its starts, and at the
    other ("mid") halfwords the instruction a jump into the middle of a word runs. The
    tables hold both (iss/code_tables.py docstring): `prefix` is a static-cycle potential
    (prefix[end] - prefix[start] is exact for a block on either decode), `events` and
    `stalls` are per-halfword differences of potentials (their sums over the halfwords of
    any instruction give its own values), `flags` and `reads` describe the instruction
    starting at each halfword, and the F_ENDS_* bits and `load_end` the linear
    instruction ending there (F_AMBIG where a mid-entry branch or jump ends there too),
    or the mid-entry one where no linear instruction ends."""

    def __init__(self, code: bytes, base: int, flavour: str):
        halfwords = len(code) >> 1
        self.base = base
        hw = np.frombuffer(code[:2 * halfwords], dtype=np.uint16)
        nxt, linear = decode_graph(hw)
        h, nxts, lin = hw.tolist(), nxt.tolist(), linear.tolist()
        known: dict[int, Insn] = {}
        insns = []
        for k in range(halfwords):
            half = h[k]
            word = half | h[k + 1] << 16 if half & 3 == 3 and k + 1 < halfwords else half
            insn = known.get(word)
            if insn is None:
                insn = known[word] = classify(word, flavour)
            insns.append(insn)
        # per instruction start k, both decodes: cost, static stalls, events (columns below)
        values = []
        cost = []
        flags = [0] * (halfwords + 1)
        # for hardware-loop back-edges (hooks.loop_back_edge_timing): each instruction's
        # hazard registers (at its start), and at the end of each load its destination
        # | 0x80 when the static table charged it a load-use stall
        reads = [0] * (halfwords + 1)
        load_end = [0] * (halfwords + 1)
        ends_mid = []               # (end, F_ENDS_* bits, load info) of mid-entry instructions
        prev_linear = None
        for k, insn in enumerate(insns):
            n = nxts[k]
            nxt_insn = insns[n] if n < halfwords else None
            if lin[k]:
                prev, prev_linear = prev_linear, insn
            else:    # the mid-entry decode falls through only from a 32-bit one at k - 2
                prev = insns[k - 2] if k >= 2 and not lin[k - 2] and nxts[k - 2] == k else None
            load_use = LOAD_USE_STALL * bool(insn.load and nxt_insn is not None
                                             and insn.writes in nxt_insn.hazard_registers())
            jump = JUMP_STALL * insn.jump + JALR_HAZARD_STALL * bool(
                insn.jalr_rs1 and prev is not None and prev.writes == insn.jalr_rs1)
            row = (load_use, jump, MULH_STALL * insn.mulh, SLOW_CSR_STALL * insn.csr,
                   (ELW_CYCLES - BASE_CYCLES) * insn.elw)
            c = BASE_CYCLES + sum(row)
            cost.append(c)
            values.append((c, *row, insn.load, insn.store, insn.jump, insn.branch,
                           insn.length == 2))
            flags[k] |= ((F_IS32 if insn.length == 4 else 0) | (F_BRANCH if insn.branch else 0)
                         | (F_JUMP if insn.jump else 0) | (0 if lin[k] else F_MID))
            mask = 0
            for r in insn.hazard_registers():
                mask |= 1 << r
            reads[k] = mask
            end = k + (insn.length >> 1)
            if end <= halfwords:
                kind = (F_ENDS_BRANCH if insn.branch else 0) | (F_ENDS_JUMP if insn.jump else 0)
                info = insn.writes | (0x80 if load_use else 0) if insn.load and insn.writes else 0
                if lin[k]:
                    flags[end] |= kind
                    if info:
                        load_end[end] = info
                else:
                    ends_mid.append((end, kind, info))
        for end, kind, info in ends_mid:
            if end < halfwords and not lin[end]:    # only this instruction ends here
                flags[end] |= kind
                if info:
                    load_end[end] = info
            elif kind and kind != flags[end] & (F_ENDS_BRANCH | F_ENDS_JUMP):
                # (a block that ends with a mid-entry instruction other than a branch or
                # jump falls through to the next one: the transfer penalty is not asked)
                flags[end] |= F_AMBIG
        self.flags = np.array(flags, np.uint8)
        self.reads = np.array(reads, np.uint32)
        self.load_end = np.array(load_end, np.uint8)
        self.cost = np.array(cost, np.uint32)      # of the instruction starting at each halfword
        phi = potentials(nxt, linear, np.array(values, np.int64).reshape(halfwords, 11))
        # prefix[k] = static cycles of the linear decode's instructions before halfword k at
        # its starts (+ a constant keeping mid-halfword values >= 0)
        self.prefix = (phi[:, 0] - min(int(phi[:, 0].min()), 0)).astype(np.uint32)
        weights = np.diff(phi, axis=0)
        self.stalls = np.ascontiguousarray(weights[:, 1:6])
        self.events = np.zeros((halfwords, 17), np.int64)     # PCER events per instruction
        for column, event in zip(range(1, 11), (EV_LD_STALL, EV_JMP_STALL, None, None, None,
                                                EV_LD, EV_ST, EV_JUMP, EV_BRANCH, EV_RVC), strict=True):
            if event is not None:
                self.events[:, event] = weights[:, column]

    def cost_at(self, address: int) -> int:
        """Static cycles of the instruction at address (1 outside the tables)."""
        k = (address - self.base) >> 1
        if 0 <= k < len(self.cost):
            return int(self.cost[k])
        return 1

    def execution_counts(self, executed: np.ndarray) -> np.ndarray:
        """Per-halfword execution counts from a hart's difference array."""
        return np.cumsum(executed)[:-1]

    def event_totals(self, executed: np.ndarray) -> np.ndarray:
        return self._totals(executed, "_event_suffix", self.events)

    def stall_totals(self, executed: np.ndarray) -> dict[str, int]:
        totals = self._totals(executed, "_stall_suffix", self.stalls)
        return {name: int(v) for name, v in zip(STATIC_STALLS, totals, strict=True)}

    def _totals(self, executed, cache: str, per_insn: np.ndarray) -> np.ndarray:
        """sum_k count[k] * per_insn[k] with count = cumsum(executed) equals
        sum_j executed[j] * suffix[j], suffix[j] = sum_{k >= j} per_insn[k]; the
        difference array is non-zero only at executed block boundaries, so this reads a
        few rows (firmware reads perf counters often)."""
        suffix = getattr(self, cache, None)
        if suffix is None:
            suffix = np.zeros((len(per_insn) + 1, per_insn.shape[1]), np.int64)
            suffix[:-1] = np.cumsum(per_insn[::-1], axis=0)[::-1]
            setattr(self, cache, suffix)
        rows = np.flatnonzero(executed)
        return executed[rows] @ suffix[rows]


@functools.lru_cache(maxsize=8)
def static_timing(code: bytes, base: int, flavour: str) -> StaticTiming:
    """The StaticTiming of a code image, built once per process: its tables depend on
    nothing else and nobody writes them (a paper job simulates the same firmware up to
    three times; building them costs ~0.15 s for a large image)."""
    return StaticTiming(code, base, flavour)
