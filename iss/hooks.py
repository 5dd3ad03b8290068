"""Native (numba cfunc) hooks registered with Unicorn through its C API.

Everything that runs per block or per TLB miss lives here and never enters the
Python interpreter. Each hart owns a small int64 context array passed to the hooks as
user_data (the CTX_* slots of iss/hart_state.py).

Instruction counting: a block hook adds the number of instructions of the translated
block it is about to run, from the load-time tables of iss/code_tables.py.
"""
from __future__ import annotations

import ctypes

import numpy as np
from numba import carray, cfunc, njit, types

from .code_tables import F_AMBIG, F_BRANCH, F_ENDS_BRANCH, F_ENDS_JUMP, F_IS32, F_JUMP, F_MID, PAGE_BITS, PAGE_CODE
from .hart_state import (CTX_ACCESS_SEQ, CTX_BANKS, CTX_BLOCK_CYCLE, CTX_CODE_BASE, CTX_CODE_END,
                         CTX_CPREFIX, CTX_CYCLE_LIMIT, CTX_CYCLES, CTX_EXEC, CTX_FLAGS,
                         CTX_FN_EMU_STOP, CTX_HART, CTX_INSTRET, CTX_L1_BASE, CTX_L1_END,
                         CTX_LAST_BLOCK, CTX_LAST_BLOCK_END, CTX_LIMIT, CTX_LOAD_END,
                         CTX_NREGIONS, CTX_PREFIX, CTX_PROFILE, CTX_READS, CTX_REGIONS,
                         CTX_SHADOW_BASE, CTX_SHADOW_END, CTX_SHADOW_MAP, CTX_SIZE,
                         CTX_SPIN_LOOPS, CTX_SPUN, CTX_STALL_BRANCH, CTX_STALL_JUMP,
                         CTX_STALL_LOAD_USE, CTX_STALL_MISALIGNED, CTX_STALL_SYNC, CTX_STALL_TCDM,
                         CTX_STOP, CTX_TAKEN, CTX_UC, CTX_WRITES, CTX_YIELD_AFTER, PROF_BRANCH,
                         PROF_CAUSES, PROF_JUMP, PROF_LOAD_USE, PROF_MISALIGNED, PROF_SYNC,
                         PROF_TCDM, STOP_LIMIT, STOP_SPIN)
from .latency import BANK_WINDOW, MISALIGNED_TARGET_STALL, TAKEN_BRANCH_PENALTY, TCDM_BANKS
from .native import call_uc, load16, ptr_from_int, ptr_to_int


UC_MEM_WRITE = 17      # uc_mem_type values of the memory and TLB-fill hooks
UC_MEM_FETCH = 18
UC_PROT_RW = 3
UC_PROT_ALL = 7




@njit(cache=True, inline="always")
def host_address(ctx, address):
    """Host pointer for a guest RAM address, 0 if not in a shared memory buffer."""
    regions = carray(ptr_from_int(ctx[CTX_REGIONS]), (ctx[CTX_NREGIONS], 3), np.int64)
    for i in range(ctx[CTX_NREGIONS]):
        offset = address - regions[i, 0]
        if 0 <= offset < regions[i, 1]:
            return regions[i, 2] + offset
    return 0


@njit(cache=True)
def count_instructions(ctx, start, end):
    """Instructions in [start, end), as the block hook counts them."""
    base = ctx[CTX_CODE_BASE]
    if base <= start and end <= ctx[CTX_CODE_END]:
        prefix = carray(ptr_from_int(ctx[CTX_PREFIX]),
                        ((ctx[CTX_CODE_END] - base) >> 1) + 1, np.uint32)
        return np.int64(prefix[(end - base) >> 1]) - np.int64(prefix[(start - base) >> 1])
    host = host_address(ctx, start)
    if host == 0:
        return (end - start + 3) >> 2
    n = 0
    a = start
    while a < end:
        a += 4 if (load16(np.uint64(host + (a - start))) & 3) == 3 else 2
        n += 1
    return n


@njit(cache=True)
def static_cycles(ctx, start, end):
    """Static cycles of the instructions in [start, end) (1 per instruction outside the
    executable segments)."""
    base = ctx[CTX_CODE_BASE]
    if base <= start and end <= ctx[CTX_CODE_END] and ctx[CTX_CPREFIX] != 0:
        prefix = carray(ptr_from_int(ctx[CTX_CPREFIX]),
                        ((ctx[CTX_CODE_END] - base) >> 1) + 1, np.uint32)
        return np.int64(prefix[(end - base) >> 1]) - np.int64(prefix[(start - base) >> 1])
    return count_instructions(ctx, start, end)


@njit(cache=True)
def account(ctx, start, end, sign):
    """Add (sign 1) or remove (sign -1) the instructions of [start, end): retired count,
    static cycles and per-instruction execution counts."""
    if end <= start:
        return
    ctx[CTX_INSTRET] += sign * count_instructions(ctx, start, end)
    ctx[CTX_CYCLES] += sign * static_cycles(ctx, start, end)
    base = ctx[CTX_CODE_BASE]
    if ctx[CTX_EXEC] != 0 and base <= start and end <= ctx[CTX_CODE_END]:
        diff = carray(ptr_from_int(ctx[CTX_EXEC]), ((ctx[CTX_CODE_END] - base) >> 1) + 1, np.int64)
        diff[(start - base) >> 1] += sign
        diff[(end - base) >> 1] -= sign


@njit(cache=True, inline="always")
def _flags_at(ctx, address):
    base = ctx[CTX_CODE_BASE]
    if address < base or address > ctx[CTX_CODE_END]:
        return np.uint8(0)
    flags = carray(ptr_from_int(ctx[CTX_FLAGS]), ((ctx[CTX_CODE_END] - base) >> 1) + 1, np.uint8)
    return flags[(address - base) >> 1]


@njit(cache=True, inline="always")
def profile_charge(ctx, pc, cause, cycles):
    """--profile only (CTX_PROFILE != 0): `cycles` dynamic cycles of `cause` (PROF_*) go to
    the instruction covering halfword address pc."""
    if ctx[CTX_PROFILE] != 0:
        base = ctx[CTX_CODE_BASE]
        if base <= pc < ctx[CTX_CODE_END]:
            table = carray(ptr_from_int(ctx[CTX_PROFILE]),
                           ((ctx[CTX_CODE_END] - base) >> 1, PROF_CAUSES), np.int64)
            table[(pc - base) >> 1, cause] += cycles


@njit(cache=True, inline="always")
def taken_branch(ctx, pc):
    """The conditional branch at (any halfword of) pc was taken."""
    ctx[CTX_TAKEN] += 1
    ctx[CTX_CYCLES] += TAKEN_BRANCH_PENALTY
    ctx[CTX_STALL_BRANCH] += TAKEN_BRANCH_PENALTY
    profile_charge(ctx, pc, PROF_BRANCH, TAKEN_BRANCH_PENALTY)


@njit(cache=True, inline="always")
def _last_instruction_kind(ctx, ends):
    """F_ENDS_* of the last block's last instruction where the flags at its end are
    ambiguous (F_AMBIG): a block that starts on a linear instruction ends with the linear
    one; one entered at a mid halfword ends with a mid-entry instruction unless its
    decode reached a linear start before its end. Inlined: a call that takes ctx makes
    numba set up its arguments in the block hook's prologue, for every block (~0.8 ns)."""
    base = ctx[CTX_CODE_BASE]
    n = ((ctx[CTX_CODE_END] - base) >> 1) + 1
    flags = carray(ptr_from_int(ctx[CTX_FLAGS]), n, np.uint8)
    end = ctx[CTX_LAST_BLOCK_END]
    a = ctx[CTX_LAST_BLOCK]
    last = -1
    while a < end and base <= a and flags[(a - base) >> 1] & F_MID:
        last = a
        a += 4 if flags[(a - base) >> 1] & F_IS32 else 2
    if a != end or last < 0:     # (an empty block, cut at its start: as before it)
        return ends & (F_ENDS_BRANCH | F_ENDS_JUMP)
    kind = flags[(last - base) >> 1]
    return (F_ENDS_BRANCH if kind & F_BRANCH else 0) | (F_ENDS_JUMP if kind & F_JUMP else 0)


@njit(cache=True, inline="always")
def transfer_penalty(ctx, start):
    """Dynamic cost of arriving at `start` from the previous block's end (CV32E40P manual):
    a taken branch costs 2 more than a not-taken one; a jump or taken branch to a 32-bit
    instruction at a non-word-aligned address costs 1 more."""
    ends = _flags_at(ctx, ctx[CTX_LAST_BLOCK_END])
    if ends & F_AMBIG:
        ends = _last_instruction_kind(ctx, ends)
    if ends & F_ENDS_BRANCH:
        taken_branch(ctx, ctx[CTX_LAST_BLOCK_END] - 2)
    if ends & (F_ENDS_BRANCH | F_ENDS_JUMP) and start & 2 and _flags_at(ctx, start) & F_IS32:
        ctx[CTX_CYCLES] += MISALIGNED_TARGET_STALL
        ctx[CTX_STALL_BRANCH if ends & F_ENDS_BRANCH else CTX_STALL_JUMP] += MISALIGNED_TARGET_STALL
        profile_charge(ctx, ctx[CTX_LAST_BLOCK_END] - 2,
                       PROF_BRANCH if ends & F_ENDS_BRANCH else PROF_JUMP, MISALIGNED_TARGET_STALL)


@njit(cache=True)
def _stop_before_block(ctx):
    """uc_emu_stop from a block hook stops before the block runs (PC stays at its start)."""
    ctx[CTX_STOP] = STOP_LIMIT
    call_uc(np.uint64(ctx[CTX_FN_EMU_STOP]), np.uint64(ctx[CTX_UC]))


@njit(cache=True, inline="always")
def _count_block(ctx, start, end):
    """Count the block [start, end) of the code range (all tables in one place: this runs
    once per executed block). False when the engine was stopped before it."""
    base = ctx[CTX_CODE_BASE]
    n_tables = ((ctx[CTX_CODE_END] - base) >> 1) + 1
    i0 = (start - base) >> 1
    i1 = (end - base) >> 1
    prefix = carray(ptr_from_int(ctx[CTX_PREFIX]), n_tables, np.uint32)
    n = np.int64(prefix[i1]) - np.int64(prefix[i0])
    if ctx[CTX_INSTRET] + n > ctx[CTX_LIMIT] or ctx[CTX_CYCLES] >= ctx[CTX_CYCLE_LIMIT]:
        _stop_before_block(ctx)
        return False
    if start == ctx[CTX_LAST_BLOCK] and ctx[CTX_SPIN_LOOPS] != 0 \
            and carray(ptr_from_int(ctx[CTX_SPIN_LOOPS]), n_tables, np.uint8)[i0] != 0:
        if ctx[CTX_CYCLES] > ctx[CTX_YIELD_AFTER]:
            # a poll loop going round again, ahead of another hart: that one first
            ctx[CTX_STOP] = STOP_SPIN
            call_uc(np.uint64(ctx[CTX_FN_EMU_STOP]), np.uint64(ctx[CTX_UC]))
            return False
        ctx[CTX_SPUN] += n
    if start != ctx[CTX_LAST_BLOCK_END]:
        transfer_penalty(ctx, start)
    cprefix = carray(ptr_from_int(ctx[CTX_CPREFIX]), n_tables, np.uint32)
    diff = carray(ptr_from_int(ctx[CTX_EXEC]), n_tables, np.int64)
    ctx[CTX_BLOCK_CYCLE] = ctx[CTX_CYCLES]
    ctx[CTX_INSTRET] += n
    ctx[CTX_CYCLES] += np.int64(cprefix[i1]) - np.int64(cprefix[i0])
    diff[i0] += 1
    diff[i1] -= 1
    return True


@cfunc(types.void(types.uintp, types.uint64, types.uint32, types.voidptr), cache=True)
def block_hook(uc, address, size, user_data):
    ctx = carray(user_data, CTX_SIZE, np.int64)
    start = np.int64(address)
    end = start + np.int64(size)
    base = ctx[CTX_CODE_BASE]
    if base <= start and end <= ctx[CTX_CODE_END]:
        if not _count_block(ctx, start, end):
            return
    elif ctx[CTX_SHADOW_BASE] <= start < ctx[CTX_SHADOW_END]:
        # translated code (iss/shadow.py): counted as the original range it stands for;
        # a block standing for nothing (a jump back, the rest of an entered instruction)
        # leaves everything as it is
        shadow = carray(ptr_from_int(ctx[CTX_SHADOW_MAP]),
                        (((ctx[CTX_SHADOW_END] - ctx[CTX_SHADOW_BASE]) >> 1) + 1, 2), np.int64)
        first = shadow[(start - ctx[CTX_SHADOW_BASE]) >> 1, 0]
        last = shadow[(end - ctx[CTX_SHADOW_BASE]) >> 1, 1]
        if first >= last or not _count_block(ctx, first, last):
            return
        start, end = first, last
    else:
        n = count_instructions(ctx, start, end)
        if ctx[CTX_INSTRET] + n > ctx[CTX_LIMIT] or ctx[CTX_CYCLES] >= ctx[CTX_CYCLE_LIMIT]:
            _stop_before_block(ctx)
            return
        if start != ctx[CTX_LAST_BLOCK_END]:
            transfer_penalty(ctx, start)
        ctx[CTX_BLOCK_CYCLE] = ctx[CTX_CYCLES]
        account(ctx, start, end, 1)
    ctx[CTX_LAST_BLOCK] = start
    ctx[CTX_LAST_BLOCK_END] = end
    ctx[CTX_ACCESS_SEQ] = 0


@njit(cache=True)
def loop_back_edge_timing(ctx, exit_address, start):
    """A hardware-loop back-edge from exit_address to start: the load-use stall of the
    body's last instruction depends on the loop's first instruction, not on the one after
    the loop that the static table looked at (CV32E40P manual, "Hazards")."""
    base = ctx[CTX_CODE_BASE]
    if ctx[CTX_LOAD_END] == 0 or not (base <= exit_address < ctx[CTX_CODE_END]
                                       and base <= start < ctx[CTX_CODE_END]):
        return
    n = ((ctx[CTX_CODE_END] - base) >> 1) + 1
    info = carray(ptr_from_int(ctx[CTX_LOAD_END]), n, np.uint8)[(exit_address - base) >> 1]
    if info == 0:
        return
    reads = carray(ptr_from_int(ctx[CTX_READS]), n, np.uint32)[(start - base) >> 1]
    delta = np.int64((reads >> (info & 31)) & 1) - np.int64(info >> 7)
    ctx[CTX_CYCLES] += delta
    ctx[CTX_STALL_LOAD_USE] += delta
    profile_charge(ctx, exit_address - 2, PROF_LOAD_USE, delta)


@njit(cache=True)
def memory_access_timing(ctx, address, size):
    """Accurate timing of one load/store (docs/cluster.md): a misaligned word, or a
    halfword crossing a word, takes a second transaction (CV32E40P manual: 2 cycles); an
    L1 access whose bank is taken in that cycle retries in the next one (+1 per lost
    round-robin round, cluster_interconnect README). The accesses of a block are placed on
    consecutive cycles from the block's start."""
    stall = 0
    if (address & 3) + size > 4:
        stall += 1
        ctx[CTX_STALL_MISALIGNED] += 1
    if ctx[CTX_L1_BASE] <= address < ctx[CTX_L1_END]:
        banks = carray(ptr_from_int(ctx[CTX_BANKS]), (TCDM_BANKS, BANK_WINDOW), np.int64)
        bank = (address >> 2) % TCDM_BANKS
        t = ctx[CTX_BLOCK_CYCLE] + ctx[CTX_ACCESS_SEQ]
        lost = 0
        while banks[bank, t % BANK_WINDOW] == t + 1:
            t += 1
            lost += 1
        banks[bank, t % BANK_WINDOW] = t + 1
        stall += lost
        ctx[CTX_STALL_TCDM] += lost
    ctx[CTX_ACCESS_SEQ] += 1 + stall
    ctx[CTX_CYCLES] += stall
    if stall:    # the access's pc is unknown here: charged to its block's first instruction
        profile_charge(ctx, ctx[CTX_LAST_BLOCK], PROF_MISALIGNED, stall - lost)
        profile_charge(ctx, ctx[CTX_LAST_BLOCK], PROF_TCDM, lost)


@njit(cache=True, inline="always")
def memory_causality(ctx, is_write, address, size):
    """Accurate timing: a value is never seen before the cycle it was written. Harts run
    in turns, so a core may find in L1 a word another core wrote at a later cycle than
    the reader's; the reader then waits until that cycle (a spinning core sees a flag
    when it is set, not a quantum earlier). Each L1 word remembers its last write by a
    core: cycle and hart."""
    if not (ctx[CTX_L1_BASE] <= address < ctx[CTX_L1_END]):
        return
    writes = carray(ptr_from_int(ctx[CTX_WRITES]),
                    (ctx[CTX_L1_END] - ctx[CTX_L1_BASE]) >> 2, np.int64)
    t = ctx[CTX_BLOCK_CYCLE] + ctx[CTX_ACCESS_SEQ]
    me = ctx[CTX_HART] + 1
    first = (address - ctx[CTX_L1_BASE]) >> 2
    last = min((address + size - 1 - ctx[CTX_L1_BASE]) >> 2, len(writes) - 1)
    for w in range(first, last + 1):
        if is_write:
            writes[w] = (t << 5) | me
        elif writes[w] != 0 and (writes[w] & 31) != me and (writes[w] >> 5) > t:
            wait = (writes[w] >> 5) - t
            ctx[CTX_STALL_SYNC] += wait
            ctx[CTX_CYCLES] += wait
            ctx[CTX_ACCESS_SEQ] += wait
            profile_charge(ctx, ctx[CTX_LAST_BLOCK], PROF_SYNC, wait)
            t += wait


@cfunc(types.void(types.uintp, types.int32, types.uint64, types.int32, types.int64, types.voidptr),
       cache=True)
def memory_hook(uc, access, address, size, value, user_data):
    """UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, registered in the accurate timing mode only."""
    ctx = carray(user_data, CTX_SIZE, np.int64)
    memory_causality(ctx, access == UC_MEM_WRITE, np.int64(address), np.int64(size))
    memory_access_timing(ctx, np.int64(address), np.int64(size))


@njit(cache=True, inline="always")
def _store_u64(address, value):
    carray(ptr_from_int(address), 1, np.uint64)[0] = value


@njit(cache=True, inline="always")
def _store_u32(address, value):
    carray(ptr_from_int(address), 1, np.uint32)[0] = value


@cfunc(types.uint8(types.uintp, types.uint64, types.int32, types.voidptr, types.voidptr),
       cache=True)
def tlb_fill_hook(uc, vaddr, access, entry, user_data):
    """Identity mapping. Data pages get no execute permission: Unicorn 2.1.4 keeps
    every store to an executable TLB page on its slow path (~50 ns), so only pages
    that hold code (or are fetched from) are mapped RWX."""
    flags = carray(user_data, 1 << (32 - PAGE_BITS), np.uint8)
    page = np.uint64(vaddr) >> PAGE_BITS
    entry_address = np.uint64(ptr_to_int(entry))
    _store_u64(entry_address, (np.uint64(vaddr) >> PAGE_BITS) << PAGE_BITS)
    if access == UC_MEM_FETCH or flags[page & 0xFFFFF] & PAGE_CODE:
        _store_u32(entry_address + 8, UC_PROT_ALL)
    else:
        _store_u32(entry_address + 8, UC_PROT_RW)
    return 1


def hook_address(fn) -> ctypes.c_void_p:
    return ctypes.c_void_p(fn.address)
