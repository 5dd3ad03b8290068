"""Custom instructions of a firmware image: static scan, NOP patching, hook ranges,
and the rare cases executed in Python (MMIO accesses, event loads, dynamic sites)."""
from __future__ import annotations

import numpy as np

from .hooks import (CTX_ACTIONS, CTX_END_INCLUSIVE, CTX_FN_REG_READ, CTX_FN_REG_WRITE,
                    CTX_HARTID, CTX_HOOKED, CTX_INSTRET, CTX_SITES, CTX_SLOW_PC)
from .isa.decoder import HWLOOP_END_INCLUSIVE, decode
from .isa.spec import (HW_ENDI, HW_SETUP, HW_SETUPI, KIND_ELW, KIND_HWLOOP, KIND_LOAD,
                       KIND_STORE, MEM_POSTINC_IMM, MEM_REGREG)
from .native import c_function_address
from .xpulp_exec import (CSR_CYCLE, CSR_CYCLEH, CSR_INSTRET, CSR_INSTRETH, CSR_MCYCLE,
                         CSR_MCYCLEH, CSR_MHARTID, CSR_MINSTRET, CSR_MINSTRETH, CSR_UHARTID,
                         HWLOOP_CSR_BASE, HWLOOP_CSR_WRITABLE, KIND_CSR, KIND_PYTHON, S_IMM,
                         S_IMM2, S_KIND, S_LEN, S_MODE, S_OP, S_RD, S_RS1, S_RS2, S_RS3, S_SIGNED,
                         S_SIZE, SITE_FIELDS, code_hook)

NOP = 0x00000013
HOOK_GAP = 256          # custom sites closer than this share one code-hook range


class CustomCode:
    def __init__(self, sim):
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
        loop_base = HWLOOP_CSR_BASE[self.flavour]
        self.emulated_csrs = {CSR_MHARTID, CSR_UHARTID, CSR_MCYCLE, CSR_MINSTRET, CSR_MCYCLEH,
                              CSR_MINSTRETH, CSR_CYCLE, CSR_INSTRET, CSR_CYCLEH, CSR_INSTRETH,
                              *(loop_base + i for i in (0, 1, 2, 4, 5, 6))}
        self.loop_csr_info = loop_base | (HWLOOP_CSR_WRITABLE[self.flavour] << 12)
        wanted = self._scan(sim.image)
        self.ranges = _cluster(sorted(wanted))
        for lo, hi in self.ranges:
            self._mark_hooked(lo, hi)

    # ---- load time ---------------------------------------------------------------
    def _scan(self, image) -> set[int]:
        """Patch every custom instruction of the executable segments; return the
        addresses the code hook must see (sites and statically known loop exits)."""
        wanted = set()
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
                    wanted.add(pc + off)
                    exit_address = self._static_loop_exit(pc + off)
                    if exit_address is not None:
                        wanted.add(exit_address)
                off += 4
        return wanted

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
        self.sim.memory.write(pc, NOP.to_bytes(4, "little"))
        return True

    def _site_row(self, word: int):
        d = decode(word, self.flavour)
        row = np.zeros(SITE_FIELDS, dtype=np.int64)
        row[S_LEN] = 4
        if d is not None:
            kind = KIND_PYTHON if d.kind == KIND_ELW else d.kind
            row[[S_KIND, S_OP, S_RD, S_RS1, S_RS2, S_RS3, S_IMM, S_IMM2, S_SIZE, S_SIGNED, S_MODE]] = (
                kind, d.op, d.rd, d.rs1, d.rs2, d.rs3, d.imm, d.imm2, d.mem_size or 4,
                int(d.mem_signed), d.mem_mode)
            return row
        if word & 0x7F == 0x73 and (word >> 12) & 7 not in (0, 4) and (word >> 20) in self.emulated_csrs:
            row[[S_KIND, S_OP, S_RD, S_RS1, S_IMM, S_IMM2]] = (
                KIND_CSR, (word >> 12) & 7, (word >> 7) & 31, (word >> 15) & 31, word >> 20,
                self.loop_csr_info)
            return row
        return None

    def _static_loop_exit(self, pc: int) -> int | None:
        site = self.actions[(pc - self.base) >> 1] - 1
        row = self.sites[site]
        if row[S_KIND] != KIND_HWLOOP or row[S_OP] not in (HW_ENDI, HW_SETUP, HW_SETUPI):
            return None
        end = pc + int(row[S_IMM])
        if HWLOOP_END_INCLUSIVE[self.flavour]:
            return end + self.sim.memory_instruction_length(end)
        return end

    def _mark_hooked(self, lo: int, hi: int) -> None:
        a, b = max(lo, self.base), min(hi, self.end)
        if a < b:
            self.hooked[(a - self.base) >> 1:(b - self.base + 1) >> 1] = 1

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
        self.harts.append(hart)
        for lo, hi in self.ranges:
            hart.add_code_hook(code_hook, lo, hi)

    def _hook_range(self, lo: int, hi: int) -> None:
        self.ranges.append((lo, hi))
        self._mark_hooked(lo, hi)
        for hart in self.harts:
            hart.add_code_hook(code_hook, lo, hi)
            hart.uc.ctl_remove_cache(lo, hi + 4)

    # ---- slow paths (rare) -------------------------------------------------------
    def on_illegal(self, hart, pc: int) -> bool:
        """A trap at an address the scan did not see: register it if it is ours."""
        try:
            word = self.sim.memory.read_u32(pc)
        except IndexError:
            return False
        if not self._register(pc, word):
            return False
        self._hook_range(pc, pc + 3)
        for h in self.harts:
            h.uc.ctl_remove_cache(pc, pc + 4)
        return True

    def resume_slow(self, hart):
        """The hook stopped for Python. Returns a fault message or None to continue."""
        slow_pc = int(hart.ctx[CTX_SLOW_PC])
        for loop in range(2):   # loop ends the code hook does not cover yet
            exit_address = int(hart.ctx[19 + 4 * loop])
            if hart.ctx[20 + 4 * loop] > 0 and not self._covered(exit_address):
                self._hook_range(exit_address, exit_address + 1)
        if slow_pc < 0:
            return None
        row = self.sites[self.actions[(slow_pc - self.base) >> 1] - 1]
        message = self._execute_in_python(hart, slow_pc, row)
        if message is None:
            hart.pc = slow_pc + int(row[S_LEN])
            hart.ctx[CTX_INSTRET] += 1
        return message

    def _covered(self, address: int) -> bool:
        return any(lo <= address <= hi for lo, hi in self.ranges)

    def _execute_in_python(self, hart, pc: int, row) -> str | None:
        kind = int(row[S_KIND])
        if kind == KIND_CSR:
            return f"write to read-only CSR 0x{int(row[S_IMM]):03x}"
        if kind == KIND_PYTHON:        # event-unit load (p.elw / cv.elw): a plain load here
            address = (hart.reg(int(row[S_RS1])) + int(row[S_IMM])) & 0xFFFFFFFF
            value, err = self.sim.bus_read(hart, address, 4)
            if err:
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
                value, err = self.sim.bus_read(hart, address, size)
                if err:
                    return err
                if row[S_SIGNED] and value >> (8 * size - 1):
                    value -= 1 << (8 * size)
                if mode != MEM_REGREG:
                    hart.set_reg(int(row[S_RS1]), new_base)
                hart.set_reg(int(row[S_RD]), value)
            else:
                err = self.sim.bus_write(hart, address, size, hart.reg(int(row[S_RS2])))
                if err:
                    return err
                if mode != MEM_REGREG:
                    hart.set_reg(int(row[S_RS1]), new_base)
            return None
        return "instruction cannot be executed"

    def original_word(self, address: int) -> int | None:
        return self.originals.get(address)


def _cluster(addresses: list[int]) -> list[tuple[int, int]]:
    """Group addresses into [lo, hi] ranges: one code hook each (each hook costs every
    hooked instruction ~2 ns, each instruction inside a range ~5 ns; ARCHITECTURE.md)."""
    ranges = []
    for a in addresses:
        if ranges and a - ranges[-1][1] <= HOOK_GAP:
            ranges[-1][1] = a + 3
        else:
            ranges.append([a, a + 3])
    return [tuple(r) for r in ranges]
