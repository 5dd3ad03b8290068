"""The hardware-loop engine: remaining iterations of a hardware loop in one native call.

At load time every statically known hardware-loop body (cv.setup/cv.setupi and
lp.setup/lp.setupi, cv.starti/lp.starti paired with an endi of the same loop nearby) is
decoded once into micro-op rows (`build`). A body qualifies when every instruction in it
is a custom ALU operation (SIMD, dot products, ... executed by the one semantic core
`iss.isa.semantics.alu_execute`), a custom load/store (post-increment, register offset),
or a plain RV32IMC ALU operation, multiplication (no division), load or store; and when
its last instruction is neither a branch nor a jump (so the back-edge has no transfer
penalty).

At a loop's back-edge the code hook has already done what the normal path does (the
iteration that just ended is accounted, PC is redirected to the loop start, the
back-edge's load-use timing is applied). `run` then executes further iterations directly
on Unicorn's register file (`env->gpr`, CTX_GPR) and the shared memory buffers, and
accounts each one exactly as the block hook would (instructions, static cycles, the
execution-count difference array from which per-hart events and static stalls come, and
the back-edge's load-use correction, measured with the hooks' own function). It always
leaves the loop's last iteration to the normal path, so leaving the loop, and the
translation block Unicorn runs from the loop start, are the normal path's.

An iteration runs here only when the normal path would run it whole, without a stop:
before the block hook's instruction limit (checked with the longest translation block
Unicorn can build, TB_MAX instructions, from any point of the body) and before the
scheduler's cycle limit (at every block start inside the body). Otherwise, and on
anything the engine does not do (an access outside RAM -- a peripheral or unmapped
address --, a misaligned plain access, a store to a code page), the iteration is undone
(registers and the stores it made) and left to the normal path, which handles it as if
the engine did not exist. Not used for spin loops (iss/spin.py), nor with breakpoints, watchpoints, --profile, --itrace,
Unicorn's exact counting mode (no CTX_LIMIT) or --timing accurate (per-access TCDM
timing); `iss run --xpulp-engine off` turns it off.

A body that has run COMPILE_THRESHOLD instructions here is compiled to native code at the
next scheduler slice end (iss/loop_compiler.py, same contract as `_iterate`); its
iterations then run ~4x faster. `--xpulp-engine interpret` never compiles.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from numba import carray, njit

from .hart_state import (CTX_BANKS, CTX_BREAKS, CTX_CODE_BASE, CTX_CODE_END, CTX_CYCLE_LIMIT,
                         CTX_CYCLES, CTX_EXEC, CTX_GPR, CTX_HWLOOP, CTX_HWLOOP_RUN, CTX_INSTRET,
                         CTX_LAST_BLOCK, CTX_LIMIT, CTX_LP_COUNT0, CTX_LP_EXIT0, CTX_LP_START0,
                         CTX_NREGIONS, CTX_PROFILE, CTX_REGIONS, CTX_SPIN_LOOPS,
                         CTX_STALL_LOAD_USE, CTX_WATCHING, NO_LIMIT)
from .code_tables import F_AMBIG, F_ENDS_BRANCH, F_ENDS_JUMP, PAGE_BITS, PAGE_CODE
from .hooks import count_instructions, loop_back_edge_timing, static_cycles
from .isa.decoder import HWLOOP_END_INCLUSIVE, decode_insn
from .isa.semantics import alu_execute, op_id, v_dot
from .isa.spec import (HW_ENDI, HW_SETUP, HW_SETUPI, HW_STARTI, KIND_ALU, KIND_AUIPC, KIND_HWLOOP,
                       KIND_LOAD, KIND_LUI, KIND_OP, KIND_OP_IMM, KIND_STORE, LAT_DIV, MEM_NONE,
                       MEM_POSTINC_IMM, MEM_POSTINC_REG, MEM_REGREG, OP_ADD, OP_AND, OP_MUL,
                       OP_MULH, OP_MULHSU, OP_OR, OP_SLL, OP_SLT, OP_SLTU, OP_SRA,
                       OP_SRL, OP_SUB, OP_XOR)
from .native import (call_loop_body, load32, load64, load8, load_sized, ptr_from_int, store32,
                     store64, store_sized)

TB_MAX = 512           # QEMU's TCG_MAX_INSNS: no translation block is longer
STARTI_WINDOW = 64     # bytes between a starti and the endi it is paired with

# descriptor slots
D_BODIES, D_NBODIES, D_UOPS, D_EXITS, D_PAGES, D_SCRATCH, D_HOT, D_THRESHOLD, D_SIZE = range(9)
# scratch (int64 slots): the memory region of the last access (base, end, host pointer),
# the 32 registers saved before an iteration (as uint32), then the undo log of its stores
# (host address, size, old value per store)
SCR_REGION, SCR_SAVED, SCR_UNDO = 0, 3, 19
# body columns
# B_RUN: instructions the engine ran in the body; B_NATIVE: its compiled code (0: not
# compiled, -1: the compiler does not do it; iss/loop_compiler.py)
B_START, B_EXIT, B_FIRST, B_NUOPS, B_NSTORES, B_NEXT, B_RUN, B_NATIVE = range(8)
B_FIELDS = 8
# instructions a body runs interpreted before it is compiled. Our choice: compiling costs
# ~30 ms and saves ~3.7 ns per instruction (5 -> 1.3, measured), so it pays back after
# ~8 M more; a body that has run 2 M is likely to run that much, and short runs (most
# tests, small kernels) never pay for a compile
COMPILE_THRESHOLD = 2_000_000

# micro-op columns
U_KIND, U_OP, U_RD, U_RS1, U_RS2, U_RS3, U_IMM, U_IMM2, U_SIZE, U_SIGNED, U_MODE = range(11)
U_FIELDS = 11
# micro-op kinds
K_NOP, K_CALU, K_LOAD, K_STORE, K_OP = range(5)
# K_OP operations: the base ALU op ids of iss/isa/spec.py (b = rs2 value, or imm when U_MODE = 1)


# dot products with a direct call of their semantic function (iss.isa.semantics.v_dot, the
# one OPS uses): the generated dispatcher costs more than the operation (U_SIGNED = code)
FAST_DOTS = (("v.sdotsp", 8), ("v.sdotup", 8), ("v.sdotusp", 8), ("v.dotsp", 8),
             ("v.dotup", 8), ("v.dotusp", 8), ("v.sdotsp", 16), ("v.dotsp", 16))
_FAST_CODE = {op_id(name, w): i + 1 for i, (name, w) in enumerate(FAST_DOTS)}


def dot_flags(name: str) -> tuple[bool, bool, bool]:
    """(rs1 lanes signed, rs2 lanes signed, accumulates into rD) of a dot product."""
    lanes = name.split("dot")[1]                # sp, up or usp
    return lanes == "sp", lanes in ("sp", "usp"), name.startswith("v.sdot")


def _row(kind, op=0, rd=0, rs1=0, rs2=0, rs3=0, imm=0, imm2=0, size=0, signed=0, mode=0):
    return (kind, op, rd, rs1, rs2, rs3, imm, imm2, size, signed, mode)


# ---------------------------------------------------------------- load-time decode
def _micro_op(d, pc: int):
    """Micro-op row of a decoded instruction (iss.isa.decoder.Decoded), None if the engine
    does not run it (jumps, branches, division, CSRs, system, hardware-loop set-up, illegal)."""
    if d is None:
        return None
    if d.custom:
        if d.kind == KIND_ALU:
            return _row(K_CALU, d.op, d.rd, d.rs1, d.rs2, 0, d.imm, d.imm2,
                        signed=_FAST_CODE.get(d.op, 0))
        if d.kind == KIND_LOAD:
            return _row(K_LOAD, 0, d.rd, d.rs1, 0, d.rs2, d.imm, 0, d.mem_size or 4,
                        int(d.mem_signed), d.mem_mode)
        if d.kind == KIND_STORE:
            return _row(K_STORE, 0, 0, d.rs1, d.rs2, d.rs3, d.imm, 0, d.mem_size or 4, 0,
                        d.mem_mode)
        return None
    if d.kind == KIND_LOAD:
        return _row(K_LOAD, 0, d.rd, d.rs1, 0, 0, d.imm, 0, d.mem_size, int(d.mem_signed), MEM_NONE)
    if d.kind == KIND_STORE:
        return _row(K_STORE, 0, 0, d.rs1, d.rs2, 0, d.imm, 0, d.mem_size, 0, MEM_NONE)
    if d.kind == KIND_OP_IMM:
        return _row(K_OP, d.op, d.rd, d.rs1, imm=d.imm, mode=1)
    if d.kind == KIND_OP and d.latency != LAT_DIV:      # division: data-dependent latency
        return _row(K_OP, d.op, d.rd, d.rs1, d.rs2)
    if d.kind == KIND_LUI:
        return _row(K_OP, OP_ADD, d.rd, 0, imm=d.imm, mode=1)
    if d.kind == KIND_AUIPC:
        return _row(K_OP, OP_ADD, d.rd, 0, imm=(pc + d.imm) & 0xFFFFFFFF, mode=1)
    return None


def _decode_body(read_original, start: int, exit_address: int, flavour: str):
    """Micro-op rows of [start, exit_address), None if the body does not qualify."""
    rows = []
    pc = start
    while pc < exit_address:
        half = read_original(pc, 2)
        if half is None:
            return None
        code = half if half & 3 != 3 else read_original(pc, 4)
        row = None if code is None else _micro_op(decode_insn(code, flavour), pc)
        pc += 2 if half & 3 != 3 else 4
        if row is None:
            return None
        rows.append(row)
    return rows if pc == exit_address and rows else None


def _candidates(custom) -> list[tuple[int, int]]:
    """(start, exit) of every statically known hardware loop."""
    inclusive = HWLOOP_END_INCLUSIVE[custom.flavour]
    sim = custom.sim

    def exit_of(end):
        return end + sim.memory_instruction_length(end) if inclusive else end

    found, startis, endis = set(), [], []
    for pc in sorted(custom.originals):
        row = custom.sites[custom.actions[(pc - custom.base) >> 1] - 1]
        if row[0] != KIND_HWLOOP:           # S_KIND
            continue
        op, loop, imm = int(row[1]), int(row[2]), int(row[6])   # S_OP, S_RD, S_IMM
        if op in (HW_SETUP, HW_SETUPI):
            found.add((pc + 4, exit_of(pc + imm)))
        elif op == HW_STARTI:
            startis.append((pc, loop, pc + imm))
        elif op == HW_ENDI:
            endis.append((pc, loop, exit_of(pc + imm)))
    for spc, sloop, start in startis:
        for epc, eloop, exit_address in endis:
            if sloop == eloop and abs(spc - epc) <= STARTI_WINDOW:
                found.add((start, exit_address))
    return sorted((s, e) for s, e in found if custom.base <= s < e <= custom.end)


class LoopEngine:
    """The decoded bodies of one firmware image and the descriptor the harts point to."""

    def __init__(self, custom, timing, compile_loops: bool = True):
        memory = custom.sim.memory

        def read_original(pc, size):
            if size == 4 and pc in custom.originals:
                return custom.originals[pc]
            if size == 2 and pc in custom.originals:
                return custom.originals[pc] & 0xFFFF
            try:
                return int.from_bytes(memory.read(pc, size), "little")
            except IndexError:
                return None

        bodies, uops = [], []
        base = custom.base
        for start, exit_address in _candidates(custom):
            if timing.flags[(exit_address - base) >> 1] & (F_ENDS_BRANCH | F_ENDS_JUMP | F_AMBIG):
                continue
            rows = _decode_body(read_original, start, exit_address, custom.flavour)
            if rows is None:
                continue
            stores = sum(1 for r in rows if r[U_KIND] == K_STORE)
            bodies.append([start, exit_address, len(uops), len(rows), stores, 0, 0, 0])
            uops.extend(rows)
        self.loops = [(b[B_START], b[B_EXIT]) for b in bodies]
        self.bodies = np.array(bodies or [[0] * B_FIELDS], dtype=np.int64).reshape(-1, B_FIELDS)
        self.uops = np.array(uops or [[0] * U_FIELDS], dtype=np.int64).reshape(-1, U_FIELDS)
        self.exits = np.zeros(len(custom.actions) + 1, dtype=np.int32)   # body index + 1
        for i in range(len(bodies) - 1, -1, -1):      # chained by exit address
            k = (bodies[i][B_EXIT] - base) >> 1
            self.bodies[i, B_NEXT] = self.exits[k]
            self.exits[k] = i + 1
        most_stores = max([b[B_NSTORES] for b in bodies] + [1])
        self.scratch = np.zeros(SCR_UNDO + 3 * most_stores, dtype=np.int64)
        self.descriptor = np.zeros(D_SIZE, dtype=np.int64)
        self.descriptor[[D_BODIES, D_NBODIES, D_UOPS, D_EXITS, D_PAGES, D_SCRATCH, D_THRESHOLD]] = (
            self.bodies.ctypes.data, len(bodies), self.uops.ctypes.data, self.exits.ctypes.data,
            memory.page_flags.ctypes.data, self.scratch.ctypes.data,
            COMPILE_THRESHOLD if compile_loops else NO_LIMIT)
        if compile_loops:                       # bodies an earlier simulator compiled
            for i in range(len(bodies)):
                self.bodies[i, B_NATIVE] = self._native(i, compile=False)

    @property
    def hot(self) -> bool:
        """A body has run long enough interpreted to be compiled (compile_hot)."""
        return bool(self.descriptor[D_HOT])

    def compile_hot(self) -> None:
        """Compile the bodies that have run COMPILE_THRESHOLD instructions interpreted."""
        self.descriptor[D_HOT] = 0
        for i in range(len(self.loops)):
            if self.bodies[i, B_NATIVE] == 0 and self.bodies[i, B_RUN] >= self.descriptor[D_THRESHOLD]:
                self.compile(i)

    def compile_all(self) -> None:
        """Compile every body now (tests: the compiled code on every loop)."""
        for i in range(len(self.loops)):
            if self.bodies[i, B_NATIVE] == 0:
                self.compile(i)

    def compile(self, i: int) -> None:
        self.bodies[i, B_NATIVE] = self._native(i, compile=True)

    def _native(self, i: int, compile: bool) -> int:
        from .loop_compiler import native_body     # llvmlite's binding only when needed
        first, n = self.bodies[i, B_FIRST], self.bodies[i, B_NUOPS]
        return native_body(self.uops[first:first + n], compile)

    def attach(self, ctx, enabled: bool) -> None:
        ctx[CTX_HWLOOP] = self.descriptor.ctypes.data if enabled and len(self.loops) else 0


# ---------------------------------------------------------------- native
@njit(inline="always")
def _s32(x):
    return ((x & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000


@njit(inline="always")
def _rv_op(op, a, b):
    """RV32IM register operation on uint32 bit patterns held in int64 (no division)."""
    if op == OP_ADD:
        return (a + b) & 0xFFFFFFFF
    if op == OP_SUB:
        return (a - b) & 0xFFFFFFFF
    if op == OP_XOR:
        return a ^ b
    if op == OP_OR:
        return a | b
    if op == OP_AND:
        return a & b & 0xFFFFFFFF
    if op == OP_SLL:
        return (a << (b & 31)) & 0xFFFFFFFF
    if op == OP_SRL:
        return a >> (b & 31)
    if op == OP_SRA:
        return (_s32(a) >> (b & 31)) & 0xFFFFFFFF
    if op == OP_SLT:
        return np.int64(1) if _s32(a) < _s32(b) else np.int64(0)
    if op == OP_SLTU:
        return np.int64(1) if a < b else np.int64(0)
    if op == OP_MUL:
        return np.int64((np.uint64(a) * np.uint64(b)) & np.uint64(0xFFFFFFFF))
    if op == OP_MULH:
        return ((_s32(a) * _s32(b)) >> 32) & 0xFFFFFFFF
    if op == OP_MULHSU:
        return ((_s32(a) * b) >> 32) & 0xFFFFFFFF
    return np.int64((np.uint64(a) * np.uint64(b)) >> np.uint64(32))


@njit
def _find_region(regions_address, nregions, region_address, address, size):
    """Make the region (base, end, host pointer) at `region_address` the memory holding
    [address, address + size); False if none does (a peripheral, unmapped, or across two
    memories)."""
    regions = carray(ptr_from_int(regions_address), (nregions, 3), np.int64)
    region = carray(ptr_from_int(region_address), 3, np.int64)
    for i in range(nregions):
        if regions[i, 0] <= address and address + size <= regions[i, 0] + regions[i, 1]:
            region[0], region[1], region[2] = regions[i, 0], regions[i, 0] + regions[i, 1], regions[i, 2]
            return True
    return False


# The interpreter works on raw addresses (np.int64), not arrays: numba reference-counts an
# array handed to an inlined function on every use, and in this loop that was 60 % of the
# engine's time (measured).
@njit(inline="always")
def _word(address, index):
    """The int64 at `index` of the int64 array at `address`."""
    return np.int64(load64(np.uint64(address + 8 * index)))


@njit(inline="always")
def _reg(gpr, r):
    return np.int64(load32(np.uint64(gpr + 4 * r)))


@njit(inline="always")
def _set_reg(gpr, r, value):
    if r != 0:
        store32(np.uint64(gpr + 4 * r), np.uint64(value & 0xFFFFFFFF))


@njit(inline="always")
def _iterate(gpr, pages, uops, first, n, iterations, scratch, regions, nregions):
    """Up to `iterations` passes over the body (micro-op rows first .. first + n of the table
    at `uops`) on the register file at `gpr`; returns how many ran. An iteration that meets
    something the normal path must do is undone (its stores, then the registers)."""
    region, saved, undo = scratch + 8 * SCR_REGION, scratch + 8 * SCR_SAVED, scratch + 8 * SCR_UNDO
    region_base, region_end, region_host = np.int64(0), np.int64(0), np.int64(0)
    done = 0
    while done < iterations:
        for r in range(32):
            store32(np.uint64(saved + 4 * r), load32(np.uint64(gpr + 4 * r)))
        stores = 0
        ok = True
        for u in range(first, first + n):
            row = uops + 8 * U_FIELDS * u
            kind = _word(row, U_KIND)
            if kind == K_OP:
                a = _reg(gpr, _word(row, U_RS1))
                b = _word(row, U_IMM) & 0xFFFFFFFF if _word(row, U_MODE) else _reg(gpr, _word(row, U_RS2))
                _set_reg(gpr, _word(row, U_RD), _rv_op(_word(row, U_OP), a, b))
            elif kind == K_CALU:
                rd = _word(row, U_RD)
                a, b, d = _reg(gpr, _word(row, U_RS1)), _reg(gpr, _word(row, U_RS2)), _reg(gpr, rd)
                fast = _word(row, U_SIGNED)
                if fast == 1:
                    v = v_dot(a, b, d, 8, True, True, True)
                elif fast == 2:
                    v = v_dot(a, b, d, 8, False, False, True)
                elif fast == 3:
                    v = v_dot(a, b, d, 8, False, True, True)
                elif fast == 4:
                    v = v_dot(a, b, d, 8, True, True, False)
                elif fast == 5:
                    v = v_dot(a, b, d, 8, False, False, False)
                elif fast == 6:
                    v = v_dot(a, b, d, 8, False, True, False)
                elif fast == 7:
                    v = v_dot(a, b, d, 16, True, True, True)
                elif fast == 8:
                    v = v_dot(a, b, d, 16, True, True, False)
                else:
                    v = alu_execute(_word(row, U_OP), a, b, d, _word(row, U_IMM), _word(row, U_IMM2))
                _set_reg(gpr, rd, v)
            elif kind == K_LOAD or kind == K_STORE:
                mode, size, rs1 = _word(row, U_MODE), _word(row, U_SIZE), _word(row, U_RS1)
                base = _reg(gpr, rs1)
                if mode == MEM_NONE:
                    address = (base + _word(row, U_IMM)) & 0xFFFFFFFF
                    if address & (size - 1):        # misaligned plain access: Unicorn's business
                        ok = False
                        break
                elif mode == MEM_REGREG:
                    address = (base + _reg(gpr, _word(row, U_RS3))) & 0xFFFFFFFF
                else:
                    address = base
                if not (region_base <= address and address + size <= region_end):
                    if not _find_region(regions, nregions, region, address, size):
                        ok = False                  # a peripheral or unmapped: the normal path's
                        break
                    region_base, region_end = _word(region, 0), _word(region, 1)
                    region_host = _word(region, 2)
                host = region_host + (address - region_base)
                if kind == K_LOAD:
                    value = load_sized(host, size, _word(row, U_SIGNED))
                else:
                    if (load8(np.uint64(pages + (address >> PAGE_BITS))) & PAGE_CODE or
                            load8(np.uint64(pages + ((address + size - 1) >> PAGE_BITS))) & PAGE_CODE):
                        ok = False                  # Unicorn must see it (code on that page)
                        break
                    entry = undo + 24 * stores
                    store64(np.uint64(entry), np.uint64(host))
                    store64(np.uint64(entry + 8), np.uint64(size))
                    store64(np.uint64(entry + 16), np.uint64(load_sized(host, size, False)))
                    store_sized(host, size, _reg(gpr, _word(row, U_RS2)))
                    stores += 1
                if mode == MEM_POSTINC_IMM:
                    _set_reg(gpr, rs1, base + _word(row, U_IMM))
                elif mode == MEM_POSTINC_REG:
                    _set_reg(gpr, rs1, base + _reg(gpr, _word(row, U_RS3)))
                if kind == K_LOAD:
                    _set_reg(gpr, _word(row, U_RD), value)   # loaded data wins when rd == rs1
        if not ok:
            for s in range(stores - 1, -1, -1):
                entry = undo + 24 * s
                store_sized(_word(entry, 0), _word(entry, 1), _word(entry, 2))
            for r in range(32):
                store32(np.uint64(gpr + 4 * r), load32(np.uint64(saved + 4 * r)))
            break
        done += 1
    return done


@njit(inline="always")
def _run(ctx, exit_address):
    """After a back-edge taken at exit_address (PC already redirected to the start):
    run the iterations the normal path would run without a stop, but the last."""
    if (ctx[CTX_BREAKS] != 0 or ctx[CTX_WATCHING] != 0 or ctx[CTX_PROFILE] != 0
            or ctx[CTX_BANKS] != 0 or ctx[CTX_GPR] == 0 or ctx[CTX_LIMIT] >= NO_LIMIT):
        return
    loop = 0 if exit_address == ctx[CTX_LP_EXIT0] and ctx[CTX_LP_COUNT0] > 0 else 1
    slot = CTX_LP_START0 + 4 * loop
    start = ctx[slot]
    if ctx[slot + 3] < 2:
        return
    other = CTX_LP_START0 + 4 * (1 - loop)
    if ctx[other + 3] > 0 and start <= ctx[other + 2] < exit_address:
        return                  # the other loop's back-edge lies inside this body
    desc = carray(ptr_from_int(ctx[CTX_HWLOOP]), D_SIZE, np.int64)
    base = ctx[CTX_CODE_BASE]
    halfwords = (ctx[CTX_CODE_END] - base) >> 1
    if not (base <= exit_address < ctx[CTX_CODE_END]):
        return
    exits = carray(ptr_from_int(desc[D_EXITS]), halfwords + 1, np.int32)
    bodies = carray(ptr_from_int(desc[D_BODIES]), (desc[D_NBODIES], B_FIELDS), np.int64)
    b = np.int64(exits[(exit_address - base) >> 1]) - 1
    while b >= 0 and bodies[b, B_START] != start:
        b = bodies[b, B_NEXT] - 1
    if b < 0:
        return
    if ctx[CTX_SPIN_LOOPS] != 0 and carray(ptr_from_int(ctx[CTX_SPIN_LOOPS]), halfwords + 1,
                                           np.uint8)[(start - base) >> 1] != 0:
        return                  # the block hook's spin yields see every round of it
    first, n = bodies[b, B_FIRST], bodies[b, B_NUOPS]
    instructions = count_instructions(ctx, start, exit_address)
    cycles = static_cycles(ctx, start, exit_address)
    # the back-edge's load-use correction, from the hooks' own rule (then undone)
    c0, s0 = ctx[CTX_CYCLES], ctx[CTX_STALL_LOAD_USE]
    loop_back_edge_timing(ctx, exit_address, start)
    delta = ctx[CTX_CYCLES] - c0
    ctx[CTX_CYCLES], ctx[CTX_STALL_LOAD_USE] = c0, s0
    # iteration j (from 0) runs here iff the normal path would run it whole: every block
    # the block hook sees in it passes the instruction limit (none is longer than
    # TB_MAX) and starts before the cycle limit (the last starts before its end)
    by_limit = (ctx[CTX_LIMIT] - TB_MAX - instructions - ctx[CTX_INSTRET]) // instructions + 1
    by_cycles = (ctx[CTX_CYCLE_LIMIT] - cycles - ctx[CTX_CYCLES]) // (cycles + delta) + 1
    iterations = min(ctx[slot + 3] - 1, by_limit, by_cycles)
    native = bodies[b, B_NATIVE]
    if native > 0:
        done = call_loop_body(native, ctx[CTX_GPR], iterations, desc[D_SCRATCH],
                              ctx[CTX_REGIONS], ctx[CTX_NREGIONS], desc[D_PAGES])
    else:
        done = _iterate(ctx[CTX_GPR], desc[D_PAGES], desc[D_UOPS], first, n, iterations,
                        desc[D_SCRATCH], ctx[CTX_REGIONS], ctx[CTX_NREGIONS])
        bodies[b, B_RUN] += done * n
        if native == 0 and bodies[b, B_RUN] >= desc[D_THRESHOLD]:
            desc[D_HOT] = 1                   # compiled at the next slice end
    if done > 0:
        ctx[CTX_INSTRET] += done * instructions
        ctx[CTX_CYCLES] += done * (cycles + delta)
        ctx[CTX_STALL_LOAD_USE] += done * delta
        ctx[slot + 3] -= done
        ctx[CTX_HWLOOP_RUN] += done
        diff = carray(ptr_from_int(ctx[CTX_EXEC]), halfwords + 1, np.int64)
        diff[(start - base) >> 1] += done
        diff[(exit_address - base) >> 1] -= done
        ctx[CTX_LAST_BLOCK] = start


def _source_tag() -> str:
    """A hash of the sources the native code depends on: numba's cache tracks only the
    file a function is defined in, so the entry point's name carries it."""
    here = Path(__file__).parent
    digest = hashlib.sha1()
    for name in ("hwloop_engine.py", "hooks.py", "native.py", "xpulp_exec.py",
                 "isa/semantics.py", "isa/spec.py", "hart_state.py", "latency.py", "code_tables.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:10]


SOURCE_TAG = _source_tag()


def _build_entry():
    ns = globals()
    src = f"def run_{SOURCE_TAG}(ctx, exit_address):\n    _run(ctx, exit_address)\n"
    exec(compile(src, __file__, "exec"), ns)
    return njit(cache=True)(ns[f"run_{SOURCE_TAG}"])


run = _build_entry()
"""run(ctx, exit_address): the engine entry, called by the code hook after a back-edge."""
