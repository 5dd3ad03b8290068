"""Native (numba cfunc) hooks registered with Unicorn through its C API.

Everything that runs per block or per TLB miss lives here and never enters the
Python interpreter. Each hart owns a small int64 context array 
passed to the hooks as user_data (CTX_* slots).

Instruction counting: a block hook adds the number of instructions of the
translated block it is about to run. Counts come from a prefix table built at
load time over the executable segments (idx[a] = instructions starting before
address a), so a sub-range costs two loads; blocks outside it are counted by
scanning the halfwords in guest memory (length bits [1:0] == 3 -> 32-bit).
"""
from __future__ import annotations

import ctypes

import numpy as np
from numba import carray, cfunc, njit, types

from .native import call_uc, load16, ptr_from_int, ptr_to_int

PAGE_BITS = 12
PAGE_CODE = 1          # page flag: holds code, needs execute permission

UC_MEM_FETCH = 18      # uc_mem_type values of the TLB-fill hook
UC_PROT_RW = 3
UC_PROT_ALL = 7


# Slots of the per-hart context array shared with the native hooks (numba needs
# plain module-level integers).
CTX_UC = 0              # uc_engine*
CTX_FN_EMU_STOP = 1     # address of uc_emu_stop
CTX_INSTRET = 2         # retired instructions
CTX_LAST_BLOCK = 3      # start of the last block counted
CTX_LAST_BLOCK_END = 4
CTX_LIMIT = 5           # stop the engine before a block that would pass this count
CTX_STOP = 6            # why a hook stopped the engine (STOP_* below)
CTX_CODE_BASE = 7       # prefix table covers [CTX_CODE_BASE, CTX_CODE_END)
CTX_CODE_END = 8
CTX_PREFIX = 9          # address of the uint32 prefix table
CTX_REGIONS = 10        # address of the int64 [n, 3] (base, size, host pointer) table
CTX_NREGIONS = 11
CTX_FN_REG_READ = 12    # addresses of uc_reg_read / uc_reg_write
CTX_FN_REG_WRITE = 13
CTX_SITES = 14          # address of the int64 [n, SITE_FIELDS] custom-instruction table
CTX_ACTIONS = 15        # address of the int32 per-halfword site index (+1) table
CTX_SCRATCH = 16        # 8-byte buffer for register transfers
CTX_LP_START0 = 17      # hardware loop 0/1: start, end as written, exit (first address
CTX_LP_END0 = 18        # after the body: the back-edge is taken when reaching it),
CTX_LP_EXIT0 = 19       # count
CTX_LP_COUNT0 = 20
CTX_LP_START1 = 21
CTX_LP_END1 = 22
CTX_LP_EXIT1 = 23
CTX_LP_COUNT1 = 24
CTX_END_INCLUSIVE = 25  # 1: lpend is the last body instruction (RI5CY); 0: after it (CV32E40P)
CTX_HARTID = 26
CTX_SLOW_PC = 27        # STOP_SLOW: the site Python must execute (MMIO, unknown CSR)
CTX_HOOKED = 28         # address of the int8 per-halfword "inside a code hook range" table
CTX_GPR = 29            # host address of Unicorn's env->gpr[0], 0 if unknown (use the C API)
CTX_TRAP_CAUSE = 30     # STOP_TRAP: the exception number (UC_HOOK_INTR intno)
CTX_BREAKS = 31         # address of the uint8 per-halfword breakpoint table (0: none)
CTX_BREAK_SKIP = 32     # resume over the breakpoint at this address once (-1: none)
CTX_WATCHING = 33       # 1: debugger watchpoints exist, custom loads/stores go through Python
CTX_SIZE = 40


STOP_NONE = 0
STOP_LIMIT = 1
STOP_SLOW = 2           # a custom instruction needs Python (MMIO access, loop end not hooked)
STOP_TRAP = 3           # an exception that is not a known custom instruction (CTX_SLOW_PC, cause)
STOP_BREAK = 4          # a debugger breakpoint (CTX_SLOW_PC), before the instruction runs


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


@cfunc(types.void(types.uintp, types.uint64, types.uint32, types.voidptr), cache=True)
def block_hook(uc, address, size, user_data):
    ctx = carray(user_data, CTX_SIZE, np.int64)
    start = np.int64(address)
    end = start + np.int64(size)
    n = count_instructions(ctx, start, end)
    if ctx[CTX_INSTRET] + n > ctx[CTX_LIMIT]:
        # uc_emu_stop from a block hook stops before this block runs (PC stays at start)
        ctx[CTX_STOP] = STOP_LIMIT
        call_uc(np.uint64(ctx[CTX_FN_EMU_STOP]), np.uint64(ctx[CTX_UC]))
        return
    ctx[CTX_INSTRET] += n
    ctx[CTX_LAST_BLOCK] = start
    ctx[CTX_LAST_BLOCK_END] = end


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


def build_prefix_table(code: bytes, base: int) -> np.ndarray:
    """idx[k] = instructions starting in [base, base + 2k) for a linear parse of code."""
    halfwords = np.frombuffer(code[: len(code) & ~1], dtype=np.uint16)
    return _prefix(halfwords)


@njit(cache=True)
def _prefix(halfwords):
    out = np.zeros(len(halfwords) + 1, np.uint32)
    n = 0
    i = 0
    while i < len(halfwords):
        out[i] = n
        if (halfwords[i] & 3) == 3 and i + 1 < len(halfwords):
            out[i + 1] = n + 1   # mid-instruction: never a block boundary
            i += 2
        else:
            i += 1
        n += 1
    out[len(halfwords)] = n
    return out


def hook_address(fn) -> ctypes.c_void_p:
    return ctypes.c_void_p(fn.address)
