"""Hot hardware-loop bodies compiled to native code (LLVM through llvmlite).

The loop engine (iss/hwloop_engine.py) interprets a body's micro-op rows, ~5 ns per
instruction: every operand is a register-file load and every result a store. A body that
has run long enough in the engine (`hwloop_engine.COMPILE_THRESHOLD` instructions) is compiled
here into one straight-line function per body, with the registers it uses held in
machine registers for the whole call; the engine then calls it instead of interpreting.

The function has the contract of `hwloop_engine._iterate`, which stays the reference:
`body(gpr, iterations, scratch, regions, nregions, pages) -> iterations run` (scratch is
the interpreter's and unused here: the saved registers and undo log live on the stack), each
iteration run whole or undone (its stores in reverse order, then the registers) where it
meets what the engine leaves to the normal path: an access outside RAM (the region table,
`_find_region`), a misaligned plain access, a store to a page holding code. Operations
are the interpreter's: base RV32IM (no division), the dot products inline, any other
custom ALU operation through the one semantic core (`iss.isa.semantics.alu_execute`).

Compiling costs ~20-40 ms per body (measured), so only bodies that have run a few million
instructions are compiled; the decision is taken at scheduler slice ends. Results do not
depend on it: tests/test_hwloop_engine.py runs every case compiled and interpreted.
"""
from __future__ import annotations

import functools
import logging
import threading

import llvmlite.binding as llvm
from llvmlite import ir
from numba import cfunc, njit, types

from .code_tables import PAGE_BITS, PAGE_CODE
from .hwloop_engine import (FAST_DOTS, K_CALU, K_LOAD, K_OP, K_STORE, U_IMM, U_IMM2, U_KIND,
                            U_MODE, U_OP, U_RD, U_RS1, U_RS2, U_RS3, U_SIGNED, U_SIZE,
                            SOURCE_TAG, _find_region, dot_flags)
from .isa.semantics import alu_execute  # noqa: F401  (called by name from _alu_address's cfunc)
from .isa.spec import (MEM_NONE, MEM_POSTINC_IMM, MEM_POSTINC_REG, MEM_REGREG, OP_ADD, OP_AND,
                       OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU, OP_OR, OP_SLL, OP_SLT, OP_SLTU,
                       OP_SRA, OP_SRL, OP_SUB, OP_XOR)

log = logging.getLogger(__name__)
I8, I16, I32, I64 = (ir.IntType(n) for n in (8, 16, 32, 64))
WIDTH = {1: I8, 2: I16, 4: I32}


class Unsupported(Exception):
    """The body holds something the compiler does not do: it stays interpreted."""


def _const(value: int, ty=I32):
    return ir.Constant(ty, value & ((1 << ty.width) - 1))


def _function(b, address: int, result, nargs: int):
    """A native function of int64 arguments at a fixed address."""
    return b.inttoptr(_const(address, I64), ir.FunctionType(result, [I64] * nargs).as_pointer())


def _tagged_cfunc(signature, name: str) -> int:
    """Address of a cfunc calling `name`, cached under a name carrying the engine's source
    hash (numba's cache checks only this file, and the callees live in others)."""
    tagged = f"{name}_{SOURCE_TAG}"
    args = ", ".join(f"a{i}" for i in range(len(signature.args)))
    exec(compile(f"def {tagged}({args}):\n    return {name}({args})\n", __file__, "exec"),
         globals())
    return cfunc(signature, cache=True)(globals()[tagged]).address


@njit(inline="always")
def _find_region_c(regions, nregions, region, address, size):
    return 1 if _find_region(regions, nregions, region, address, size) else 0


@functools.cache
def _find_region_address() -> int:
    return _tagged_cfunc(types.uint8(*[types.int64] * 5), "_find_region_c")


@functools.cache
def _alu_address() -> int:
    """alu_execute, only built (or loaded from numba's cache) for a body that needs it."""
    return _tagged_cfunc(types.int64(*[types.int64] * 6), "alu_execute")


# fast code (U_SIGNED of a custom ALU row) -> (lane width, signed a, signed b, accumulate)
DOTS = {i + 1: (width, *dot_flags(name)) for i, (name, width) in enumerate(FAST_DOTS)}


class _BodyBuilder:
    """The IR of one body (micro-op rows, hwloop_engine.U_* columns)."""

    def __init__(self, rows):
        self.module = ir.Module(name="loop_body")
        self.fn = ir.Function(self.module, ir.FunctionType(I64, [I64] * 6), name="body")
        gpr, iterations, scratch, regions, nregions, pages = self.fn.args
        self.regions, self.nregions, self.pages = regions, nregions, pages
        entry = self.fn.append_basic_block("entry")
        b = self.b = ir.IRBuilder(entry)
        self.find_region = _function(b, _find_region_address(), I8, 5)
        used = sorted({int(row[col]) for row in rows for col in (U_RD, U_RS1, U_RS2, U_RS3)} - {0})
        self.slot = {r: b.alloca(I32, name=f"x{r}") for r in used}
        saved = {r: b.alloca(I32, name=f"saved{r}") for r in used}
        for r in used:
            b.store(b.load(self._pointer(b.add(gpr, _const(4 * r, I64)), I32), align=4), self.slot[r])
        memory = [j for j, row in enumerate(rows) if row[U_KIND] in (K_LOAD, K_STORE)]
        self.region = {}
        for j in memory:                    # a cache of the memory each access hit last
            cells = [b.alloca(I64, name=f"region{j}_{k}") for k in range(3)]
            for cell in cells:
                b.store(_const(0, I64), cell)
            self.region[j] = (cells, b.alloca(ir.ArrayType(I64, 3), name=f"found{j}"))
        self.undo = {j: (b.alloca(I64), b.alloca(WIDTH[int(rows[j][U_SIZE])]))
                     for j in memory if rows[j][U_KIND] == K_STORE}
        done = b.alloca(I64, name="done")
        b.store(_const(0, I64), done)
        header = self.fn.append_basic_block("header")
        body = self.fn.append_basic_block("body")
        restore = self.fn.append_basic_block("restore")
        leave = self.fn.append_basic_block("leave")
        b.branch(header)
        b.position_at_end(header)
        b.cbranch(b.icmp_signed(">=", b.load(done), iterations), leave, body)
        b.position_at_end(body)
        for r in used:
            b.store(b.load(self.slot[r]), saved[r])
        self.restore = restore
        for j, row in enumerate(rows):
            self._micro_op(j, row)
        b.store(b.add(b.load(done), _const(1, I64)), done)
        b.branch(header)
        b.position_at_end(restore)
        for r in used:
            b.store(b.load(saved[r]), self.slot[r])
        b.branch(leave)
        b.position_at_end(leave)
        for r in used:
            b.store(b.load(self.slot[r]), self._pointer(b.add(gpr, _const(4 * r, I64)), I32), align=4)
        b.ret(b.load(done))

    # ---------------------------------------------------------------- helpers
    def _pointer(self, address, ty):
        return self.b.inttoptr(address, ty.as_pointer())

    def _get(self, r):
        return _const(0) if r == 0 else self.b.load(self.slot[r])

    def _set(self, r, value):
        if r != 0:
            self.b.store(value, self.slot[r])

    def _bail(self, j):
        """A block that undoes the stores before micro-op j (in reverse) and restores."""
        block = self.fn.append_basic_block(f"bail{j}")
        b = ir.IRBuilder(block)
        for k in sorted((k for k in self.undo if k < j), reverse=True):
            host, old = self.undo[k]
            b.store(b.load(old), b.inttoptr(b.load(host), old.type.pointee.as_pointer()), align=1)
        b.branch(self.restore)
        return block

    def _check(self, j, failed):
        """Continue if `failed` is false, else leave through micro-op j's bail block."""
        go_on = self.fn.append_basic_block(f"op{j}_ok")
        self.b.cbranch(failed, self._bail(j), go_on)
        self.b.position_at_end(go_on)

    # ---------------------------------------------------------------- micro-ops
    def _micro_op(self, j, row):
        kind = row[U_KIND]
        if kind == K_OP:
            a = self._get(int(row[U_RS1]))
            operand = _const(int(row[U_IMM])) if row[U_MODE] else self._get(int(row[U_RS2]))
            self._set(int(row[U_RD]), self._rv_op(int(row[U_OP]), a, operand))
        elif kind == K_CALU:
            self._set(int(row[U_RD]), self._custom_alu(row))
        elif kind in (K_LOAD, K_STORE):
            self._memory(j, row)
        else:
            raise Unsupported(f"micro-op kind {kind}")

    def _rv_op(self, op, a, x):
        b = self.b
        if op == OP_ADD:
            return b.add(a, x)
        if op == OP_SUB:
            return b.sub(a, x)
        if op == OP_XOR:
            return b.xor(a, x)
        if op == OP_OR:
            return b.or_(a, x)
        if op == OP_AND:
            return b.and_(a, x)
        if op in (OP_SLL, OP_SRL, OP_SRA):
            amount = b.and_(x, _const(31))
            return {OP_SLL: b.shl, OP_SRL: b.lshr, OP_SRA: b.ashr}[op](a, amount)
        if op == OP_SLT:
            return b.zext(b.icmp_signed("<", a, x), I32)
        if op == OP_SLTU:
            return b.zext(b.icmp_unsigned("<", a, x), I32)
        if op == OP_MUL:
            return b.mul(a, x)
        if op in (OP_MULH, OP_MULHSU, OP_MULHU):
            wide_a = b.zext(a, I64) if op == OP_MULHU else b.sext(a, I64)
            wide_x = b.sext(x, I64) if op == OP_MULH else b.zext(x, I64)
            return b.trunc(b.lshr(b.mul(wide_a, wide_x), _const(32, I64)), I32)
        raise Unsupported(f"base operation {op}")

    def _custom_alu(self, row):
        b = self.b
        rd = int(row[U_RD])
        a, x, d = self._get(int(row[U_RS1])), self._get(int(row[U_RS2])), self._get(rd)
        fast = int(row[U_SIGNED])
        if fast in DOTS:                    # the dot products inline, 32-bit wrap-around
            width, signed_a, signed_x, accumulate = DOTS[fast]
            total = d if accumulate else _const(0)
            for lane in range(32 // width):
                total = b.add(total, b.mul(self._lane(a, lane, width, signed_a),
                                           self._lane(x, lane, width, signed_x)))
            return total
        alu = _function(b, _alu_address(), I64, 6)      # alu_execute, built on first need
        args = [_const(int(row[U_OP]), I64), b.zext(a, I64), b.zext(x, I64), b.zext(d, I64),
                _const(int(row[U_IMM]), I64), _const(int(row[U_IMM2]), I64)]
        return b.trunc(b.call(alu, args), I32)

    def _lane(self, value, lane: int, width: int, signed: bool):
        """Lane `lane` of `width` bits of a 32-bit value, extended to 32 bits."""
        b = self.b
        part = b.trunc(b.lshr(value, _const(lane * width)), ir.IntType(width))
        return b.sext(part, I32) if signed else b.zext(part, I32)

    def _memory(self, j, row):
        b = self.b
        kind, mode, size = row[U_KIND], int(row[U_MODE]), int(row[U_SIZE])
        rs1, rs3 = int(row[U_RS1]), int(row[U_RS3])
        base = self._get(rs1)
        if mode == MEM_NONE:
            address32 = b.add(base, _const(int(row[U_IMM])))
            if size > 1:                    # misaligned plain access: Unicorn's business
                self._check(j, b.icmp_unsigned("!=", b.and_(address32, _const(size - 1)), _const(0)))
        elif mode == MEM_REGREG:
            address32 = b.add(base, self._get(rs3))
        else:
            address32 = base
        address = b.zext(address32, I64)
        end = b.add(address, _const(size, I64))
        (region_base, region_end, region_host), found = self.region[j]
        inside = b.and_(b.icmp_signed("<=", b.load(region_base), address),
                        b.icmp_signed("<=", end, b.load(region_end)))
        miss = self.fn.append_basic_block(f"op{j}_miss")
        hit = self.fn.append_basic_block(f"op{j}_hit")
        b.cbranch(inside, hit, miss)
        b.position_at_end(miss)
        cells = b.ptrtoint(found, I64)
        ok = b.call(self.find_region, [self.regions, self.nregions, cells, address, _const(size, I64)])
        self._check(j, b.icmp_unsigned("==", ok, _const(0, I8)))
        for k, cell in enumerate((region_base, region_end, region_host)):
            b.store(b.load(b.gep(found, [_const(0), _const(k)])), cell)
        b.branch(hit)
        b.position_at_end(hit)
        host = b.add(b.load(region_host), b.sub(address, b.load(region_base)))
        width = WIDTH[size]
        pointer = b.inttoptr(host, width.as_pointer())
        if kind == K_LOAD:
            raw = b.load(pointer, align=1)
            value = raw if size == 4 else (b.sext(raw, I32) if row[U_SIGNED] else b.zext(raw, I32))
        else:
            def code_page(a):
                flags = b.load(b.inttoptr(b.add(self.pages, b.lshr(a, _const(PAGE_BITS, I64))),
                                          I8.as_pointer()))
                return b.icmp_unsigned("!=", b.and_(flags, _const(PAGE_CODE, I8)), _const(0, I8))
            last = b.sub(end, _const(1, I64))
            self._check(j, b.or_(code_page(address), code_page(last)))   # Unicorn must see it
            saved_host, saved_old = self.undo[j]
            b.store(host, saved_host)
            b.store(b.load(pointer, align=1), saved_old)
            stored = self._get(int(row[U_RS2]))
            b.store(stored if size == 4 else b.trunc(stored, width), pointer, align=1)
        if mode == MEM_POSTINC_IMM:
            self._set(rs1, b.add(base, _const(int(row[U_IMM]))))
        elif mode == MEM_POSTINC_REG:
            self._set(rs1, b.add(base, self._get(rs3)))
        if kind == K_LOAD:
            self._set(int(row[U_RD]), value)    # loaded data wins when rd == rs1


# micro-op rows (bytes) -> (keep-alive handle, address or -1): the code depends on nothing
# else, so every simulator of a process shares it
_compiled: dict[bytes, tuple[object, int]] = {}


_lock = threading.Lock()        # LLVM's global context: one compile at a time (sweep threads)


def native_body(rows, compile: bool = True) -> int:
    """Address of a body's native code (its micro-op rows), compiled once per process; -1
    if the compiler does not do the body (or failed: the body stays interpreted, with a
    warning); 0 if it is not compiled and `compile` is False."""
    key = rows.tobytes()
    with _lock:
        if key not in _compiled:
            if not compile:
                return 0
            try:
                _compiled[key] = _compile(rows)
            except Unsupported:
                _compiled[key] = (None, -1)
            except Exception as e:            # LLVM refused it: slower, still exact
                log.warning("a hardware-loop body could not be compiled, it stays "
                            "interpreted (%s: %s)", type(e).__name__, e)
                _compiled[key] = (None, -1)
        return _compiled[key][1]


def _compile(rows):
    module_ir = str(_BodyBuilder(rows).module)
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    # one target machine per engine: the engine takes ownership of it (and frees it)
    machine = llvm.Target.from_default_triple().create_target_machine(opt=2, codemodel="jitdefault")
    module = llvm.parse_assembly(module_ir)
    module.verify()
    # registers to SSA values, then the backend: O2's pipeline costs 1.5x the compile
    # time for no measurable speed here
    passes = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=0))
    function_passes = llvm.create_new_function_pass_manager()
    function_passes.add_sroa_pass()
    function_passes.add_instruction_combine_pass()
    function_passes.add_simplify_cfg_pass()
    function_passes.run(module.get_function("body"), passes)
    engine = llvm.create_mcjit_compiler(module, machine)
    engine.finalize_object()
    return engine, engine.get_function_address("body")
