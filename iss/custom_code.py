"""Custom instructions of a firmware image: static scan, NOP patching, hook ranges,
and the rare cases executed in Python (MMIO accesses, event loads, dynamic sites)."""
from __future__ import annotations

import functools

import numpy as np
from unicorn import UC_PROT_EXEC

from .hart_state import (CTX_ACTIONS, CTX_END_INCLUSIVE, CTX_FN_REG_READ, CTX_FN_REG_WRITE,
                         CTX_GPR, CTX_HARTID, CTX_HOOKED, CTX_REDIRECT_ICOUNT, CTX_REDIRECT_PC,
                         CTX_REDIRECT_SKIP, CTX_SHADOW_BASE, CTX_SHADOW_END, CTX_SHADOW_MAP,
                         CTX_SITES)
from .hook_layout import cheapest_layout, span_layout, split_layout
from .hooks import account
from .hwloop_engine import LoopEngine
from .interrupts import INTERRUPT_CSRS, MRET, WFI
from .isa import fields as F
from .isa.decoder import (HWLOOP_END_INCLUSIVE, KIND_BRANCH, KIND_PRIV, KIND_ZICSR, LAT_DIV, decode_insn)
from .isa.spec import (HW_ENDI, HW_SETUP, HW_SETUPI, KIND_ELW, KIND_HWLOOP, KIND_LOAD, KIND_STORE,
                       MEM_POSTINC_IMM, MEM_REGREG)
from .native import c_function_address
from .perf import perf_csrs
from .regfile import locate_gpr, redirect_layout
from .shadow import ShadowCode, translate
from .xpulp_exec import (CSR_CYCLE, CSR_CYCLEH, CSR_INSTRET, CSR_INSTRETH, CSR_MCYCLE,
                         CSR_MCYCLEH, CSR_MHARTID, CSR_MINSTRET, CSR_MINSTRETH, CSR_UHARTID,
                         HWLOOP_CSR_BASE, HWLOOP_CSR_WRITABLE, KIND_BRANCH_NEXT, KIND_CSR,
                         KIND_DIV, KIND_PYTHON, KIND_SYSTEM, S_IMM, S_IMM2, S_KIND, S_LEN, S_MODE,
                         S_OP, S_RD, S_RS1, S_RS2, S_RS3, S_SIGNED, S_SIZE, SITE_FIELDS, code_hook)

NOP = 0x00000013
TRAP = 0x0000000B       # a 32-bit word Unicorn rejects (custom-0): makes emulated CSR accesses trap
                        # (a 16-bit illegal word starting a block gets no block hook: miscounted)

@functools.lru_cache(maxsize=8)
def _translation(segments, flavour: str, sites, windows) -> tuple[ShadowCode | None, str]:
    """iss.shadow.translate of an image, once per process (nobody writes a ShadowCode):
    `sites` as sorted (address, word) pairs, the platform's `windows` as (base, size)."""
    def unused(lo: int, hi: int) -> bool:      # no memory or peripheral in [lo, hi)
        return not any(base < hi and lo < base + size for base, size in windows)
    return translate(list(segments), flavour, dict(sites), unused)


class CustomCode:
    def __init__(self, sim, layout: str = "auto", translate: bool = False):
        self.sim = sim
        self.flavour = sim.flavour
        mem = sim.memory
        self.base, self.end = mem.code_base, mem.code_end
        halfwords = max((self.end - self.base) >> 1, 1)
        self.actions = np.zeros(halfwords, dtype=np.int32)
        self.hooked = np.zeros(halfwords, dtype=np.uint8)
        self.sites = np.zeros((256, SITE_FIELDS), dtype=np.int64)
        self.count = 0
        self.originals: dict[int, int] = {}       # address -> original instruction word
        self.ranges: list[tuple[int, int]] = []
        self.harts = []
        self.handles: dict[int, list] = {}        # hart index -> its code hook handles
        self.requests: list[tuple[int, int]] = []  # hook_also(): kept across re-hooking
        loop_base = HWLOOP_CSR_BASE[self.flavour]
        self.emulated_csrs = {CSR_MHARTID, CSR_UHARTID, CSR_MCYCLE, CSR_MINSTRET, CSR_MCYCLEH,
                              CSR_MINSTRETH, CSR_CYCLE, CSR_INSTRET, CSR_CYCLEH, CSR_INSTRETH,
                              *(loop_base + i for i in (0, 1, 2, 4, 5, 6)),
                              *perf_csrs(self.flavour), *INTERRUPT_CSRS}
        self.loop_csr_info = loop_base | (HWLOOP_CSR_WRITABLE[self.flavour] << 12)
        exits = self._scan(sim.image)
        # hardware-loop bodies decoded for the loop engine (iss/hwloop_engine.py)
        self.engine = LoopEngine(self, sim.timing, getattr(sim, "compile_loops", True))
        # sites entered through the translated code (iss/shadow.py): address -> word
        self.translated: dict[int, int] = {}
        self._entered_sites: dict[int, int] = {}       # address -> its actions entry
        self.shadow: ShadowCode | None = None
        self.translation = "off"         # or "on", or why it could not be used
        if translate:
            self._translate(sim)
        self.split_ranges = split_layout(sorted(self.originals), sorted(exits))
        span = span_layout(self.split_ranges)
        self.auto_pending = layout == "auto" and bool(span)
        self.layout = "split" if layout == "split" else "span"      # in use now
        self.layout_ranges = self.split_ranges if layout == "split" else span
        for lo, hi in self.layout_ranges:
            self._hook_range(lo, hi)

    # ---- load time ---------------------------------------------------------------
    def _scan(self, image) -> set[int]:
        """Register every custom instruction of the executable segments; return the
        statically known hardware-loop exits (the code hook must see them)."""
        exits = set()
        for seg in image.segments:
            if not seg.executable:
                continue
            data, pc = seg.data, seg.address
            off = 0
            while off + 2 <= len(data):
                if data[off] & 3 != 3:
                    off += 2
                    continue
                if off + 4 > len(data):
                    break
                word = int.from_bytes(data[off:off + 4], "little")
                if self._register(pc + off, word):
                    exit_address = self._static_loop_exit(pc + off)
                    if exit_address is not None:
                        exits.add(exit_address)
                off += 4
        return exits

    def _register(self, pc: int, word: int) -> bool:
        row = self._site_row(word)
        if row is None or not self.base <= pc < self.end:
            return False
        if self.count == len(self.sites):
            self.sites = np.concatenate([self.sites, np.zeros_like(self.sites)])
            for hart in self.harts:
                hart.ctx[CTX_SITES] = self.sites.ctypes.data
        self.sites[self.count] = row
        self.count += 1
        self.actions[(pc - self.base) >> 1] = self.count
        self.originals[pc] = word
        if self._unhooked_word(pc, word) != word:
            self.sim.memory.write(pc, TRAP.to_bytes(4, "little"))
        return True

    def _unhooked_word(self, pc: int, word: int) -> int:
        """What a site holds outside code hooks: its own word, which traps, or TRAP for the
        instructions Unicorn would execute itself."""
        kind = self.sites[self.actions[(pc - self.base) >> 1] - 1, S_KIND]
        return TRAP if kind in (KIND_CSR, KIND_DIV, KIND_BRANCH_NEXT, KIND_SYSTEM) else word

    def _site_row(self, word: int):
        d = decode_insn(word, self.flavour) if word & 3 == 3 else None
        if d is None:
            return None
        row = np.zeros(SITE_FIELDS, dtype=np.int64)
        row[S_LEN] = 4
        if d.custom:
            kind = KIND_PYTHON if d.kind == KIND_ELW else d.kind
            row[[S_KIND, S_OP, S_RD, S_RS1, S_RS2, S_RS3, S_IMM, S_IMM2, S_SIZE, S_SIGNED, S_MODE]] = (
                kind, d.op, d.rd, d.rs1, d.rs2, d.rs3, d.imm, d.imm2, d.mem_size or 4,
                int(d.mem_signed), d.mem_mode)
            return row
        if d.kind == KIND_BRANCH and d.imm == 4:
            row[[S_KIND, S_OP, S_RS1, S_RS2]] = (KIND_BRANCH_NEXT, d.op, d.rs1, d.rs2)
            return row
        if d.latency == LAT_DIV:                  # div/divu/rem/remu: timed by the hook
            row[[S_KIND, S_OP, S_RD, S_RS1, S_RS2]] = (KIND_DIV, F.funct3(word), d.rd, d.rs1, d.rs2)
            return row
        if d.kind == KIND_PRIV and d.op in (MRET, WFI):
            row[[S_KIND, S_OP]] = (KIND_SYSTEM, d.op)
            return row
        if d.kind == KIND_ZICSR and d.imm in self.emulated_csrs:
            row[[S_KIND, S_OP, S_RD, S_RS1, S_IMM, S_IMM2]] = (
                KIND_CSR, d.op, d.rd, d.rs1, d.imm, self.loop_csr_info)
            return row
        return None

    def _translate(self, sim) -> None:
        """Enter the translatable sites through the shadow code (their words become
        jumps to it); the others stay as they are."""
        segments = tuple((seg.address, bytes(seg.data)) for seg in sim.image.segments if seg.executable)
        platform = sim.platform
        windows = tuple((w.base, w.size) for w in (*platform.memories, *platform.peripherals))
        shadow, why = _translation(segments, self.flavour, tuple(sorted(self.originals.items())),
                                   windows)
        if shadow is None:
            self.translation = why
            return
        for pc, word in shadow.entries.items():
            self.translated[pc] = self.originals.pop(pc)
            self._entered_sites[pc] = int(self.actions[(pc - self.base) >> 1])
            self.actions[(pc - self.base) >> 1] = 0
            sim.memory.write(pc, word.to_bytes(4, "little"))
        sim.memory.add_shadow(shadow.base, shadow.data)
        self.shadow = shadow
        self.translation = "on"

    def drop_translation(self) -> None:
        """From now on the original code only (a breakpoint must see every instruction):
        each hart leaves the translated copy at an instruction's start, the sites get
        their words back."""
        if not self.translated:
            return
        for hart in self.harts:
            hart.leave_translation()
        for pc, word in self.translated.items():
            self.originals[pc] = word
            self.actions[(pc - self.base) >> 1] = self._entered_sites[pc]
            patched = NOP if self._covered(pc) else self._unhooked_word(pc, word)
            self.sim.memory.write(pc, patched.to_bytes(4, "little"))
        self.translated.clear()
        self.translation = "off"
        for hart in self.harts:
            hart.uc.ctl_flush_tb()

    def _static_loop_exit(self, pc: int) -> int | None:
        site = self.actions[(pc - self.base) >> 1] - 1
        row = self.sites[site]
        if row[S_KIND] != KIND_HWLOOP or row[S_OP] not in (HW_ENDI, HW_SETUP, HW_SETUPI):
            return None
        end = pc + int(row[S_IMM])
        if HWLOOP_END_INCLUSIVE[self.flavour]:
            return end + self.sim.memory_instruction_length(end)
        return end

    def _hook_range(self, lo: int, hi: int) -> None:
        """Put [lo, hi] behind a code hook. Sites inside become NOPs run by the hook:
        Unicorn calls no code hook in front of an instruction that traps. Parts already
        behind the hook are left alone: two hooks on one address would run its custom
        instruction twice."""
        for a, b in self._uncovered(lo, hi):
            self.ranges.append((a, b))
            ta, tb = max(a, self.base), min(b, self.end - 1)
            if ta <= tb:
                self.hooked[(ta - self.base) >> 1:((tb - self.base) >> 1) + 1] = 1
            for pc in self.originals:
                if a <= pc <= b:
                    self.sim.memory.write(pc, NOP.to_bytes(4, "little"))
            for hart in self.harts:
                self.handles[hart.index].append(hart.add_code_hook(code_hook, a, b))
                hart.uc.ctl_remove_cache(a, b + 4)

    def _uncovered(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """The sub-ranges of [lo, hi] that no existing range covers."""
        pieces = [(lo, hi)]
        for a, b in self.ranges:
            pieces = [piece for p_lo, p_hi in pieces
                      for piece in ((p_lo, min(p_hi, a - 1)), (max(p_lo, b + 1), p_hi))
                      if piece[0] <= piece[1]]
        return pieces

    # ---- per hart ------------------------------------------------------------------
    def attach(self, hart) -> None:
        ctx = hart.ctx
        ctx[CTX_FN_REG_READ] = c_function_address("uc_reg_read")
        ctx[CTX_FN_REG_WRITE] = c_function_address("uc_reg_write")
        ctx[CTX_SITES] = self.sites.ctypes.data
        ctx[CTX_ACTIONS] = self.actions.ctypes.data
        ctx[CTX_HOOKED] = self.hooked.ctypes.data
        ctx[CTX_END_INCLUSIVE] = int(HWLOOP_END_INCLUSIVE[self.flavour])
        ctx[CTX_HARTID] = hart.hartid
        if self.shadow is not None:
            hart.uc.mem_map_ptr(self.shadow.base, len(self.shadow.data),
                                UC_PROT_EXEC, self.shadow.data.ctypes.data)
            ctx[[CTX_SHADOW_BASE, CTX_SHADOW_END, CTX_SHADOW_MAP]] = (
                self.shadow.base, self.shadow.end, self.shadow.table.ctypes.data)
        ctx[CTX_GPR] = locate_gpr(hart.uc) or 0
        layout = redirect_layout()
        if layout is not None and ctx[CTX_GPR] != 0:
            ctx[[CTX_REDIRECT_PC, CTX_REDIRECT_ICOUNT, CTX_REDIRECT_SKIP]] = layout.addresses(
                hart.uc, int(ctx[CTX_GPR]))
        self.engine.attach(ctx, getattr(self.sim, "xpulp_engine", True)
                           and getattr(self.sim, "itrace", None) is None and ctx[CTX_GPR] != 0)
        self.harts.append(hart)
        self.handles[hart.index] = [hart.add_code_hook(code_hook, lo, hi) for lo, hi in self.ranges]

    # ---- --code-hooks auto (iss/hook_layout.py) --------------------------------------------
    def settle_layout(self) -> None:
        """Keep the span hook, widen it to every custom instruction run so far, or move to
        the split layout: whichever the instructions executed so far (all harts) would
        have made cheapest. Called once, between quanta."""
        self.auto_pending = False
        counts = sum(self.sim.timing.execution_counts(h.executed) for h in self.harts)
        # the layout's own range: self.ranges also holds hook_also's (breakpoints, traces)
        self.layout, ranges = cheapest_layout(self.layout_ranges, self.split_ranges,
                                              sorted(self.originals), counts, self.base)
        if ranges != self.layout_ranges:
            self._rehook(ranges)

    def _rehook(self, ranges) -> None:
        """Replace the code hooks by hooks over `ranges` (all harts are stopped)."""
        for hart in self.harts:
            for handle in self.handles[hart.index]:
                hart.remove_hook(handle)
            self.handles[hart.index] = []
            for a, b in self.ranges:
                hart.uc.ctl_remove_cache(a, b + 4)
        for a, b in self.ranges:
            for pc, word in self.originals.items():
                if a <= pc <= b:
                    self.sim.memory.write(pc, self._unhooked_word(pc, word).to_bytes(4, "little"))
        self.ranges = []
        self.layout_ranges = ranges
        self.hooked[:] = 0
        for a, b in ranges + self.requests:
            self._hook_range(a, b)

    def hook_also(self, lo: int, hi: int) -> None:
        """Put [lo, hi] behind the code hook as well, whatever the layout (breakpoints,
        instruction traces, hardware loops set up at run time)."""
        self.requests.append((lo, hi))
        self._hook_range(lo, hi)

    # ---- slow paths (rare) -------------------------------------------------------
    def on_illegal(self, hart, pc: int) -> bool:
        """A trap at an address the scan did not see: register it if it is ours (it
        then runs through the trap hook, as other custom instructions)."""
        if pc in self.originals:
            return False
        try:
            word = self.sim.memory.read_u32(pc)
        except IndexError:
            return False
        return self._register(pc, word)

    def resume_slow(self, hart):
        """The hook stopped for Python. Returns a fault message or None to continue."""
        slow_pc = hart.native.slow_pc
        for loop in range(2):   # loop ends the code hook does not cover yet
            registers = hart.native.loop(loop)
            if registers.count > 0 and not self._covered(registers.exit):
                self.hook_also(registers.exit, registers.exit + 1)
        if slow_pc < 0:
            return None
        row = self.sites[self.actions[(slow_pc - self.base) >> 1] - 1]
        if row[S_KIND] == KIND_SYSTEM:       # retires (or sleeps) and sets pc itself
            (hart.irq.mret if row[S_OP] == MRET else hart.irq.wfi)(slow_pc)
            return None
        message = self._execute_in_python(hart, slow_pc, row)
        if message is None and not _asleep(hart):
            hart.pc = slow_pc + int(row[S_LEN])
            account(hart.ctx, slow_pc, hart.pc, 1)
        return message

    def _covered(self, address: int) -> bool:
        return any(lo <= address <= hi for lo, hi in self.ranges)

    def _execute_in_python(self, hart, pc: int, row) -> str | None:
        kind = int(row[S_KIND])
        if kind == KIND_CSR:
            return self._csr_in_python(hart, row)
        if kind == KIND_PYTHON:        # event-unit load (p.elw / cv.elw): a plain load here
            address = (hart.reg(int(row[S_RS1])) + int(row[S_IMM])) & 0xFFFFFFFF
            value, err = self.sim.bus_read(hart, address, 4)
            if err or _asleep(hart):         # asleep: the load runs again when woken
                return err
            hart.set_reg(int(row[S_RD]), value)
            return None
        if kind in (KIND_LOAD, KIND_STORE):
            base = hart.reg(int(row[S_RS1]))
            mode = int(row[S_MODE])
            offset_reg = int(row[S_RS2] if kind == KIND_LOAD else row[S_RS3])
            if mode == MEM_REGREG:
                address, new_base = (base + hart.reg(offset_reg)) & 0xFFFFFFFF, base
            elif mode == MEM_POSTINC_IMM:
                address, new_base = base, base + int(row[S_IMM])
            else:
                address, new_base = base, base + hart.reg(offset_reg)
            size = int(row[S_SIZE])
            if kind == KIND_LOAD:
                old, err = self.sim.bus_read(hart, address, size)
                if err or _asleep(hart):
                    return err
                value = old - (1 << (8 * size)) if row[S_SIGNED] and old >> (8 * size - 1) else old
                if mode != MEM_REGREG:
                    hart.set_reg(int(row[S_RS1]), new_base)
                hart.set_reg(int(row[S_RD]), value)
                new = old
            else:
                old = (int.from_bytes(self.sim.memory.read(address, size), "little")
                       if self.sim.platform.memory_at(address) is not None else 0)
                new = hart.reg(int(row[S_RS2])) & ((1 << 8 * size) - 1)
                err = self.sim.bus_write(hart, address, size, new)
                if err:
                    return err
                if mode != MEM_REGREG:
                    hart.set_reg(int(row[S_RS1]), new_base)
            self.sim.observers.notify("access", hart, address, size, kind == KIND_STORE, old, new)
            return None
        return "instruction cannot be executed"

    def _csr_in_python(self, hart, row) -> str | None:
        """Performance counters (iss.perf) and the interrupt CSRs (iss.interrupts); other
        emulated CSRs get here only when written."""
        csr, funct3, rd, src = int(row[S_IMM]), int(row[S_OP]), int(row[S_RD]), int(row[S_RS1])
        operand = src if funct3 >= 5 else hart.reg(src)
        if csr in INTERRUPT_CSRS:
            hart.set_reg(rd, hart.irq.csr(csr, funct3, operand, funct3 & 3 == 1 or src != 0))
            return None
        if csr not in hart.perf.csrs:
            return f"write to read-only CSR 0x{csr:03x}"
        old = hart.perf.read(csr)
        op = funct3 & 3
        if op == 1 or src != 0:
            hart.perf.write(csr, operand if op == 1 else (old | operand if op == 2 else old & ~operand))
        hart.set_reg(rd, old)
        return None

    def original_word(self, address: int) -> int | None:
        return self.originals.get(address, self.translated.get(address))


def _asleep(hart) -> bool:
    """The access just executed put the hart to sleep (it will run again when woken)."""
    return hart.pending is not None and hart.pending.reason == "sleep"
