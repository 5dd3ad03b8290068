"""Direct access to a Unicorn engine's RISC-V register file.

uc_reg_read/uc_reg_write of a general-purpose register is a plain load/store of
`env->gpr[i]` in Unicorn's CPU state, but calling them costs far more than the
access. We locate `env->gpr` once per engine: fill x1..x31 with a random pattern,
search the memory reachable from the uc_struct for it (through /proc/self/mem, so
a wrong guess can never crash), and confirm with two more writes. If anything
does not match, callers keep using the C API.
"""
from __future__ import annotations

import functools
import logging
import os
import random
import select
import signal
import struct
import time
import warnings

from unicorn.riscv_const import UC_RISCV_REG_X0

log = logging.getLogger(__name__)

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
    """Up to `size` bytes from `address`, across adjacent readable mappings (a heap can be
    two maps side by side: stopping at the first boundary made the search miss)."""
    out = b""
    while size > 0:
        hi = next((h for lo, h in ranges if lo <= address < h), None)
        if hi is None:
            break
        try:
            chunk = os.pread(fd, min(size, hi - address), address)
        except OSError:
            break
        out += chunk
        if len(chunk) < min(size, hi - address):
            break
        address, size = address + len(chunk), size - len(chunk)
    return out


# (offset in uc_struct of the pointer followed, offset of gpr[0] from where it points) of
# the last register file found: the same for every engine of this Unicorn build, so the
# next engine is tried there first (two reads instead of a scan of ~8 ms)
_gpr_path: tuple[int, int] | None = None


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
        found = _known_path(fd, uc._uch.value, needle)
        if found is None:
            found = _search(fd, uc._uch.value, needle, _readable_ranges())
        if found is not None and not _confirm(fd, uc, found):
            found = None
        for i in range(1, 32):
            uc.reg_write(UC_RISCV_REG_X0 + i, saved[i])
        return found
    finally:
        os.close(fd)


def _known_path(fd, uc_address, needle) -> int | None:
    """The register file where the last one was found, if the pattern is there."""
    if _gpr_path is None:
        return None
    off, hit = _gpr_path
    blob = _pread(fd, uc_address + off, 8)
    if len(blob) < 8:
        return None
    pointer = struct.unpack("<Q", blob)[0]
    if _pread(fd, pointer + hit + 4, len(needle)) == needle:
        return pointer + hit
    return None


def _pread(fd, address: int, size: int) -> bytes:
    """`size` bytes at `address` within one mapping, b"" where unreadable."""
    try:
        return os.pread(fd, size, address)
    except (OSError, OverflowError):
        return b""


def _search(fd, uc_address, needle, ranges) -> int | None:
    global _gpr_path
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
            _gpr_path = (off, hit - 4)
            return pointer + hit - 4
    return None


def _confirm(fd, uc, address) -> bool:
    for value in (0x13579BDF, 0x2468ACE0):
        uc.reg_write(UC_RISCV_REG_X0 + 7, value)
        if _pread(fd, address + 7 * 4, 4) != struct.pack("<I", value):
            return False
    return True


# ---- probes in a child process ------------------------------------------------------
# The layouts below are offsets into Unicorn's C structures, fixed by its build, so a
# forked child finds them as well as this process. The probes write through guessed host
# addresses to confirm them; rarely (about 1 process in 150) a wrong guess corrupted the
# engine's allocator state and the process died later. In a child that costs a retry.

PROBE_PROCESSES = 4         # children tried, each after a different amount of ballast
PROBE_TIMEOUT_S = 30.0      # a child still silent by then is killed


def probe_in_child(probe) -> tuple[int, ...] | None:
    """probe()'s tuple of ints computed in a forked child (probe() here without fork)."""
    if not hasattr(os, "fork"):
        try:
            return probe()
        except Exception:
            return None
    for attempt in range(PROBE_PROCESSES):
        outcome = _run_child(probe, attempt)
        if outcome != "died":
            return outcome
    return None


def _run_child(probe, attempt: int):
    """probe()'s result, None if it found nothing, "died" if the child crashed or hung."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():     # Python 3.12+ warns about forking with threads;
        warnings.simplefilter("ignore", DeprecationWarning)     # the child needs none
        pid = os.fork()
    if pid == 0:                                    # the child: never returns
        status = 1
        try:
            import faulthandler
            import resource
            faulthandler.disable()                  # a crash here is expected, not news
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            os.close(read_end)
            from unicorn import UC_ARCH_RISCV, UC_MODE_RISCV32, Uc
            ballast = [Uc(UC_ARCH_RISCV, UC_MODE_RISCV32) for _ in range(attempt)]
            result = probe()
            os.write(write_end, (",".join(map(str, result)) if result else "-").encode())
            del ballast
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    data, deadline, ready = b"", time.monotonic() + PROBE_TIMEOUT_S, []
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_end, 4096) if ready else b""
            if not chunk:
                break
            data += chunk
    finally:
        os.close(read_end)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return "died"
    return None if data == b"-" else tuple(int(x) for x in data.decode().split(","))


# ---- in-hook jumps without leaving the CPU loop ------------------------------------
# uc_reg_write(PC) inside a code hook makes Unicorn leave cpu_exec altogether and enter it
# again (~170 ns; a hardware-loop back-edge pays it every iteration). The same effect,
# for a fraction of the cost, is what Unicorn does for itself: store env->pc, ask the
# helper that follows every hooked instruction to exit the TB without re-deriving PC
# (uc->skip_sync_pc_on_exit) and make that exit pending (icount_decr.u16.high = -1);
# the CPU loop then clears the flag and looks up the TB at the new PC. The three host
# addresses are found once on a scratch engine by watching what uc_reg_write(PC) changes
# and confirmed by running a loop through them; any mismatch leaves the C API in use.

_PROBE_BASE = 0x1000        # scratch engines: code address of the probes


class RedirectLayout:
    """Offsets of env->pc and icount_decr.u16.high from env->gpr[0], and of
    skip_sync_pc_on_exit from the uc_struct."""
    def __init__(self, pc_from_gpr: int, icount_from_gpr: int, skip_from_uc: int):
        self.pc_from_gpr = pc_from_gpr
        self.icount_from_gpr = icount_from_gpr
        self.skip_from_uc = skip_from_uc

    def addresses(self, uc, gpr: int) -> tuple[int, int, int]:
        return (gpr + self.pc_from_gpr, gpr + self.icount_from_gpr,
                uc._uch.value + self.skip_from_uc)


@functools.cache
def redirect_layout() -> RedirectLayout | None:
    """The layout for this process's Unicorn build (found once, in a child process), None
    if unusable."""
    offsets = probe_in_child(_redirect_offsets)
    return RedirectLayout(*offsets) if offsets else None


def _redirect_offsets() -> tuple[int, ...] | None:
    layout = _find_redirect_layout()
    return layout and (layout.pc_from_gpr, layout.icount_from_gpr, layout.skip_from_uc)


def _scratch_engine(code: bytes):
    """A throwaway RV32 engine with `code` at _PROBE_BASE, and its env->gpr address."""
    from unicorn import UC_ARCH_RISCV, UC_MODE_RISCV32, Uc
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    uc.mem_map(_PROBE_BASE, 0x1000)
    uc.mem_write(_PROBE_BASE, code)
    return uc, locate_gpr(uc)


def _changed(*snapshots_and_values) -> list[int]:
    """Offsets where snapshot k holds value k (snapshots and byte strings alternate)."""
    pairs = list(zip(snapshots_and_values[0::2], snapshots_and_values[1::2], strict=True))
    n = len(pairs[0][1])
    size = min(len(snap) for snap, _ in pairs)
    return [i for i in range(size - n + 1) if all(snap[i:i + n] == v for snap, v in pairs)]


def _find_redirect_layout() -> RedirectLayout | None:
    from unicorn.riscv_const import UC_RISCV_REG_PC
    uc, gpr = _scratch_engine(_PROBE_CODE)
    if gpr is None:
        return None
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    try:
        ranges = _readable_ranges()
        uch = uc._uch.value

        def snapshot():
            return _read(fd, gpr - 4096, 4096, ranges), _read(fd, uch, _SCAN_STRUCT, ranges)
        env0, uc0 = snapshot()
        uc.reg_write(UC_RISCV_REG_PC, _PROBE_PC)
        env1, uc1 = snapshot()
        uc.emu_start(_PROBE_BASE, _PROBE_BASE + 4)      # one addi, no hooks
        env2, uc2 = snapshot()
        pc_env = _read(fd, gpr, 1024, ranges)
    finally:
        os.close(fd)
    pcs = [i for i in range(0, len(pc_env) - 3, 4)
           if pc_env[i:i + 4] == struct.pack("<I", _PROBE_BASE + 4)]
    # cpu_exit() sets icount_decr.u16.high = -1 (just before env), the CPU loop clears it
    icounts = [i - 4096 for i in _changed(env0, b"\0\0", env1, b"\xff\xff", env2, b"\0\0")]
    # uc_reg_write(PC) sets quit_request and skip_sync_pc_on_exit, uc_emu_start clears
    # both; skip_sync_pc_on_exit is the last field of uc_struct (uc_priv.h)
    flags = _changed(uc0, b"\0", uc1, b"\1", uc2, b"\0")
    if len(pcs) != 1 or len(icounts) != 1 or not flags:
        return None
    layout = RedirectLayout(pcs[0], icounts[0], flags[-1])
    return layout if _self_test(uc, gpr, layout) else None


# addi a0,a0,1 ; addi a1,a1,1 ; addi a2,a2,1 -- the hook at the second instruction jumps
# back to the first twice, so a0 = 3, a1 = 1, a2 = 1 when the redirect works
_PROBE_CODE = bytes.fromhex("13051500" "93851500" "13061600")
_PROBE_PC = 0x2468ACE0


def _self_test(uc, gpr, layout) -> bool:
    import ctypes

    from unicorn import UC_HOOK_CODE
    from unicorn.riscv_const import UC_RISCV_REG_X10, UC_RISCV_REG_X11, UC_RISCV_REG_X12
    pc_addr, icount_addr, skip_addr = layout.addresses(uc, gpr)
    jumps = []

    def hook(uc_, address, size, data):
        if len(jumps) < 2:
            jumps.append(address)
            ctypes.c_uint32.from_address(pc_addr).value = _PROBE_BASE
            ctypes.c_uint8.from_address(skip_addr).value = 1
            ctypes.c_uint16.from_address(icount_addr).value = 0xFFFF
    for reg in (UC_RISCV_REG_X10, UC_RISCV_REG_X11, UC_RISCV_REG_X12):
        uc.reg_write(reg, 0)
    handle = uc.hook_add(UC_HOOK_CODE, hook, begin=_PROBE_BASE + 4, end=_PROBE_BASE + 4)
    uc.emu_start(_PROBE_BASE, _PROBE_BASE + 12)
    uc.hook_del(handle)
    return [uc.reg_read(r) for r in (UC_RISCV_REG_X10, UC_RISCV_REG_X11, UC_RISCV_REG_X12)] == [3, 1, 1]


# ---- the accessing instruction inside an MMIO callback -------------------------------
# Unicorn synchronises env->pc only at hooked instructions and block ends, so inside an
# MMIO callback uc_reg_read(PC) may name an earlier instruction of the block. QEMU knows
# the exact one: io_readx/io_writex store the host return address in cpu->mem_io_pc,
# and cpu_restore_state() (exported as cpu_restore_state_riscv32) maps it back to the
# guest PC -- what Unicorn itself does before calling memory hooks. Found once per
# process on a scratch engine and confirmed on two loads of one block.

_IO_PROBE_PAGE = 0x10000
# lw a0,0(a1) ; nop ; lw a2,4(a1) ; nop ; lw a3,8(a1)  at _PROBE_BASE
_IO_PROBE_CODE = bytes.fromhex("03a50500" "13000000" "03a64500" "13000000" "83a68500")


class IoPcLayout:
    """Offset in uc_struct of the CPUState pointer (uc->cpu), and of mem_io_pc in the
    CPUState. Per engine it needs nothing else (not locate_gpr, whose search can miss)."""
    def __init__(self, cpu_pointer_in_uc: int, mem_io_pc_offset: int):
        self.cpu_pointer_in_uc = cpu_pointer_in_uc
        self.mem_io_pc_offset = mem_io_pc_offset

    def addresses(self, uc) -> tuple[int, int]:
        import ctypes
        cpu = ctypes.c_uint64.from_address(uc._uch.value + self.cpu_pointer_in_uc).value
        return cpu, cpu + self.mem_io_pc_offset


IO_PROBE_TRIES = 12


@functools.cache
def io_pc_layout() -> IoPcLayout | None:
    """The layout for this process's Unicorn build (found once, in a child process).
    Without it a register access is timed at its block's start, not at its instruction:
    the simulated time then depends on whether the probe succeeded, so it tries hard and
    a failure is logged."""
    offsets = probe_in_child(io_pc_offsets)
    if not offsets:
        log.warning("could not locate Unicorn's mem_io_pc: peripheral register accesses "
                    "are timed at the start of their basic block")
        return None
    return IoPcLayout(*offsets)


def io_pc_offsets() -> tuple[int, int] | None:
    """Tries up to IO_PROBE_TRIES scratch engines. One whose fields cannot be told apart
    (or a surprise while reading them) is kept alive while another one, elsewhere in
    memory, is tried."""
    tried: list = []
    for _ in range(IO_PROBE_TRIES):
        try:
            layout = _find_io_pc_layout(tried)
        except Exception:
            continue
        if layout is not None:
            return layout.cpu_pointer_in_uc, layout.mem_io_pc_offset
    return None


def restore_state_function():
    import ctypes

    from unicorn.unicorn_py3.unicorn import uclib
    fn = uclib.cpu_restore_state_riscv32
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_bool]
    fn.restype = ctypes.c_bool
    return fn


def _executable(ranges_x, value: int) -> bool:
    return any(lo <= value < hi for lo, hi in ranges_x)


def _find_io_pc_layout(tried: list) -> IoPcLayout | None:
    import ctypes

    from unicorn.riscv_const import UC_RISCV_REG_PC, UC_RISCV_REG_X11
    uc, gpr = _scratch_engine(_IO_PROBE_CODE)
    tried.append(uc)
    if gpr is None:
        return None
    restore = restore_state_function()
    with open("/proc/self/maps") as f:
        executable = [tuple(int(x, 16) for x in line.split()[0].split("-"))
                      for line in f if line.split()[1][2] == "x"]
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    candidates: dict[int, int] = {}       # offset in CPUState -> value at the first access
    found: list = []
    seen_pcs: list[int] = []
    try:
        ranges = _readable_ranges()
        uc_blob = _read(fd, uc._uch.value, _SCAN_STRUCT, ranges)
        # uc->cpu: a pointer shortly before env whose CPUState holds env_ptr == &env
        cpus = {}               # pointer -> its offset in uc_struct
        for off in range(0, len(uc_blob) - 7, 8):
            p = struct.unpack_from("<Q", uc_blob, off)[0]
            if 0 < gpr - p <= 0x10000 and p not in cpus:
                state = _read(fd, p, gpr - p, ranges)
                if struct.pack("<Q", gpr) in state:
                    cpus[p] = off
        if len(cpus) != 1:
            return None
        (cpu, cpu_pointer_in_uc), = cpus.items()
        before = _read(fd, cpu, gpr - cpu, ranges)

        def read(uc_, offset, size, data):
            state = _read(fd, cpu, gpr - cpu, ranges)
            words = {off: struct.unpack_from("<Q", state, off)[0]
                     for off in range(0, len(state) - 7, 8) if state[off:off + 8] != before[off:off + 8]}
            if not candidates:    # fields that now point into generated code...
                candidates.update({off: v for off, v in words.items() if _executable(executable, v)})
                return 0
            if not found:         # ...and moved with the second access
                found.extend(off for off, v in candidates.items() if words.get(off, v) != v)
            if len(found) == 1:
                host_pc = ctypes.c_size_t.from_address(cpu + found[0]).value
                restore(cpu, host_pc, False)
                seen_pcs.append(uc_.reg_read(UC_RISCV_REG_PC))
            return 0
        uc.mmio_map(_IO_PROBE_PAGE, 0x1000, read, None, lambda *a: None, None)
        uc.reg_write(UC_RISCV_REG_X11, _IO_PROBE_PAGE)
        uc.emu_start(_PROBE_BASE, _PROBE_BASE + len(_IO_PROBE_CODE))
    finally:
        os.close(fd)
    if len(found) != 1 or seen_pcs != [_PROBE_BASE + 8, _PROBE_BASE + 16]:
        return None
    return IoPcLayout(cpu_pointer_in_uc, found[0])
