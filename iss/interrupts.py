"""Machine-mode interrupts of one hart, requested by the cluster's event unit.

What the core does (RISC-V privileged spec, machine mode, as CV32E40P implements it): an
interrupt on line `id` is taken when mstatus.MIE is set and mie bit `id` enables it; the
core writes mepc (the next instruction to execute), mcause = 0x80000000 | id, mtval = 0,
mstatus.MPIE = MIE, MIE = 0, MPP = M, and continues at mtvec's BASE (direct mode) or at
BASE + 4 * id (vectored mode, mtvec[1:0] = 1). `mret` undoes it; `wfi` sleeps until a line
that mie enables is pending, whatever mstatus.MIE says (the spec's "locally enabled").

Where the request comes from (plugins/event_unit.py): the event unit drives the core's line
`id` = the highest set bit of BUFFER & MASK_IRQ and clears that bit on the acknowledge.
Chosen here: the 32 event lines map one to one onto mie/mip bits 0-31 (the event unit's
5-bit core_irq_id_o), and mie resets to all ones, so firmware written for the PULP cluster
(event-unit IRQ mask + mstatus.MIE, as pulp-runtime does) and firmware that also masks lines
in mie (CV32E40P habit) both work. mip reads BUFFER & MASK_IRQ; writes to it are ignored.

Timing. Unicorn can change a hart's control flow only between translation blocks, so a
request is seen at the hart's first block boundary at or after the cycle it arrives (the
scheduler stops the hart there: `Simulator.advance`). Entry costs IRQ_ENTRY_CYCLES and
mret MRET_CYCLES (GVSoC's RI5CY model, gvsoc-core models/cpu/iss: irq_external.cpp "+3,
latency 4", priv.hpp mret "+4, latency 5"; the CV32E40P manual gives no figure).

mstatus, mie and mip are CSRs the simulator emulates (iss/custom_code.py), and mret and wfi
run here, so every change of MIE goes through this module and the check stays off the hot
path: nothing is checked while no enabled line is pending.
"""
from __future__ import annotations

from unicorn.riscv_const import (UC_RISCV_REG_MCAUSE, UC_RISCV_REG_MEPC, UC_RISCV_REG_MISA,
                                 UC_RISCV_REG_MSCRATCH, UC_RISCV_REG_MSTATUS, UC_RISCV_REG_MTVAL,
                                 UC_RISCV_REG_MTVEC)

from .hart_state import NO_LIMIT
from .hooks import account
from .latency import IRQ_ENTRY_CYCLES, MRET_CYCLES

CSR_MSTATUS, CSR_MIE, CSR_MIP = 0x300, 0x304, 0x344
INTERRUPT_CSRS = frozenset((CSR_MSTATUS, CSR_MIE, CSR_MIP))
MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP = 1 << 3, 1 << 7, 3 << 11
MCAUSE_INTERRUPT = 1 << 31
MTVEC_VECTORED = 1
MRET, WFI = 0x30200073, 0x10500073
MIE_RESET = 0xFFFFFFFF      # chosen: every event-unit line enabled at the core (see above)


# machine-mode trap CSRs kept in QEMU's CPU state (the debugger reads and writes them there)
QEMU_CSRS = {CSR_MSTATUS: UC_RISCV_REG_MSTATUS, 0x301: UC_RISCV_REG_MISA,
             0x305: UC_RISCV_REG_MTVEC, 0x340: UC_RISCV_REG_MSCRATCH, 0x341: UC_RISCV_REG_MEPC,
             0x342: UC_RISCV_REG_MCAUSE, 0x343: UC_RISCV_REG_MTVAL}
DEBUGGER_CSRS = {"mstatus": CSR_MSTATUS, "misa": 0x301, "mie": CSR_MIE, "mtvec": 0x305,
                 "mscratch": 0x340, "mepc": 0x341, "mcause": 0x342, "mtval": 0x343,
                 "mip": CSR_MIP, "mcycle": 0xB00, "minstret": 0xB02, "mcycleh": 0xB80,
                 "minstreth": 0xB82, "mhartid": 0xF14}


def read_csr(hart, csr: int) -> int | None:
    """A CSR as the firmware would read it now (debuggers: `p $mcause`); None if the
    simulator does not model it here."""
    if csr in QEMU_CSRS:
        return hart.uc.reg_read(QEMU_CSRS[csr]) & 0xFFFFFFFF
    if csr == CSR_MIE:
        return hart.irq.mie
    if csr == CSR_MIP:
        return hart.irq.requested(hart.cycles)
    if csr in (0xB00, 0xB80):
        return (hart.cycles >> (32 if csr == 0xB80 else 0)) & 0xFFFFFFFF
    if csr in (0xB02, 0xB82):
        return (hart.instret >> (32 if csr == 0xB82 else 0)) & 0xFFFFFFFF
    if csr == 0xF14:
        return hart.hartid
    return None


def write_csr(hart, csr: int, value: int) -> bool:
    """A debugger's write to a CSR (`set $mepc = ...`): the trap CSRs and mie."""
    if csr in QEMU_CSRS:
        hart.uc.reg_write(QEMU_CSRS[csr], value & 0xFFFFFFFF)
    elif csr == CSR_MIE:
        hart.irq.mie = value & 0xFFFFFFFF
    else:
        return False
    hart.irq.update()
    return True


def trap_entry(uc, pc: int, cause: int, tval: int) -> None:
    """The CSR side of a machine-mode trap entry (exception or interrupt)."""
    mstatus = uc.reg_read(UC_RISCV_REG_MSTATUS) & 0xFFFFFFFF
    mpie = MSTATUS_MPIE if mstatus & MSTATUS_MIE else 0
    mstatus = (mstatus & ~(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)) | mpie | MSTATUS_MPP
    uc.reg_write(UC_RISCV_REG_MEPC, pc)
    uc.reg_write(UC_RISCV_REG_MCAUSE, cause)
    uc.reg_write(UC_RISCV_REG_MTVAL, tval)
    uc.reg_write(UC_RISCV_REG_MSTATUS, mstatus)


class Interrupts:
    """One hart's interrupt state: mie, and `at`, the cycle from which an enabled line is
    pending while mstatus.MIE is set (NO_LIMIT: nothing to take)."""

    def __init__(self, hart):
        self.hart = hart
        self.mie = MIE_RESET
        self.at = NO_LIMIT
        self.taken = 0                   # interrupts entered
        self.by_line: dict[int, int] = {}
        self.overhead_cycles = 0         # trap entries and mret (stats: traps.overhead_cycles)
        self.in_wfi = False              # asleep in wfi (not in an event-unit wait)

    # ---- the request ----------------------------------------------------------------
    def _eu(self):
        return self.hart.sim.service("event_unit")

    def requested(self, time: int) -> int:
        """Lines the event unit requests at cycle `time` (mip)."""
        eu = self._eu()
        return 0 if eu is None else eu.irq_pending(self.hart.core_id, time)

    def pending(self, time: int) -> int:
        """Requested lines that mie enables (mip & mie)."""
        return self.requested(time) & self.mie

    def _mie_set(self) -> bool:
        return bool(self.hart.uc.reg_read(UC_RISCV_REG_MSTATUS) & MSTATUS_MIE)

    def update(self) -> None:
        """Recompute `at` after anything that may change it (a line, mie, mstatus.MIE);
        stop the hart at `at` if it is running; wake it at `at` if it sleeps in wfi, or
        in an event-unit wait with mstatus.MIE set."""
        hart, eu = self.hart, self._eu()
        first = None if eu is None else eu.irq_next(hart.core_id, self.mie)
        enabled = self._mie_set()
        self.at = NO_LIMIT if first is None or not enabled else first
        if first is None:
            return
        if hart.state == "sleeping" and (self.in_wfi or enabled):
            # through the event queue: the sleep may not be processed yet, and the
            # request must not wake the hart before the cluster reaches its cycle
            hart.sim.schedule(first, self._wake_if_requested)
        elif hart.sim.running_hart() is hart and self.at < hart.native.cycle_limit:
            hart.native.cycle_limit = max(self.at, hart.cycles)

    def _wake_if_requested(self) -> None:
        hart = self.hart
        now = hart.sim.now()
        if hart.state != "sleeping" or not self.pending(now):
            return
        if self.in_wfi:
            self.in_wfi = False
            account(hart.ctx, hart.pc, hart.pc + 4, 1)      # wfi retires on the wake-up
            hart.pc += 4
        elif not (self._mie_set() and self._eu().irq_interrupts_wait(hart.core_id)):
            return
        hart.sim.wake_for_interrupt(hart, now)
        self.update()

    def take(self) -> bool:
        """Between blocks, at or after `at`: enter the handler of the highest pending
        enabled line. False when nothing is pending any more (cleared meanwhile)."""
        hart = self.hart
        lines = self.pending(hart.cycles) if self._mie_set() else 0
        if not lines:
            self.update()
            return False
        line = lines.bit_length() - 1
        self._eu().irq_acknowledge(hart.core_id, line)
        trap_entry(hart.uc, hart.trap_return_pc, MCAUSE_INTERRUPT | line, 0)
        mtvec = hart.uc.reg_read(UC_RISCV_REG_MTVEC) & 0xFFFFFFFF
        base = mtvec & ~3
        hart.pc = base + 4 * line if mtvec & 3 == MTVEC_VECTORED else base
        hart.native.stall("jump", IRQ_ENTRY_CYCLES)
        self.taken += 1
        self.by_line[line] = self.by_line.get(line, 0) + 1
        self.entered(f"irq {line}", IRQ_ENTRY_CYCLES, int(hart.uc.reg_read(UC_RISCV_REG_MEPC)))
        return True

    def entered(self, name: str, cycles: int, mepc: int) -> None:
        """After any trap entry (exception or interrupt): count its `cycles` as trap
        overhead, tell the observers (the trace marks it: an instant, and a span to its mret),
        and recompute the request (MIE is clear now)."""
        hart = self.hart
        self.overhead_cycles += cycles
        hart.sim.observers.notify("trap", hart, name, cycles, mepc)
        self.update()

    # ---- instructions and CSRs the simulator emulates ---------------------------------
    def mret(self, pc: int) -> None:
        """mret at pc: MIE = MPIE, MPIE = 1, MPP = M (machine mode only), pc = mepc."""
        hart, uc = self.hart, self.hart.uc
        mstatus = uc.reg_read(UC_RISCV_REG_MSTATUS) & 0xFFFFFFFF
        mie = MSTATUS_MIE if mstatus & MSTATUS_MPIE else 0
        uc.reg_write(UC_RISCV_REG_MSTATUS, (mstatus & ~MSTATUS_MIE) | mie | MSTATUS_MPIE | MSTATUS_MPP)
        account(hart.ctx, pc, pc + 4, 1)
        hart.native.stall("jump", MRET_CYCLES - 1)
        self.overhead_cycles += MRET_CYCLES
        hart.pc = uc.reg_read(UC_RISCV_REG_MEPC) & 0xFFFFFFFE
        hart.sim.observers.notify("trap_return", hart)
        self.update()

    def wfi(self, pc: int) -> None:
        """wfi at pc: retire it when a line mie enables is pending, else sleep (the
        wake-up retires it: _wake_if_requested)."""
        hart = self.hart
        if self.pending(hart.cycles):
            account(hart.ctx, pc, pc + 4, 1)
            hart.pc = pc + 4
            return
        self.in_wfi = True
        hart.sim.sleep(hart)
        self.update()

    def csr(self, csr: int, funct3: int, operand: int, writes: bool) -> int:
        """csrrw/csrrs/csrrc(i) on mstatus, mie or mip; returns the old value."""
        uc = self.hart.uc
        if csr == CSR_MSTATUS:
            old = uc.reg_read(UC_RISCV_REG_MSTATUS) & 0xFFFFFFFF
        elif csr == CSR_MIE:
            old = self.mie
        else:
            old = self.requested(self.hart.cycles)
        if writes and csr != CSR_MIP:
            op = funct3 & 3
            new = operand if op == 1 else (old | operand if op == 2 else old & ~operand)
            if csr == CSR_MSTATUS:
                uc.reg_write(UC_RISCV_REG_MSTATUS, new & 0xFFFFFFFF)
            else:
                self.mie = new & 0xFFFFFFFF
            self.update()
        return old

    def lines_taken(self) -> dict[str, int]:
        """Interrupts entered per line (stats JSON: harts[i].traps.interrupt_lines)."""
        return {str(line): n for line, n in sorted(self.by_line.items())}
