"""Instruction trace (`iss run --itrace FILE`): one line per executed instruction. SLOW.

A Python code hook runs in front of every instruction of the traced harts (~0.1
MIPS instead of hundreds); harts not selected by `--itrace-harts` run at full speed.

Format (text, `#` lines are comments; fields separated by single spaces):

    HART CYCLE PC WORD MNEMONIC [OPERANDS] [; REG=VALUE ... [mem 0xADDR [0xVALUE]]]

  HART      hart index (decimal)
  CYCLE     the hart's cycle at which the instruction starts (decimal; timing model)
  PC        address, 8 hex digits
  WORD      the instruction word as in the ELF: 8 hex digits, or 4 for a compressed one
            (custom instructions show their original word, not the simulator's patch)
  MNEMONIC  disassembly as `iss disasm` prints it
  ; ...     register write-back: the destination register and any other register the
            instruction changed (post-increment bases), ABI names, `=0x` + 8 hex digits;
            `; slept` marks an event-unit wait that put the core to sleep (it runs again,
            and appears again, when the core is woken)
  mem ...   with `--itrace-mem` (opt-in: the default lines stay as they were), after the
            write-back, as Spike's commit log: `mem 0xADDR` for a load (the value loaded is
            the destination register's write-back), `mem 0xADDR 0xVALUE` for a store
            (VALUE: 2, 4 or 8 hex digits for a byte, half, word). Every load and store:
            RV32, compressed, XpulpV2 / CORE-V post-increment (ADDR = the old base) and
            register-offset forms, event-unit loads. Not on `; slept` lines (the access
            is made again, and shown, when the core is woken).

Function names: a comment line `# HART <function>` comes before a hart's line whenever
that line's (hart, function) differs from the previous line's (a call, a return, another
hart's lines in between); the function is the ELF symbol containing the PC, or else the
closest symbol below it.

Lines of different harts interleave in scheduler order (each hart's own lines are in
program order). `--itrace-range LO:HI` keeps instructions with LO <= PC < HI (hex or
decimal numbers, or a function name: its own code and every copy of it inlined into other
functions, from the DWARF DW_TAG_inlined_subroutine ranges).
"""
from __future__ import annotations

import ctypes
import struct
from bisect import bisect_right

from unicorn import unicorn_const as UC
from unicorn.riscv_const import UC_RISCV_REG_X0

from .disasm import format_instruction
from .errors import IssError
from .isa.decoder import decode_insn, memory_operand

ABI = ("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
       "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
       "t3", "t4", "t5", "t6")
_REGS = struct.Struct("<32I")


class _HartState:
    __slots__ = ("hart", "pending", "cycle", "sleep", "before", "gpr")

    def __init__(self, hart):
        self.hart = hart
        self.pending = None      # pc of the instruction whose write-back is not known yet
        self.cycle = 0
        self.sleep = 0
        self.before = b""
        self.gpr = 0


def parse_range(text: str, image) -> list[tuple[int, int]]:
    """'LO:HI' (numbers) or a function name -> sorted, disjoint [lo, hi) ranges: the
    function's own code (ELF symbol) and every copy of it inlined elsewhere (DWARF)."""
    if ":" not in text:
        ranges = []
        match = [f for f in image.functions if f[2] == text]
        if match:
            start, size, _ = match[0]
            later = [f[0] for f in image.functions if f[0] > start]
            ranges.append((start, start + (size or ((min(later) if later else start + 4) - start))))
        inlined = image.inlined_ranges(text)
        ranges += inlined or []
        if not ranges:
            if inlined is None:
                raise IssError(f"--itrace-range: '{text}' is neither LO:HI nor a function name "
                               f"(and {image.path} has no DWARF info to find it inlined: build "
                               f"with -g)")
            raise IssError(f"--itrace-range: '{text}' is neither LO:HI nor a function name "
                           f"(no symbol, and no inlined copy in the DWARF info: built with -g?)")
        return _merge(ranges)
    lo, hi = text.split(":", 1)
    try:
        return [(int(lo, 0), int(hi, 0))]
    except ValueError:
        raise IssError(f"--itrace-range: bad range '{text}' (LO:HI, e.g. 0x1c000000:0x1c001000)") from None


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _hook_all_custom(sim) -> None:
    """Put the whole code range behind the native code hook (custom instructions NOP-patched
    and run by the hook): a trapping instruction gets no code hook, so the trace would miss
    it. Ranges already hooked are left alone (a second hook would run them twice)."""
    custom, pos, end = sim.custom, sim.memory.code_base, sim.memory.code_end
    for lo, hi in sorted(custom.ranges):
        if lo > pos:
            custom.hook_also(pos, min(lo, end) - 1)
        pos = max(pos, hi + 1)
    if pos < end:
        custom.hook_also(pos, end - 1)


class InstructionTrace:
    def __init__(self, out, harts: set[int] | None = None, address_range: str | None = None,
                 mem: bool = False):
        self.out = out
        self.mem = mem           # --itrace-mem: Spike-style `mem 0xADDR [0xVALUE]` fields
        self.harts = harts
        self.range_text = address_range
        self.starts, self.ends = [0], [1 << 32]      # traced [lo, hi) ranges, sorted
        self.sim = None
        self.states: dict[int, _HartState] = {}
        self.cache: dict[int, tuple[str, int]] = {}
        self._handles = []
        self.lines = 0
        self.last = None         # (hart, function) of the last line written

    def attach(self, hart) -> None:
        """Called by Hart.__init__ before the custom-code hooks (ours must run first)."""
        sim = hart.sim
        if self.sim is None:
            self.sim = sim
            if self.range_text:
                ranges = parse_range(self.range_text, sim.image)
                self.starts, self.ends = [r[0] for r in ranges], [r[1] for r in ranges]
            _hook_all_custom(sim)
            self.out.write("# iss itrace/1: HART CYCLE PC WORD MNEMONIC [OPERANDS] [; REG=VALUE ..."
                           f"{' [mem 0xADDR [0xVALUE]]' if self.mem else ''}]; "
                           "'# HART <function>' lines (docs/profiling.md)\n")
        if self.harts is not None and hart.index not in self.harts:
            return
        state = self.states[hart.index] = _HartState(hart)
        self._handles.append(hart.uc.hook_add(UC.UC_HOOK_CODE, self._hook, state,
                                              sim.memory.code_base, sim.memory.code_end - 1))

    # ---- per instruction ------------------------------------------------------------------
    def _registers(self, state) -> bytes:
        if state.gpr == 0:
            state.gpr = state.hart.native.gpr_address
        if state.gpr:
            return ctypes.string_at(state.gpr, 128)
        uc = state.hart.uc
        return _REGS.pack(*(uc.reg_read(UC_RISCV_REG_X0 + i) & 0xFFFFFFFF for i in range(32)))

    def _hook(self, uc, address, size, state) -> None:
        native = state.hart.native
        timing = self.sim.timing
        cycle = native.cycles
        last, end = native.last_block, native.last_block_end
        if last <= address < end:
            cycle -= int(timing.prefix[(end - timing.base) >> 1]) - \
                int(timing.prefix[(address - timing.base) >> 1])
        if state.pending is not None:
            # it slept: time passed asleep, or it runs again at once (woken in no time)
            slept = native.sleep_cycles != state.sleep or (address == state.pending
                                                           and cycle == state.cycle)
            self._emit(state, self._registers(state), slept)
        # a hardware-loop back-edge at this address: the instruction here does not run
        for loop in range(2):
            registers = native.loop(loop)
            if address == registers.exit and registers.count > 1:
                return
        i = bisect_right(self.starts, address) - 1
        if i < 0 or address >= self.ends[i]:
            return
        state.pending, state.cycle, state.sleep = address, cycle, native.sleep_cycles
        state.before = self._registers(state)

    def _decode(self, pc: int) -> tuple[str, int]:
        got = self.cache.get(pc)
        if got is None:
            sim = self.sim
            word = sim.custom.original_word(pc)
            code = word.to_bytes(4, "little") if word is not None else sim.memory.read(pc, 4)
            _, text = format_instruction(code, pc, sim.flavour, sim.image)
            word_text, _, rest = text.partition(" ")
            text = f"{word_text} {rest.strip()}"
            d = decode_insn(int.from_bytes(code, "little"), sim.flavour)
            got = self.cache[pc] = (text, d.writes if d is not None else 0, memory_operand(d),
                                    self._function(pc))
        return got

    def _function(self, pc: int) -> str:
        image = self.sim.image
        hit = image.function_at(pc)
        if hit is not None:
            return hit[0]
        if not hasattr(self, "_symbols"):
            self._symbols = sorted((a, n) for n, a in image.symbols.items())
        i = bisect_right(self._symbols, (pc, "\uffff")) - 1
        return self._symbols[i][1] if i >= 0 else "?"

    def _emit(self, state, after: bytes, slept: bool) -> None:
        pc = state.pending
        state.pending = None
        text, rd, mem, function = self._decode(pc)
        hart = state.hart.index
        if (hart, function) != self.last:
            self.last = (hart, function)
            self.out.write(f"# {hart} <{function}>\n")
        line = f"{hart} {state.cycle} {pc:08x} {text}"
        if slept:
            line += " ; slept"
        else:
            new = _REGS.unpack(after)
            changed = []
            if after != state.before:
                old = _REGS.unpack(state.before)
                changed = [i for i in range(1, 32) if new[i] != old[i]]
            if rd and rd not in changed:
                changed.insert(0, rd)
            effects = [f"{ABI[i]}=0x{new[i]:08x}" for i in changed]
            if mem is not None and self.mem:
                store, size, base, imm, offset, data = mem
                old = _REGS.unpack(state.before)
                effects.append(f"mem 0x{(old[base] + imm + old[offset]) & 0xFFFFFFFF:08x}")
                if store:
                    effects.append(f"0x{old[data] & ((1 << 8 * size) - 1):0{2 * size}x}")
            if effects:
                line += " ; " + " ".join(effects)
        self.out.write(line + "\n")
        self.lines += 1

    def close(self) -> None:
        """Write the instructions still pending at the end of the run."""
        for state in self.states.values():
            if state.pending is not None:       # a core asleep at the end: its wait did not end
                self._emit(state, self._registers(state), state.hart.state == "sleeping")
        self.out.flush()
