"""One RISC-V hart: a Unicorn RV32 engine over the shared memories, with native hooks."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np
from unicorn import Uc, UcError
from unicorn import unicorn_const as UC
from unicorn.riscv_const import (UC_RISCV_REG_MCAUSE, UC_RISCV_REG_MEPC, UC_RISCV_REG_MTVEC,
                                 UC_RISCV_REG_PC, UC_RISCV_REG_X0)
from unicorn.unicorn_py3.unicorn import uc_hook_h, uclib

from . import hooks, regfile
from .errors import PeripheralError
from .hart_state import (CTX_BANKS, CTX_CODE_BASE, CTX_CODE_END, CTX_CPREFIX, CTX_EXEC, CTX_FLAGS,
                         CTX_FN_EMU_STOP, CTX_HART, CTX_L1_BASE, CTX_L1_END, CTX_LOAD_END,
                         CTX_NREGIONS, CTX_PREFIX, CTX_READS, CTX_REGIONS, CTX_SPIN_LOOPS, CTX_UC,
                         CTX_WRITES, NO_LIMIT, PROF_PERIPHERAL, STOP_BREAK, STOP_LIMIT, STOP_SLOW,
                         STOP_SPIN, STOP_TRAP, HartState)
from .interrupts import Interrupts, trap_entry
from .isa.decoder import decode_insn, memory_operand
from .latency import BASE_CYCLES, TRAP_ENTRY_CYCLES
from .native import c_function_address
from .xpulp_exec import trap_hook

# RISC-V exception causes delivered to UC_HOOK_INTR (Unicorn does not enter mtvec itself:
# our hook catches the exception, so QEMU's own trap entry never runs; Hart._enter_trap does it)
EXC_MISALIGNED_FETCH = 0
EXC_ILLEGAL = 2
EXC_BREAKPOINT = 3
EXC_ECALL_U = 8          # QEMU raises U_ECALL and adds the privilege level: from M it is 11
EXC_ECALL_M = 11
# synchronous exceptions a handler installed in mtvec receives (Hart._enter_trap)
TRAP_CAUSES = (EXC_MISALIGNED_FETCH, EXC_ILLEGAL, EXC_BREAKPOINT, EXC_ECALL_M)
_EXC_NAMES = {0: "misaligned instruction fetch", 1: "instruction access fault",
              EXC_ILLEGAL: "illegal instruction", EXC_BREAKPOINT: "ebreak without handler",
              4: "misaligned load", 5: "load access fault", 6: "misaligned store",
              7: "store access fault", 8: "ecall without handler", 9: "ecall without handler",
              EXC_ECALL_M: "ecall without handler"}

_UC_FAULTS = {
    UC.UC_ERR_READ_UNMAPPED: "load from unmapped address",
    UC.UC_ERR_WRITE_UNMAPPED: "store to unmapped address",
    UC.UC_ERR_FETCH_UNMAPPED: "instruction fetch from unmapped address",
    UC.UC_ERR_READ_PROT: "load from protected address",
    UC.UC_ERR_WRITE_PROT: "store to protected address",
    UC.UC_ERR_FETCH_PROT: "instruction fetch from protected address",
    UC.UC_ERR_READ_UNALIGNED: "misaligned load",
    UC.UC_ERR_WRITE_UNALIGNED: "misaligned store",
    UC.UC_ERR_FETCH_UNALIGNED: "misaligned instruction fetch",
    UC.UC_ERR_INSN_INVALID: "illegal instruction",
}


@dataclass
class Stop:
    """Why a hart stopped running."""
    reason: str              # "exit", "fault", "limit", "breakpoint", "watchpoint", "slice",
    pc: int                  # "sleep" (an event wait: the load at pc runs again when woken),
                             # "retry" (the MMIO access at pc runs again: Hart.retry_access)
    message: str = ""
    exit_status: int | None = None
    fault_address: int | None = None
    retired: bool = False    # the instruction at pc completed (MMIO access that ended the run)
    restore: list | None = None    # registers before a load that went to sleep (to undo its write)
    trap_cause: int | None = None  # a fault a handler in mtvec may take (mcause; Hart._enter_trap)


RUNNING, SLEEPING, HALTED, FINISHED = "running", "sleeping", "halted", "finished"


class Hart:
    def __init__(self, sim, index: int, hartid: int):
        self.sim = sim
        self.index = index
        self.hartid = hartid
        self.uc = Uc(UC.UC_ARCH_RISCV, UC.UC_MODE_RISCV32)
        # Virtual TLB + our fill hook: the only way found to keep Unicorn 2.1.4's
        # stores on the fast path (see hooks.tlb_fill_hook and docs/unicorn-notes.md).
        self.uc.ctl_set_tlb_mode(UC.UC_TLB_VIRTUAL)
        mem = sim.memory
        for spec in sim.platform.memories:
            self.uc.mem_map_ptr(spec.base, spec.size, UC.UC_PROT_ALL,
                                mem.buffers[spec.name].ctypes.data)
        sim.bus.map_into(self)
        self.native = HartState()          # the slots the native hooks share, by name
        self.ctx = self.native.ctx         # the array itself, passed to the jitted code
        self.ctx[CTX_UC] = self.uc._uch.value
        self.ctx[CTX_FN_EMU_STOP] = c_function_address("uc_emu_stop")
        self.native.limit = NO_LIMIT
        self.ctx[CTX_CODE_BASE] = mem.code_base
        self.ctx[CTX_CODE_END] = mem.code_end
        self.ctx[CTX_PREFIX] = mem.prefix.ctypes.data
        self.native.cycle_limit = NO_LIMIT
        self.native.yield_after = NO_LIMIT
        self.ctx[CTX_SPIN_LOOPS] = sim.spin_loops.ctypes.data
        timing = sim.timing
        self.ctx[CTX_CPREFIX] = timing.prefix.ctypes.data
        self.ctx[CTX_FLAGS] = timing.flags.ctypes.data
        self.ctx[CTX_READS] = timing.reads.ctypes.data
        self.ctx[CTX_LOAD_END] = timing.load_end.ctypes.data
        self.executed = np.zeros(len(timing.flags), dtype=np.int64)   # difference array
        self.ctx[CTX_EXEC] = self.executed.ctypes.data
        self.ctx[CTX_REGIONS] = mem.regions.ctypes.data
        self.ctx[CTX_NREGIONS] = len(mem.regions)
        self._native_hook(UC.UC_HOOK_BLOCK, hooks.block_hook, self.ctx.ctypes.data)
        if getattr(sim, "itrace", None) is not None:     # before the custom-code hooks
            sim.itrace.attach(self)
        sim.custom.attach(self)
        self._io_pc = _io_pc_sync(self.uc)
        self._native_hook(UC.UC_HOOK_TLB_FILL, hooks.tlb_fill_hook, mem.page_flags.ctypes.data)
        self._native_hook(UC.UC_HOOK_INTR, trap_hook, self.ctx.ctypes.data)
        if sim.tcdm_banks is not None:       # accurate timing: every load and store is seen
            l1 = sim.platform.memory_named("l1") or sim.platform.memories[0]
            self.ctx[CTX_BANKS] = sim.tcdm_banks.ctypes.data
            self.ctx[CTX_L1_BASE], self.ctx[CTX_L1_END] = l1.base, l1.end
            self.ctx[CTX_WRITES] = sim.l1_writes.ctypes.data
            self.ctx[CTX_HART] = index
            self._native_hook(UC.UC_HOOK_MEM_READ | UC.UC_HOOK_MEM_WRITE, hooks.memory_hook,
                              self.ctx.ctypes.data)
        # no UC_HOOK_MEM_UNMAPPED/PROT hook: registering one puts every load and store of
        # Unicorn 2.1.4 on its slow path (measured 6x); faults are decoded after the fact
        self.pc = sim.image.entry
        self.running = False
        self.pending: Stop | None = None
        self.finished: Stop | None = None
        self.state = RUNNING
        self.sleep_start = 0
        self.wake_at: int | None = None
        self.dynamic = None      # --profile: int64 [halfwords, PROF_CAUSES] table (iss/profile.py)
        self.spun = -1           # Simulator._epoch at which it last only spun (advance)
        self.traps = 0           # synchronous exceptions delivered to a handler in mtvec
        self._trap_instret = -1  # instret at the last trap entry (a trap loop ends the run)
        self.irq = Interrupts(self)   # mie, pending requests, interrupt entry (iss/interrupts.py)

    def _native_hook(self, kind, fn, user_data, begin=1, end=0):
        handle = uc_hook_h()
        status = uclib.uc_hook_add(self.uc._uch, ctypes.byref(handle), kind,
                                   ctypes.c_void_p(fn.address), ctypes.c_void_p(user_data),
                                   begin, end)
        if status != UC.UC_ERR_OK:
            raise UcError(status)
        return handle

    def add_code_hook(self, fn, lo: int, hi: int):
        return self._native_hook(UC.UC_HOOK_CODE, fn, self.ctx.ctypes.data, lo, hi)

    def remove_hook(self, handle) -> None:
        status = uclib.uc_hook_del(self.uc._uch, handle)
        if status != UC.UC_ERR_OK:
            raise UcError(status)

    # ---- registers ------------------------------------------------------------
    @property
    def pc(self) -> int:
        """The address of the next instruction, in the original code (the engine may be
        running the translated copy of it: iss/shadow.py)."""
        return self._original(self._pc)

    @pc.setter
    def pc(self, value: int) -> None:
        self._pc = value

    @property
    def trap_return_pc(self) -> int:
        """Where an interrupt taken now returns to (mepc): the original address, or the
        translated copy's in the middle of a translated instruction."""
        shadow = self.sim.custom.shadow
        return self._pc if shadow is None else shadow.leave(self._pc)

    def _original(self, pc: int) -> int:
        shadow = self.sim.custom.shadow
        return pc if shadow is None else shadow.original(pc)

    @property
    def instret(self) -> int:
        return self.native.instret

    @property
    def core_id(self) -> int:
        return self.hartid & 0x1F

    @property
    def cycles(self) -> int:
        return self.native.cycles

    @cycles.setter
    def cycles(self, value: int) -> None:
        self.native.cycles = value

    def stall(self, cycles: int) -> None:
        """A peripheral holds the accessing core for `cycles` more cycles."""
        self.native.stall("peripheral", cycles)
        if self.dynamic is not None:
            self.charge(PROF_PERIPHERAL, cycles, self._original(
                self._read_pc() if self.running else self.native.slow_pc))

    def charge(self, cause: int, cycles: int, pc: int) -> None:
        """--profile: dynamic cycles of `cause` (hooks.PROF_*) charged from Python to the
        instruction at pc (peripheral stalls, sleep)."""
        k = (pc - self.sim.timing.base) >> 1
        if self.dynamic is not None and 0 <= k < len(self.dynamic):
            self.dynamic[k, cause] += cycles

    @property
    def halted(self) -> bool:
        return self.state == HALTED

    def now(self) -> int:
        """The current cycle; inside a register access, the cycle of the accessing
        instruction (the block it belongs to was charged whole when it started; the bus
        restored PC to that instruction, sync_io_pc)."""
        if self.running:
            pc = self._original(self._read_pc())
            last, end = self.native.last_block, self.native.last_block_end
            if last <= pc < end:
                return self.cycles - int(hooks.static_cycles(self.ctx, pc, end))
        return self.cycles

    def reg(self, index: int) -> int:
        return self.uc.reg_read(UC_RISCV_REG_X0 + index) & 0xFFFFFFFF

    def set_reg(self, index: int, value: int) -> None:
        if index:
            self.uc.reg_write(UC_RISCV_REG_X0 + index, value & 0xFFFFFFFF)

    # ---- running ----------------------------------------------------------------
    def run(self, budget: int, limit: int, cycle_limit: int = NO_LIMIT,
            yield_after: int = NO_LIMIT) -> Stop:
        """Run until an event, at most `budget` more instructions, never past `limit`,
        and no block starting at or after `cycle_limit`; a spin loop (iss/spin.py) going
        round once the hart's cycle passes `yield_after` ends the run (Stop "slice",
        message "spin", or "spin after work" when it ran other code first).

        The block hook stops the engine before a block that would pass CTX_LIMIT; when
        that block would pass `limit` itself, its first instructions are run in
        Unicorn's exact counting mode so the run stops on the exact count."""
        self.native.limit = min(self.instret + budget, limit)
        self.native.cycle_limit = cycle_limit
        self.native.yield_after = yield_after
        self.native.spun = 0
        instret = self.instret
        stop = self._emulate(0)
        # the limit may have been lowered while running (an event scheduled, a hart woken)
        cycle_limit = self.native.cycle_limit
        self.native.cycle_limit = NO_LIMIT
        self.native.yield_after = NO_LIMIT
        if stop is not None:
            return stop
        if self.native.stop_reason == STOP_SPIN:
            # "spin": it only went round its poll loop; "spin after work": it did more
            only_spun = self.instret - instret == self.native.spun
            return Stop("slice", self.pc, "spin" if only_spun else "spin after work")
        if self.native.limit == limit and self.native.stop_reason == STOP_LIMIT \
                and self.cycles < cycle_limit:
            return self._step_exactly(limit)
        return Stop("slice", self.pc)

    def _step_exactly(self, limit: int) -> Stop:
        """Run up to exactly `limit` retired instructions in Unicorn's counting mode.
        Unicorn's count includes an instruction our code hook skips by redirecting PC
        (a hardware-loop back-edge), so our own exact count decides, and we go on
        until it reaches the limit."""
        for _ in range(1000):
            remaining = limit - self.instret
            if remaining <= 0:
                break
            self.native.limit = NO_LIMIT
            # Unicorn's exact count is a code hook compiled into new blocks only:
            # blocks translated earlier would ignore it
            self.uc.ctl_flush_tb()
            stop = self._emulate(remaining)
            if stop is not None:
                return stop
            self._uncount_from(self.pc)   # the last block was counted whole
        self._to_instruction_start()
        self._charge_arrival()
        return Stop("limit", self.pc, f"instruction limit ({limit}) reached")

    def _charge_arrival(self) -> None:
        """Stopped on the exact count: the jump or taken branch that led to pc has
        retired, so its cycles are in (a taken branch costs 3). The block hook charges
        them when the next block starts, which Unicorn's count may stop before (or not,
        after a custom branch run by a hook): charge them here when it has not."""
        pc = self.pc
        if pc != self.native.last_block_end:
            hooks.transfer_penalty(self.ctx, pc)
            self.native.last_block = self.native.last_block_end = pc

    def _restart_unfinished(self) -> bool:
        """Stopped inside a translated instruction before its commit (iss/shadow.py):
        put back what its first ops changed and restart it from its beginning."""
        shadow = self.sim.custom.shadow
        restart = None if shadow is None else shadow.undo.get(self._pc)
        if restart is None:
            return False
        self._pc, undo = restart
        if undo is not None:
            reg, value, sub = undo
            self.set_reg(reg, (self.reg(reg) ^ value) - (self.reg(sub) if sub else 0))
        return True

    def leave_translation(self) -> None:
        """Continue in the original code (CustomCode.drop_translation)."""
        shadow = self.sim.custom.shadow
        if shadow is not None:
            self._to_instruction_start()
            self._pc = shadow.leave(self._pc)

    def _to_instruction_start(self) -> None:
        """A stop inside a translated instruction's copy (iss/shadow.py): before its
        commit, undo what its first ops changed; after it, run the ops that finish it
        (they count nothing). Registers are then those of the original code."""
        shadow = self.sim.custom.shadow
        for _ in range(8):
            if shadow is None or shadow.at_start(self._pc) or self._restart_unfinished():
                return
            self.native.limit = NO_LIMIT
            self.uc.ctl_flush_tb()
            if self._emulate(1) is not None:
                return
            self._uncount_from(self.pc)   # its block was counted whole

    def _emulate(self, count: int) -> Stop | None:
        """Run the engine; returns the Stop of an event, None when only the limit hit.
        Stops for Python-side work (rare custom-instruction cases) resume here."""
        while True:
            self.native.stop_reason = 0
            self.pending = None
            before = self.instret
            self.running = True
            try:
                self.uc.emu_start(self._pc, 0, 0, count)
            except UcError as e:
                if self.pending is None:
                    self.pending = self._fault_from_error(e)
            except PeripheralError as e:       # raised by a register access: that load/store faults
                self.pending = Stop("fault", None, str(e))
            finally:
                self.running = False
            pc = self._read_pc()
            if self.pending is not None:
                stop = self._settle(self.pending, pc)
                if stop.trap_cause is None or not self._enter_trap(stop.trap_cause, stop.pc):
                    if stop.trap_cause is not None:
                        stop.message = self._trap_message(stop.trap_cause, stop.pc)
                    return stop
                if "exception" in self.sim.catch:
                    return self.caught()
            elif self.native.stop_reason == STOP_BREAK:
                self.pc = self.native.slow_pc
                return Stop("breakpoint", self.pc, "breakpoint")
            elif self.native.stop_reason == STOP_TRAP:
                pc = self._original(self.native.slow_pc)
                cause = self.native.trap_cause
                self.pc = pc
                if not (cause == EXC_ILLEGAL and self.sim.custom.on_illegal(self, pc)):
                    if cause == EXC_ECALL_U:
                        cause = EXC_ECALL_M
                    if not self._enter_trap(cause, pc):
                        return Stop("fault", pc, self._trap_message(cause, pc))
                    if "exception" in self.sim.catch:
                        return self.caught()
            elif self.native.stop_reason == STOP_SLOW:
                self.pc = pc
                slow_pc = self.native.slow_pc
                try:
                    message = self.sim.custom.resume_slow(self)
                except PeripheralError as e:
                    message = str(e)
                if message is not None:
                    self.pc = slow_pc
                    return Stop("fault", slow_pc, message)
                if self.pending is not None:      # the access ended the run (EOC store) or slept
                    self.pending.pc = slow_pc
                    return self.pending
            else:
                self.pc = pc
                return None
            if count:   # exact-count mode: account for what already ran
                count -= self.instret - before
                if count <= 0:
                    return None

    def _enter_trap(self, cause: int, pc: int) -> bool:
        """Machine-mode entry of the synchronous exception `cause` raised by the instruction
        at pc (which does not retire; its block was already cut there), as CV32E40P does:
        mepc = pc, mcause, mtval, mstatus.MPIE = MIE, MIE = 0, MPP = M, continue at
        mtvec's BASE (synchronous exceptions ignore the vectored mode). The CSRs are QEMU's
        own, so firmware csrr/csrw and QEMU's mret see the same values. False (nothing
        changed) when mtvec's BASE is 0 (its reset value: no handler), when a debugger
        breakpoint owns an ebreak's address, or for causes not delivered yet."""
        if cause not in TRAP_CAUSES:
            return False
        base = self.uc.reg_read(UC_RISCV_REG_MTVEC) & 0xFFFFFFFC
        if base == 0:
            return False
        if cause == EXC_BREAKPOINT and self._debugger_breakpoint(pc):
            return False
        if pc == base and self.instret == self._trap_instret:
            return False       # the handler's first instruction traps: it would loop forever
        if cause == EXC_ILLEGAL:       # the faulting instruction word (16 bits if compressed)
            word = self._instruction_at(pc)
            tval = 0 if word is None else word
        elif cause in (EXC_BREAKPOINT, EXC_MISALIGNED_FETCH):
            tval = pc
        else:
            tval = 0
        trap_entry(self.uc, pc, cause, tval)
        self.native.cycles += BASE_CYCLES           # the trapping instruction's slot
        self.native.stall("jump", TRAP_ENTRY_CYCLES - BASE_CYCLES)
        self.traps += 1
        self._trap_instret = self.instret
        self.pc = base
        self.irq.entered(f"exception {cause}", TRAP_ENTRY_CYCLES, pc)   # stats, trace
        return True

    def caught(self) -> Stop:
        """The stop of a debugger catchpoint, at a trap handler's first instruction."""
        mcause = self.uc.reg_read(UC_RISCV_REG_MCAUSE) & 0xFFFFFFFF
        mepc = self.uc.reg_read(UC_RISCV_REG_MEPC) & 0xFFFFFFFF
        code = mcause & 0x7FFFFFFF
        what = (f"interrupt {code}" if mcause >> 31
                else f"exception {code}: {_EXC_NAMES.get(code, 'exception').removesuffix(' without handler')}")
        return Stop("catch", self.pc, f"{what}, mepc 0x{mepc:08x}")

    def _trap_message(self, cause: int, pc: int) -> str:
        """The fault report of an exception no handler took."""
        name = _EXC_NAMES.get(cause, f"exception {cause}")
        if self.traps and pc == self.uc.reg_read(UC_RISCV_REG_MTVEC) & 0xFFFFFFFC \
                and self.instret == self._trap_instret:
            return f"{name} at the trap handler's first instruction (mtvec): trap loop"
        return name

    def _debugger_breakpoint(self, pc: int) -> bool:
        """A debugger (iss debug, gdbserver) has a breakpoint at pc (its per-halfword table)."""
        table = self.native.breakpoints
        base, end = self.native.code_base, self.native.code_end
        if table == 0 or not base <= pc < end:
            return False
        return ctypes.c_uint8.from_address(table + ((pc - base) >> 1)).value != 0

    def _instruction_at(self, pc: int) -> int | None:
        try:
            half = int.from_bytes(self.sim.memory.read(pc, 2), "little")
            return half if half & 3 != 3 else self.sim.memory.read_u32(pc)
        except IndexError:
            return None

    def _fault_from_error(self, error: UcError) -> Stop:
        word = self._word_at_pc()
        if word in (0x00100073, 0x9002):   # Unicorn stops on ebreak with a bare exception
            return Stop("fault", None, "ebreak without handler", trap_cause=EXC_BREAKPOINT)
        what = _UC_FAULTS.get(error.errno, f"emulation error: {error}")
        if error.errno in (UC.UC_ERR_FETCH_UNMAPPED, UC.UC_ERR_FETCH_PROT):
            address = self._read_pc()
        else:
            address = self._access_address(word)
        if address is None:
            return Stop("fault", None, what)
        shadow = self.sim.custom.shadow
        unmapped = {UC.UC_ERR_READ_PROT: UC.UC_ERR_READ_UNMAPPED,
                    UC.UC_ERR_WRITE_PROT: UC.UC_ERR_WRITE_UNMAPPED}
        if shadow is not None and error.errno in unmapped \
                and shadow.base <= address < shadow.base + len(shadow.data):
            # the translated code's pages (execute-only) are no memory of the platform
            what = _UC_FAULTS[unmapped[error.errno]]
        return Stop("fault", None, f"{what} 0x{address:08x}", fault_address=address)

    def _access_address(self, word: int | None) -> int | None:
        """Effective address of the load/store `word` at PC (registers are unchanged)."""
        operand = None if word is None else memory_operand(decode_insn(word, self.sim.flavour))
        if operand is None:
            return None
        _, _, base, imm, offset, _ = operand
        return (self.reg(base) + imm + self.reg(offset)) & 0xFFFFFFFF

    def _word_at_pc(self) -> int | None:
        return self._instruction_at(self._read_pc())

    def _read_pc(self) -> int:
        return self.uc.reg_read(UC_RISCV_REG_PC) & 0xFFFFFFFF

    def sync_io_pc(self) -> None:
        """Inside an MMIO callback of a running engine: make PC the accessing instruction's
        (regfile.py). Not when stopped: a debugger reading a register page goes through
        the callback too, and cpu->mem_io_pc then belongs to an old access."""
        if self._io_pc is not None and self.running:
            restore, cpu, mem_io_pc = self._io_pc
            restore(cpu, ctypes.c_size_t.from_address(mem_io_pc).value, False)

    def _uncount_from(self, pc: int) -> None:
        """The last block was counted whole but stopped before pc: remove its tail."""
        last, end = self.native.last_block, self.native.last_block_end
        if last <= pc < end:
            hooks.account(self.ctx, pc, end, -1)
            self.native.last_block_end = pc

    def _settle(self, stop: Stop, pc: int) -> Stop:
        """Make the instruction count exact for a stop in the middle of a block.
        After an MMIO callback stops the engine, Unicorn leaves PC on the accessing
        instruction, which has completed."""
        if stop.pc is None:
            stop.pc = pc
        if stop.retired:
            self.pc = stop.pc + self.sim.memory_instruction_length(stop.pc)
        else:
            self.pc = stop.pc
        if stop.restore is not None:
            rd = self.sim.load_destination(self._pc)     # the PC is exact once stopped
            if rd:
                self.set_reg(rd, stop.restore[rd])
        if not stop.retired:
            self._restart_unfinished()
        self._uncount_from(self.pc)
        stop.pc = self._original(stop.pc)
        return stop

    def sleep_at_access(self) -> None:
        """From a register read: the load does not complete; it runs again once the hart
        is woken. Unicorn still writes the read value to the load's destination when the
        callback returns, so that register is put back afterwards. Which one is known only
        once the engine has stopped (inside the callback Unicorn's PC may still be the
        block's start), so all registers are saved here."""
        stop = Stop("sleep", None, "waiting for an event")
        if self.running:
            stop.restore = [self.reg(i) for i in range(32)]
            self.uc.emu_stop()
        self.pending = stop

    def retry_access(self, is_read: bool) -> None:
        """From an MMIO callback: the access does not happen now; the hart stops at the
        accessing instruction, which runs again when the hart next runs (the scheduler
        first brings the other harts up to a peripheral event due before it)."""
        stop = Stop("retry", None, "access retried after a peripheral event")
        if is_read:      # the load's destination is put back, as for a sleeping load
            stop.restore = [self.reg(i) for i in range(32)]
        self.uc.emu_stop()
        self.pending = stop

    def stop_after_access(self, stop: Stop) -> None:
        """From an MMIO callback: the accessing instruction retires, then the hart stops."""
        stop.retired = True
        self.pending = stop
        self.uc.emu_stop()

    # ---- events from Unicorn ----------------------------------------------------
    def bus_fault(self, what: str, address: int, size: int) -> None:
        self.pending = Stop("fault", None, f"{what} unmapped peripheral address 0x{address:08x}",
                            fault_address=address)
        self.uc.emu_stop()


def _io_pc_sync(uc):
    """(cpu_restore_state, CPUState address, &cpu->mem_io_pc) for a hart's engine, or None."""
    layout = regfile.io_pc_layout()
    if layout is None:
        return None
    return (regfile.restore_state_function(), *layout.addresses(uc))
