"""Direct access to a Unicorn engine's RISC-V register file.

uc_reg_read/uc_reg_write of a general-purpose register is a plain load/store of
`env->gpr[i]` in Unicorn's CPU state, but calling them costs far more than the
access. We locate `env->gpr` once per engine: fill x1..x31 with a random pattern,
search the memory reachable from the uc_struct for it (through /proc/self/mem, so
a wrong guess can never crash), and confirm with two more writes. If anything
does not match, callers keep using the C API.
"""
from __future__ import annotations

import os
import random
import struct

from unicorn.riscv_const import UC_RISCV_REG_X0

_SCAN_STRUCT = 1 << 16      # bytes of the uc_struct searched for pointers
_SCAN_TARGET = 1 << 17      # bytes searched after each candidate pointer


def _readable_ranges() -> list[tuple[int, int]]:
    ranges = []
    with open("/proc/self/maps") as f:
        for line in f:
            addr, perms = line.split()[:2]
            if perms.startswith("r"):
                lo, hi = (int(x, 16) for x in addr.split("-"))
                ranges.append((lo, hi))
    return ranges


def _read(fd: int, address: int, size: int, ranges) -> bytes:
    for lo, hi in ranges:
        if lo <= address < hi:
            try:
                return os.pread(fd, min(size, hi - address), address)
            except OSError:
                return b""
    return b""


def locate_gpr(uc) -> int | None:
    """Host address of env->gpr[0] (32 x uint32) of a RISCV32 Uc, or None."""
    try:
        fd = os.open("/proc/self/mem", os.O_RDONLY)
    except OSError:
        return None
    try:
        rng = random.Random(uc._uch.value)
        saved = [uc.reg_read(UC_RISCV_REG_X0 + i) for i in range(32)]
        pattern = [rng.getrandbits(32) | 1 for _ in range(31)]
        for i, v in enumerate(pattern, 1):
            uc.reg_write(UC_RISCV_REG_X0 + i, v)
        needle = struct.pack("<31I", *pattern)
        ranges = _readable_ranges()
        found = _search(fd, uc._uch.value, needle, ranges)
        if found is not None and not _confirm(fd, uc, found, ranges):
            found = None
        for i in range(1, 32):
            uc.reg_write(UC_RISCV_REG_X0 + i, saved[i])
        return found
    finally:
        os.close(fd)


def _search(fd, uc_address, needle, ranges) -> int | None:
    blob = _read(fd, uc_address, _SCAN_STRUCT, ranges)
    seen = set()
    for off in range(0, len(blob) - 7, 8):
        pointer = struct.unpack_from("<Q", blob, off)[0]
        if pointer in seen or pointer < 0x10000:
            continue
        seen.add(pointer)
        data = _read(fd, pointer, _SCAN_TARGET, ranges)
        hit = data.find(needle)
        if hit >= 4:
            return pointer + hit - 4
    return None


def _confirm(fd, uc, address, ranges) -> bool:
    for value in (0x13579BDF, 0x2468ACE0):
        uc.reg_write(UC_RISCV_REG_X0 + 7, value)
        if _read(fd, address + 7 * 4, 4, ranges) != struct.pack("<I", value):
            return False
    return True
