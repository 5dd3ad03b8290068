"""Native execution of the XpulpV2 / CORE-V custom instructions and hardware loops.

Custom instruction words are replaced by NOPs in guest memory (the original words
stay in `CustomCode.originals` for disassembly and the debugger) and executed by
one numba cfunc code hook that looks the address up in a per-halfword table
(our measurement: ~9 ns per custom instruction instead of ~60 ns for a trap).
The same hook takes hardware-loop back-edges: when execution reaches a loop's exit
address (the first address after its body) with iterations left, it writes PC.
"""
from __future__ import annotations

import numpy as np
from numba import carray, cfunc, njit, types

from .hart_state import (CTX_ACTIONS, CTX_BANKS, CTX_BREAK_SKIP, CTX_BREAKS, CTX_CODE_BASE,
                         CTX_CODE_END, CTX_CYCLES, CTX_END_INCLUSIVE, CTX_FN_EMU_STOP,
                         CTX_FN_REG_READ, CTX_FN_REG_WRITE, CTX_GPR, CTX_HARTID, CTX_HOOKED,
                         CTX_HWLOOP, CTX_INSTRET, CTX_LAST_BLOCK_END, CTX_LP_COUNT0, CTX_LP_EXIT0,
                         CTX_LP_EXIT1, CTX_LP_START0, CTX_REDIRECT_ICOUNT, CTX_REDIRECT_PC,
                         CTX_REDIRECT_SKIP, CTX_SCRATCH, CTX_SITES, CTX_SIZE, CTX_SLOW_PC,
                         CTX_STALL_DIV, CTX_STOP, CTX_TRAP_CAUSE, CTX_UC, CTX_WATCHING, PROF_DIV,
                         STOP_BREAK, STOP_SLOW, STOP_TRAP)
from .hooks import (account, count_instructions, host_address, loop_back_edge_timing,
                    memory_access_timing, profile_charge, static_cycles, taken_branch)
from .hwloop_engine import SOURCE_TAG
from .hwloop_engine import run as hwloop_run
from .latency import DIV_BASE_CYCLES, DIV_BY_ZERO_CYCLES, DIV_NEGATIVE_BASE_CYCLES
from .isa.semantics import alu_execute
from .isa.spec import (BR_EQ, HW_COUNT, HW_COUNTI, HW_END, HW_ENDI, HW_SETUP, HW_SETUPI, HW_START,
                       HW_STARTI, KIND_ALU, KIND_BRANCH_IMM, KIND_HWLOOP, KIND_LOAD, KIND_STORE,
                       MEM_POSTINC_IMM, MEM_REGREG)
from .native import (call_reg_access, call_uc, load16, load32, load_sized, ptr_from_int, store8,
                     store16, store32, store_sized)

KIND_CSR = 16          # engine-local kind: a CSR access the simulator emulates
KIND_PYTHON = 17       # executed by Python (ELW, ...): the hook stops the engine
KIND_DIV = 18          # div/divu/rem/remu (S_OP = funct3): data-dependent cycles
KIND_BRANCH_NEXT = 19  # a conditional branch to the next instruction (S_OP = funct3): the
                       # block hook cannot see it taken, yet the pipeline flushes
KIND_SYSTEM = 20       # mret / wfi (S_OP = the word): run by iss/interrupts.py in Python

# site table columns
S_KIND, S_OP, S_RD, S_RS1, S_RS2, S_RS3, S_IMM, S_IMM2, S_SIZE, S_SIGNED, S_MODE, S_LEN = range(12)
SITE_FIELDS = 12

REG_X0 = 1             # UC_RISCV_REG_X0
REG_PC = 190           # UC_RISCV_REG_PC

# CSRs the simulator emulates (Unicorn lacks them or has per-engine values)
CSR_MHARTID, CSR_UHARTID = 0xF14, 0x014
CSR_MCYCLE, CSR_MINSTRET, CSR_MCYCLEH, CSR_MINSTRETH = 0xB00, 0xB02, 0xB80, 0xB82
CSR_CYCLE, CSR_INSTRET, CSR_CYCLEH, CSR_INSTRETH = 0xC00, 0xC02, 0xC80, 0xC82
# hardware-loop CSRs (RI5CY riscv_defines.sv; CV32E40P control_status_registers.rst):
# RI5CY read/write, CV32E40P v2 read-only
HWLOOP_CSR_BASE = {"xpulpv2": 0x7C0, "corev": 0xCC0}
HWLOOP_CSR_WRITABLE = {"xpulpv2": True, "corev": False}


@njit(cache=True, inline="always")
def _ptr(address):
    return ptr_from_int(np.uint64(address))


@njit(cache=True, inline="always")
def _read_reg(ctx, index):
    if index == 0:
        return np.int64(0)
    if ctx[CTX_GPR] != 0:
        return np.int64(load32(np.uint64(ctx[CTX_GPR] + 4 * index)))
    scratch = np.uint64(ctx.ctypes.data) + np.uint64(CTX_SCRATCH * 8)
    call_reg_access(np.uint64(ctx[CTX_FN_REG_READ]), np.uint64(ctx[CTX_UC]),
                    np.int64(REG_X0 + index), scratch)
    return np.int64(load32(scratch))


@njit(cache=True, inline="always")
def _write_reg(ctx, index, value):
    if index == 0:
        return
    if ctx[CTX_GPR] != 0:
        store32(np.uint64(ctx[CTX_GPR] + 4 * index), np.uint64(value & 0xFFFFFFFF))
        return
    scratch = np.uint64(ctx.ctypes.data) + np.uint64(CTX_SCRATCH * 8)
    store32(scratch, np.uint64(value & 0xFFFFFFFF))
    call_reg_access(np.uint64(ctx[CTX_FN_REG_WRITE]), np.uint64(ctx[CTX_UC]),
                    np.int64(REG_X0 + index), scratch)


@njit(cache=True)
def _set_pc(ctx, target):
    scratch = np.uint64(ctx.ctypes.data) + np.uint64(CTX_SCRATCH * 8)
    store32(scratch, np.uint64(target & 0xFFFFFFFF))
    call_reg_access(np.uint64(ctx[CTX_FN_REG_WRITE]), np.uint64(ctx[CTX_UC]),
                    np.int64(REG_PC), scratch)


@njit(cache=True, inline="always")
def _cut_block(ctx, pc):
    """The current block's instructions from pc on will not run."""
    account(ctx, pc, ctx[CTX_LAST_BLOCK_END], -1)
    ctx[CTX_LAST_BLOCK_END] = pc


@njit(cache=True)
def _jump(ctx, pc, target):
    """Continue at target instead of pc, from a code hook (regfile.py: the direct way
    costs a TB exit instead of a CPU-loop exit)."""
    _cut_block(ctx, pc)
    if ctx[CTX_REDIRECT_PC] != 0:
        store32(np.uint64(ctx[CTX_REDIRECT_PC]), np.uint64(target & 0xFFFFFFFF))
        store8(np.uint64(ctx[CTX_REDIRECT_SKIP]), np.uint64(1))
        store16(np.uint64(ctx[CTX_REDIRECT_ICOUNT]), np.uint64(0xFFFF))
    else:
        _set_pc(ctx, target)


@njit(cache=True)
def _stop_at(ctx, slow_pc, resume_pc):
    """Stop the engine with PC = resume_pc; Python then runs the site at slow_pc (-1: none)."""
    ctx[CTX_STOP] = STOP_SLOW
    ctx[CTX_SLOW_PC] = slow_pc
    _cut_block(ctx, resume_pc)
    _set_pc(ctx, resume_pc)
    call_uc(np.uint64(ctx[CTX_FN_EMU_STOP]), np.uint64(ctx[CTX_UC]))


@njit(cache=True, inline="always")
def _stop_for_python(ctx, pc):
    """Let Python execute the instruction at pc: stop here, before it runs."""
    _stop_at(ctx, pc, pc)


@njit(cache=True, inline="always")
def _halfword(ctx, address):
    """Index of address in the per-halfword tables of the code range, -1 outside."""
    base = ctx[CTX_CODE_BASE]
    if address < base or address >= ctx[CTX_CODE_END]:
        return np.int64(-1)
    return (address - base) >> 1


@njit(cache=True, inline="always")
def _table_size(ctx):
    return (ctx[CTX_CODE_END] - ctx[CTX_CODE_BASE]) >> 1


@njit(cache=True)
def _is_hooked(ctx, address):
    i = _halfword(ctx, address)
    return i >= 0 and carray(_ptr(ctx[CTX_HOOKED]), _table_size(ctx), np.uint8)[i] != 0


@njit(cache=True)
def _loop_exit(ctx, end):
    """First address after the body, given the loop end register as written."""
    if ctx[CTX_END_INCLUSIVE] == 0:
        return end
    host = host_address(ctx, end)
    if host == 0:
        return end + 4
    return end + (4 if (load16(np.uint64(host)) & 3) == 3 else 2)


@njit(cache=True)
def _set_loop(ctx, loop, field, value):
    """field: 0 start, 1 end, 2 count (slots are laid out start, end, exit, count)."""
    slot = CTX_LP_START0 + 4 * loop
    if field == 0:
        ctx[slot] = value & 0xFFFFFFFF
    elif field == 1:
        ctx[slot + 1] = value & 0xFFFFFFFF
        ctx[slot + 2] = _loop_exit(ctx, value & 0xFFFFFFFF)
    else:
        ctx[slot + 3] = value & 0xFFFFFFFF


@njit(cache=True)
def _hwloop(ctx, op, loop, pc, imm, imm2, rs1):
    if op == HW_STARTI:
        _set_loop(ctx, loop, 0, pc + imm)
    elif op == HW_ENDI:
        _set_loop(ctx, loop, 1, pc + imm)
    elif op == HW_COUNT:
        _set_loop(ctx, loop, 2, _read_reg(ctx, rs1))
    elif op == HW_COUNTI:
        _set_loop(ctx, loop, 2, imm2)
    elif op == HW_SETUP or op == HW_SETUPI:
        _set_loop(ctx, loop, 0, pc + 4)
        _set_loop(ctx, loop, 1, pc + imm)
        _set_loop(ctx, loop, 2, _read_reg(ctx, rs1) if op == HW_SETUP else imm2)
    elif op == HW_START:
        _set_loop(ctx, loop, 0, _read_reg(ctx, rs1))
    elif op == HW_END:
        _set_loop(ctx, loop, 1, _read_reg(ctx, rs1))


@njit(cache=True, inline="always")
def _memory(ctx, pc, site, sites):
    """Loads and stores with post-increment / register offset. False: needs Python
    (peripheral or unmapped address, or debugger watchpoints that must see the access)."""
    if ctx[CTX_WATCHING] != 0:
        return False
    kind = sites[site, S_KIND]
    mode = sites[site, S_MODE]
    base = _read_reg(ctx, sites[site, S_RS1])
    offset_reg = sites[site, S_RS2] if kind == KIND_LOAD else sites[site, S_RS3]
    if mode == MEM_REGREG:
        address = (base + _read_reg(ctx, offset_reg)) & 0xFFFFFFFF
        new_base = base
    elif mode == MEM_POSTINC_IMM:
        address = base
        new_base = base + sites[site, S_IMM]
    else:
        address = base
        new_base = base + _read_reg(ctx, offset_reg)
    size = sites[site, S_SIZE]
    host = host_address(ctx, address)
    if host == 0 or host_address(ctx, address + size - 1) == 0:
        return False
    if ctx[CTX_BANKS] != 0:
        memory_access_timing(ctx, address, size)
    if kind == KIND_LOAD:
        value = load_sized(host, size, sites[site, S_SIGNED])
        if mode != MEM_REGREG:
            _write_reg(ctx, sites[site, S_RS1], new_base)
        _write_reg(ctx, sites[site, S_RD], value)   # loaded data wins when rd == rs1
    else:
        store_sized(host, size, _read_reg(ctx, sites[site, S_RS2]))
        if mode != MEM_REGREG:
            _write_reg(ctx, sites[site, S_RS1], new_base)
    return True


@njit(cache=True)
def _csr(ctx, pc, site, sites):
    """Emulated CSRs; returns False for those Python must handle."""
    csr = sites[site, S_IMM]
    funct3 = sites[site, S_OP]
    rd = sites[site, S_RD]
    src = sites[site, S_RS1]
    loop_base = sites[site, S_IMM2] & 0xFFF
    loop_writable = (sites[site, S_IMM2] >> 12) & 1
    old = np.int64(-1)
    loop_csr = -1
    if csr == CSR_MHARTID or csr == CSR_UHARTID:
        old = ctx[CTX_HARTID]
    elif csr in (CSR_MCYCLE, CSR_MCYCLEH, CSR_CYCLE, CSR_CYCLEH):
        # counted before this instruction: the rest of the block is not run yet
        old = ctx[CTX_CYCLES] - static_cycles(ctx, pc, ctx[CTX_LAST_BLOCK_END])
        old = old >> 32 if csr == CSR_MCYCLEH or csr == CSR_CYCLEH else old & 0xFFFFFFFF
    elif csr in (CSR_MINSTRET, CSR_MINSTRETH, CSR_INSTRET, CSR_INSTRETH):
        old = ctx[CTX_INSTRET] - count_instructions(ctx, pc, ctx[CTX_LAST_BLOCK_END])
        old = old >> 32 if csr == CSR_MINSTRETH or csr == CSR_INSTRETH else old & 0xFFFFFFFF
    elif loop_base <= csr < loop_base + 7 and csr != loop_base + 3:
        loop_csr = csr - loop_base
        slot = CTX_LP_START0 + 4 * (loop_csr // 4) + (loop_csr % 4)
        old = ctx[slot + 1] if loop_csr % 4 == 2 else ctx[slot]   # skip the exit slot
    else:
        return False
    operand = src if funct3 >= 5 else _read_reg(ctx, src)
    op = funct3 & 3
    writes = op == 1 or src != 0
    if writes:
        if loop_csr < 0 or loop_writable == 0:
            return False           # read-only: Python reports the illegal write
        new = operand if op == 1 else (old | operand if op == 2 else old & ~operand)
        _set_loop(ctx, loop_csr // 4, loop_csr % 4 if loop_csr % 4 < 2 else 2, new)
    _write_reg(ctx, rd, old)
    return True


@njit(cache=True)
def _divide(ctx, pc, funct3, rd, a, b):
    """RV32M div/divu/rem/remu (funct3 4..7) and the divider's data-dependent latency
    (iss/latency.py: DIV_*)."""
    signed = funct3 == 4 or funct3 == 6
    ua, ub = a & 0xFFFFFFFF, b & 0xFFFFFFFF
    sa = ua - (1 << 32) if ua >> 31 else ua
    sb = ub - (1 << 32) if ub >> 31 else ub
    if ub == 0:
        quotient, remainder = np.int64(0xFFFFFFFF), (sa if signed else ua)
    elif signed and sa == -(1 << 31) and sb == -1:
        quotient, remainder = sa, np.int64(0)
    elif signed:
        quotient = abs(sa) // abs(sb)
        if (sa < 0) != (sb < 0):
            quotient = -quotient
        remainder = sa - quotient * sb
    else:
        quotient, remainder = ua // ub, ua % ub
    _write_reg(ctx, rd, quotient if funct3 < 6 else remainder)
    if ub == 0:
        cycles = DIV_BY_ZERO_CYCLES
    elif signed and sb < 0:
        cycles = DIV_NEGATIVE_BASE_CYCLES + _clz32((~ub) & 0xFFFFFFFF)
    else:
        cycles = DIV_BASE_CYCLES + _clz32(ub)
    ctx[CTX_CYCLES] += cycles - 1        # the static table charged 1
    ctx[CTX_STALL_DIV] += cycles - 1
    profile_charge(ctx, pc, PROF_DIV, cycles - 1)


@njit(cache=True, inline="always")
def _condition(funct3, a, b):
    """RV32I branch condition (a, b: register values as unsigned 32-bit)."""
    sa = a - (1 << 32) if a >> 31 else a
    sb = b - (1 << 32) if b >> 31 else b
    if funct3 == 0:
        return a == b
    if funct3 == 1:
        return a != b
    if funct3 == 4:
        return sa < sb
    if funct3 == 5:
        return sa >= sb
    if funct3 == 6:
        return a < b
    return a >= b


@njit(cache=True, inline="always")
def _clz32(x):
    n = 32
    while x:
        x >>= 1
        n -= 1
    return n


@njit(cache=True, inline="always")
def _site_at(ctx, pc):
    i = _halfword(ctx, pc)
    if i < 0:
        return np.int64(-1)
    return np.int64(carray(_ptr(ctx[CTX_ACTIONS]), _table_size(ctx), np.int32)[i]) - 1


@njit(cache=True, inline="always")
def _sites(ctx, site):
    return carray(_ptr(ctx[CTX_SITES]), (site + 1, SITE_FIELDS), np.int64)


@njit(cache=True, inline="always")
def _alu(ctx, site, sites):
    rd = sites[site, S_RD]
    _write_reg(ctx, rd, alu_execute(sites[site, S_OP], _read_reg(ctx, sites[site, S_RS1]),
                                    _read_reg(ctx, sites[site, S_RS2]), _read_reg(ctx, rd),
                                    sites[site, S_IMM], sites[site, S_IMM2]))


@njit(cache=True)
def _execute(ctx, pc, site, trapped):
    """Run the custom instruction of `site` at pc. `trapped`: reached through an
    illegal-instruction trap (the block ended on it and PC is already pc + 4) rather
    than through the code hook in front of its NOP."""
    sites = _sites(ctx, site)
    kind = sites[site, S_KIND]
    if kind == KIND_ALU:
        _alu(ctx, site, sites)
    elif kind == KIND_LOAD or kind == KIND_STORE:
        if not _memory(ctx, pc, site, sites):
            _stop_for_python(ctx, pc)
    elif kind == KIND_BRANCH_IMM:
        value = _read_reg(ctx, sites[site, S_RS1])
        imm2 = sites[site, S_IMM2] & 0xFFFFFFFF
        if (value == imm2) == (sites[site, S_OP] == BR_EQ):
            if sites[site, S_IMM] == sites[site, S_LEN]:
                taken_branch(ctx, pc)  # to the next instruction: the block hook cannot tell
            if trapped:
                _set_pc(ctx, pc + sites[site, S_IMM])
            else:   # the branch itself retires: the block is cut after it
                _jump(ctx, pc + sites[site, S_LEN], pc + sites[site, S_IMM])
    elif kind == KIND_HWLOOP:
        _hwloop(ctx, sites[site, S_OP], sites[site, S_RD], pc, sites[site, S_IMM],
                sites[site, S_IMM2], sites[site, S_RS1])
        for loop in range(2):
            exit_address = ctx[CTX_LP_EXIT0 + 4 * loop]
            if ctx[CTX_LP_COUNT0 + 4 * loop] > 0 and not _is_hooked(ctx, exit_address):
                # resume after this instruction once Python has hooked the loop end
                _stop_at(ctx, -1, pc + sites[site, S_LEN])
                return
    elif kind == KIND_CSR:
        if not _csr(ctx, pc, site, sites):
            _stop_for_python(ctx, pc)
    elif kind == KIND_BRANCH_NEXT:
        if _condition(sites[site, S_OP], _read_reg(ctx, sites[site, S_RS1]),
                      _read_reg(ctx, sites[site, S_RS2])):
            taken_branch(ctx, pc)
    elif kind == KIND_DIV:
        _divide(ctx, pc, sites[site, S_OP], sites[site, S_RD], _read_reg(ctx, sites[site, S_RS1]),
                _read_reg(ctx, sites[site, S_RS2]))
    else:
        _stop_for_python(ctx, pc)


@njit(cache=True)
def _breakpoint_hit(ctx, pc):
    """Stop before a breakpointed instruction (unless resuming over it)."""
    i = _halfword(ctx, pc)
    if i < 0 or carray(_ptr(ctx[CTX_BREAKS]), _table_size(ctx), np.uint8)[i] == 0:
        return False
    if pc == ctx[CTX_BREAK_SKIP]:
        ctx[CTX_BREAK_SKIP] = -1
        return False
    _stop_at(ctx, pc, pc)
    ctx[CTX_STOP] = STOP_BREAK
    return True


@njit(cache=True)
def _loop_end(ctx, pc):
    """pc is a hardware loop's exit address: take the back-edge if iterations are left
    (loop 0 has priority; a shared end falls through to loop 1). True if it jumped."""
    for loop in range(2):
        slot = CTX_LP_START0 + 4 * loop
        if pc == ctx[slot + 2] and ctx[slot + 3] > 0:
            ctx[slot + 3] -= 1
            if ctx[slot + 3] > 0:
                _jump(ctx, pc, ctx[slot])
                loop_back_edge_timing(ctx, pc, ctx[slot])
                return True
    return False


@njit(inline="always")
def _code_hook(uc, address, size, user_data):
    """In front of NOP-patched custom instructions, at hardware-loop exits and at
    debugger breakpoints. ALU operations and in-memory loads/stores run inline here;
    every function call in this hot path costs a few ns (numba's calling convention),
    so the rare cases go through one call to _execute. After a back-edge the
    hardware-loop engine may run further iterations (iss/hwloop_engine.py)."""
    ctx = carray(user_data, CTX_SIZE, np.int64)
    pc = np.int64(address)
    if (pc == ctx[CTX_LP_EXIT0] or pc == ctx[CTX_LP_EXIT1]) and _loop_end(ctx, pc):
        if ctx[CTX_HWLOOP] != 0:
            hwloop_run(ctx, pc)
        return
    if ctx[CTX_BREAKS] != 0 and _breakpoint_hit(ctx, pc):
        return
    site = _site_at(ctx, pc)
    if site < 0:
        return
    sites = _sites(ctx, site)
    kind = sites[site, S_KIND]
    if kind == KIND_ALU:
        _alu(ctx, site, sites)
    elif (kind != KIND_LOAD and kind != KIND_STORE) or not _memory(ctx, pc, site, sites):
        _execute(ctx, pc, site, False)


def _build_code_hook():
    """The code hook's cfunc, named after a hash of the sources it is compiled from
    (hwloop_engine.SOURCE_TAG): numba's cache checks only this file, and the hook
    embeds the engine from another module."""
    name = f"code_hook_{SOURCE_TAG}"
    src = f"def {name}(uc, address, size, user_data):\n    _code_hook(uc, address, size, user_data)\n"
    exec(compile(src, __file__, "exec"), globals())
    return cfunc(types.void(types.uintp, types.uint64, types.uint32, types.voidptr),
                 cache=True)(globals()[name])


code_hook = _build_code_hook()


@cfunc(types.void(types.uintp, types.uint32, types.voidptr), cache=True)
def trap_hook(uc, intno, user_data):
    """Exceptions. Custom instructions left in place trap as illegal instructions and
    run here (~60 ns, but no cost at all to the instructions around them)."""
    ctx = carray(user_data, CTX_SIZE, np.int64)
    scratch = np.uint64(ctx.ctypes.data) + np.uint64(CTX_SCRATCH * 8)
    call_reg_access(np.uint64(ctx[CTX_FN_REG_READ]), np.uint64(ctx[CTX_UC]),
                    np.int64(REG_PC), scratch)
    pc = (np.int64(load32(scratch)) - 4) & 0xFFFFFFFF   # Unicorn reports PC + 4, any size
    if intno == 2:
        site = _site_at(ctx, pc)
        if site >= 0:
            _execute(ctx, pc, site, True)
            return
    ctx[CTX_TRAP_CAUSE] = intno
    _stop_at(ctx, pc, pc)
    ctx[CTX_STOP] = STOP_TRAP
