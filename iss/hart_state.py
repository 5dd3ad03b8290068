"""One hart's native state: the int64 context array its native hooks share with Python.

Each hart owns an array of CTX_SIZE int64 slots (`HartState.ctx`), passed to the numba hooks
(iss/hooks.py, iss/xpulp_exec.py, iss/hwloop_engine.py) as their user data: counters,
limits, stop reasons, hardware-loop registers and the host addresses of the tables the
hooks read. The jitted code indexes it by the CTX_* constants below (numba needs plain
module-level integers). Python code reads and writes the state by name through a
`HartState` (`hart.native`): the scheduler, the stats, the interrupt model, the
debugger, the profiler and the instruction trace. Only the code that wires a hart to
its tables (Hart, CustomCode.attach, the loop engine) stores table addresses by slot.

This module is a leaf (it imports nothing of the simulator), so the cost models and
observers that need the layout do not depend on the engine that runs the hooks.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

NO_LIMIT = 1 << 62      # an instruction / cycle limit that is never reached

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
CTX_CYCLES = 34         # the hart's cycle counter (timing model, docs/cluster.md)
CTX_CYCLE_LIMIT = 35    # stop the engine before a block that starts at or after this cycle
CTX_CPREFIX = 36        # address of the uint32 static-cycle prefix table (timing.StaticTiming)
CTX_FLAGS = 37          # address of the uint8 per-halfword timing flags (F_*)
CTX_EXEC = 38           # address of the int64 execution-count difference array
CTX_TAKEN = 39          # taken conditional branches
CTX_STALL_BRANCH = 40   # dynamic stall cycles: taken branches (+2) and misaligned branch targets
CTX_STALL_JUMP = 41     # jumps to a misaligned 32-bit target (+1)
CTX_STALL_DIV = 42      # divider cycles beyond the first
CTX_STALL_MISALIGNED = 43   # second transaction of misaligned accesses (accurate timing)
CTX_STALL_TCDM = 44     # lost TCDM bank arbitrations (accurate timing)
CTX_SLEEP = 45          # cycles asleep in event waits (including the wake-up)
CTX_ACCESS_SEQ = 46     # loads/stores seen in the current block (accurate timing)
CTX_BANKS = 47          # address of the shared int64 [banks, window] occupancy table (0: fast)
CTX_BLOCK_CYCLE = 48    # the cycle the current block started at
CTX_L1_BASE = 49        # the banked TCDM range [base, end)
CTX_L1_END = 50
CTX_READS = 51          # address of the uint32 per-halfword "registers read" masks
CTX_LOAD_END = 52       # address of the uint8 per-halfword load info (timing.StaticTiming)
CTX_STALL_LOAD_USE = 53 # load-use stalls beyond the static ones (hardware-loop back-edges)
CTX_STALL_PERIPHERAL = 54   # cycles a peripheral held the core (e.g. IMA weight programming)
CTX_PROFILE = 55        # --profile: address of the int64 [halfwords, PROF_CAUSES] table of
                        # dynamic cycles per instruction (iss/profile.py); 0: off
CTX_REDIRECT_PC = 56    # host addresses of env->pc, icount_decr.u16.high and
CTX_REDIRECT_ICOUNT = 57    # uc->skip_sync_pc_on_exit (regfile.redirect_layout): jumps
CTX_REDIRECT_SKIP = 58  # from a code hook without leaving the CPU loop; 0: uc_reg_write
CTX_WRITES = 59         # accurate timing: address of the shared int64 per-L1-word last-write
                        # table (cycle << 5 | hart + 1; 0: not written by a core)
CTX_HART = 60           # this hart's index (writes are tagged with it)
CTX_STALL_SYNC = 61     # cycles waiting for a value another core writes at a later cycle
CTX_HWLOOP = 62        # address of this hart's loop-engine descriptor (iss/hwloop_engine.py), 0: off
CTX_HWLOOP_RUN = 63    # iterations the loop engine ran (statistics, tests)
CTX_SPIN_LOOPS = 70     # address of the uint8 per-halfword spin-loop starts (iss/spin.py), 0: none
CTX_YIELD_AFTER = 71    # a spin loop stops the engine once the hart's cycle passes this
                        # (the next runnable hart's; NO_LIMIT: never)
CTX_SPUN = 72           # instructions of poll loops going round (Hart.run: did it only spin?)
CTX_SHADOW_BASE = 73    # translated code (iss/shadow.py) occupies [CTX_SHADOW_BASE, CTX_SHADOW_END);
CTX_SHADOW_END = 74     # CTX_SHADOW_MAP: address of its int64 [halfwords + 1, 2] table of the
CTX_SHADOW_MAP = 75     # original addresses a block starting / ending there stands for
CTX_SIZE = 80

# columns of the CTX_PROFILE table: dynamic cycles by cause, at the instruction that caused them
PROF_LOAD_USE, PROF_JUMP, PROF_BRANCH, PROF_DIV, PROF_MISALIGNED, PROF_TCDM, PROF_PERIPHERAL, \
    PROF_SLEEP, PROF_SYNC = range(9)
PROF_CAUSES = 9


STOP_NONE = 0
STOP_LIMIT = 1
STOP_SLOW = 2           # a custom instruction needs Python (MMIO access, loop end not hooked)
STOP_TRAP = 3           # an exception that is not a known custom instruction (CTX_SLOW_PC, cause)
STOP_BREAK = 4          # a debugger breakpoint (CTX_SLOW_PC), before the instruction runs
STOP_SPIN = 5           # a spin loop ran ahead of the other harts (CTX_YIELD_AFTER)

# the "stalls" keys of the stats (iss/stats.py) counted at run time, and their slots
DYNAMIC_STALLS = {"load_use": CTX_STALL_LOAD_USE, "jump": CTX_STALL_JUMP,
                  "branch": CTX_STALL_BRANCH, "div": CTX_STALL_DIV,
                  "misaligned": CTX_STALL_MISALIGNED, "tcdm": CTX_STALL_TCDM,
                  "peripheral": CTX_STALL_PERIPHERAL, "sync": CTX_STALL_SYNC}
LOOP_SLOTS = 4          # CTX_LP_START0 + LOOP_SLOTS * i: hardware loop i's start, end, exit, count


class _Slot:
    """One named slot of the context array, read as a Python int."""

    def __init__(self, index: int):
        self.index = index

    def __get__(self, state: HartState | None, owner: type) -> int:
        return self if state is None else int(state.ctx[self.index])   # type: ignore[return-value]

    def __set__(self, state: HartState, value: int) -> None:
        state.ctx[self.index] = value


class HwLoop(NamedTuple):
    """A hardware loop's registers: start, end as written, exit (the first address after
    the body: the back-edge is taken on reaching it) and the remaining count."""
    start: int
    end: int
    exit: int
    count: int


class HartState:
    """The named view of one hart's context array (see the module docstring)."""

    __slots__ = ("ctx",)

    def __init__(self) -> None:
        self.ctx = np.zeros(CTX_SIZE, dtype=np.int64)

    instret = _Slot(CTX_INSTRET)
    cycles = _Slot(CTX_CYCLES)
    sleep_cycles = _Slot(CTX_SLEEP)               # cycles asleep in event waits
    taken_branches = _Slot(CTX_TAKEN)
    limit = _Slot(CTX_LIMIT)                      # stop before a block passing this instret
    cycle_limit = _Slot(CTX_CYCLE_LIMIT)          # stop before a block starting at this cycle
    yield_after = _Slot(CTX_YIELD_AFTER)          # a spin loop yields past this cycle
    spun = _Slot(CTX_SPUN)                        # instructions of spin loops going round
    stop_reason = _Slot(CTX_STOP)                 # STOP_*
    slow_pc = _Slot(CTX_SLOW_PC)                  # where a STOP_SLOW / TRAP / BREAK stopped
    trap_cause = _Slot(CTX_TRAP_CAUSE)
    last_block = _Slot(CTX_LAST_BLOCK)            # [start, end) of the last block counted
    last_block_end = _Slot(CTX_LAST_BLOCK_END)
    breakpoints = _Slot(CTX_BREAKS)               # address of the breakpoint table, 0: none
    break_skip = _Slot(CTX_BREAK_SKIP)            # resume over this breakpoint once, -1: none
    watching = _Slot(CTX_WATCHING)                # 1: custom loads/stores go through Python
    profile_table = _Slot(CTX_PROFILE)            # address of the --profile table, 0: off
    gpr_address = _Slot(CTX_GPR)                  # host address of the registers, 0: unknown
    code_base = _Slot(CTX_CODE_BASE)
    code_end = _Slot(CTX_CODE_END)

    def stall(self, kind: str, cycles: int) -> None:
        """Charge `cycles` to the hart's time as a run-time stall of `kind` (a key of
        DYNAMIC_STALLS): the cycle counter and the stall counter move together."""
        self.ctx[CTX_CYCLES] += cycles
        self.ctx[DYNAMIC_STALLS[kind]] += cycles

    def dynamic_stalls(self) -> dict[str, int]:
        """The stall cycles counted at run time, by cause."""
        return {kind: int(self.ctx[slot]) for kind, slot in DYNAMIC_STALLS.items()}

    def loop(self, index: int) -> HwLoop:
        """Hardware loop `index`'s registers (0 or 1)."""
        base = CTX_LP_START0 + LOOP_SLOTS * index
        return HwLoop(*(int(v) for v in self.ctx[base:base + LOOP_SLOTS]))
