"""Compiled hardware-loop bodies (iss/loop_compiler.py) against the loop engine's
interpreter (iss/hwloop_engine._iterate), the reference they must match.

Seeded random bodies of every micro-op kind -- base ALU operations in both operand modes,
the inline dot products and other custom ALU operations, loads and stores of every size,
signedness and addressing mode -- run a few iterations from the same registers and memory,
once interpreted and once compiled: the iterations run, every register and every memory
byte must agree. The memory has two RAM regions with an unmapped gap and a code page, so
bodies also stop (and undo an iteration) where the engine leaves the work to Unicorn: an
unmapped access, a misaligned plain access, a store to a code page. The interpreter itself
is checked against the normal path in tests/test_hwloop_engine.py.
"""
from __future__ import annotations

import random

import numpy as np
from numba import njit

from iss import hwloop_engine as engine
from iss.code_tables import PAGE_BITS, PAGE_CODE
from iss.hwloop_engine import (FAST_DOTS, K_CALU, K_LOAD, K_OP, K_STORE, SCR_UNDO, U_FIELDS,
                               _iterate)
from iss.isa.semantics import OPS, op_id
from iss.isa.spec import MEM_NONE, MEM_POSTINC_IMM, MEM_POSTINC_REG, MEM_REGREG
from iss.loop_compiler import native_body
from iss.native import call_loop_body

SEED = 2201
BODIES = 160
ITERATIONS = 6
RAM = ((0x10000000, 0x1000), (0x10002000, 0x1000))     # a gap between them: unmapped
CODE_PAGE = 0x10002000                                  # the second region holds code
BASES = (5, 6, 7, 8)           # registers pointing into memory
DATA = (10, 11, 12, 13, 14, 15)


@njit
def interpret(gpr, pages, uops, n, iterations, scratch, regions, nregions):
    return _iterate(gpr, pages, uops, 0, n, iterations, scratch, regions, nregions)


@njit
def run_native(address, gpr, iterations, scratch, regions, nregions, pages):
    return call_loop_body(address, gpr, iterations, scratch, regions, nregions, pages)


def random_row(rng):
    kind = rng.choice((K_OP, K_OP, K_CALU, K_CALU, K_LOAD, K_LOAD, K_STORE))
    rd = rng.choice(DATA + (0,) if rng.random() < 0.1 else DATA)
    if kind == K_OP:
        mode = rng.randrange(2)
        op = rng.randrange(14)                   # OP_ADD .. OP_MULHU (no division)
        rs1, rs2 = rng.choice(DATA + BASES + (0,)), rng.choice(DATA + (0,))
        return engine._row(K_OP, op, rd, rs1, 0 if mode else rs2, imm=rng.randrange(-2048, 2048),
                           mode=mode)
    if kind == K_CALU:
        if rng.random() < 0.6:
            fast = rng.randrange(len(FAST_DOTS))
            name, width = FAST_DOTS[fast]
            return engine._row(K_CALU, op_id(name, width), rd, rng.choice(DATA), rng.choice(DATA),
                               signed=fast + 1)
        name = rng.choice([entry[0] for entry in OPS])
        return engine._row(K_CALU, op_id(name, rng.choice((8, 16))), rd, rng.choice(DATA),
                           rng.choice(DATA), imm=rng.randrange(32), imm2=rng.randrange(32))
    size = rng.choice((1, 2, 4))
    mode = rng.choice((MEM_NONE, MEM_REGREG, MEM_POSTINC_IMM, MEM_POSTINC_REG))
    base = rng.choice(BASES)
    imm = rng.choice((0, size, -size, 2 * size, rng.randrange(-64, 64)))
    offset = rng.choice((9, 0))            # x9: a small offset (register modes)
    if kind == K_LOAD:
        if rng.random() < 0.1:
            rd = base                      # the loaded value wins over the post-increment
        return engine._row(K_LOAD, 0, rd, base, 0, offset, imm, 0, size, rng.randrange(2), mode)
    return engine._row(K_STORE, 0, 0, base, rng.choice(DATA + BASES), offset, imm, 0, size, 0, mode)


class Machine:
    """Registers, two RAM regions, page flags and scratch, as the engine sees them."""

    def __init__(self, rng):
        self.gpr = np.array([rng.getrandbits(32) for _ in range(32)], dtype=np.uint32)
        self.gpr[0] = 0
        for r in BASES:                    # somewhere in a region, word aligned mostly
            base, size = rng.choice(RAM)
            self.gpr[r] = base + rng.randrange(64, size - 64) & ~(0 if rng.random() < 0.2 else 3)
        self.gpr[9] = rng.choice((0, 4, -4 & 0xFFFFFFFF, 8, 2))
        self.ram = [np.frombuffer(rng.randbytes(size), dtype=np.uint8).copy() for _, size in RAM]
        self.regions = np.array([[base, size, buf.ctypes.data] for (base, size), buf
                                 in zip(RAM, self.ram, strict=True)], dtype=np.int64)
        self.pages = np.zeros(1 << (32 - PAGE_BITS), dtype=np.uint8)
        self.pages[CODE_PAGE >> PAGE_BITS] = PAGE_CODE
        self.scratch = np.zeros(SCR_UNDO + 3 * 64, dtype=np.int64)

    def copy(self):
        other = object.__new__(Machine)
        other.gpr, other.pages, other.scratch = self.gpr.copy(), self.pages, self.scratch.copy()
        other.ram = [buf.copy() for buf in self.ram]
        other.regions = np.array([[base, size, buf.ctypes.data] for (base, size), buf
                                  in zip(RAM, other.ram, strict=True)], dtype=np.int64)
        return other

    def state(self):
        return [int(v) for v in self.gpr], [bytes(buf) for buf in self.ram]


def test_compiled_bodies_match_the_interpreter():
    rng = random.Random(SEED)
    stopped = complete = 0
    for body in range(BODIES):
        rows = np.array([random_row(rng) for _ in range(rng.randrange(1, 12))], dtype=np.int64)
        assert rows.shape[1] == U_FIELDS
        address = native_body(rows)
        assert address > 0, f"body {body} not compiled"
        start = Machine(rng)
        reference, compiled = start.copy(), start.copy()
        done_reference = interpret(reference.gpr.ctypes.data, reference.pages.ctypes.data,
                                   rows.ctypes.data, len(rows), ITERATIONS,
                                   reference.scratch.ctypes.data, reference.regions.ctypes.data,
                                   len(RAM))
        done = run_native(address, compiled.gpr.ctypes.data, ITERATIONS,
                          compiled.scratch.ctypes.data, compiled.regions.ctypes.data, len(RAM),
                          compiled.pages.ctypes.data)
        assert done == done_reference, f"body {body}: {done} iterations, interpreter {done_reference}"
        assert compiled.state() == reference.state(), f"body {body}: registers or memory differ"
        stopped += done < ITERATIONS
        complete += done == ITERATIONS
    # the seed gives both kinds of bodies: ones that stop early (undone iteration) and not
    assert stopped > BODIES // 10 and complete > BODIES // 10, (stopped, complete)


def test_compiled_once_per_process():
    rows = np.array([engine._row(K_OP, 0, 10, 10, 0, imm=1, mode=1)], dtype=np.int64)
    assert native_body(rows) == native_body(rows.copy()) > 0


def test_a_failed_compile_leaves_the_body_interpreted(monkeypatch, caplog):
    """LLVM refusing a body is not the simulation's end: it stays interpreted, warned."""
    import iss.loop_compiler as compiler

    def broken(rows):
        raise RuntimeError("LLVM says no")
    monkeypatch.setattr(compiler, "_compile", broken)
    rows = np.array([engine._row(K_OP, 0, 11, 11, 0, imm=3, mode=1)], dtype=np.int64)
    with caplog.at_level("WARNING", logger="iss"):
        assert native_body(rows) == -1
    assert "stays interpreted" in caplog.text
