"""A hint for the one-line fault report when the ISA flavour is the likely cause.

A CORE-V (`cv.*`) build run with `--isa xpulpv2`, or an XpulpV2 (`p.*`/`pv.*`/`lp.*`) build
run with `--isa corev`, stops at its first custom instruction (or custom CSR) with an
illegal-instruction fault. When the faulting word is a valid instruction of the other
flavour, or the CSR it accesses is one the other flavour emulates, the report says so.
"""
from __future__ import annotations

from .isa.decoder import KIND_ZICSR, decode, decode_insn
from .isa_flavour import FLAVOURS
from .perf import perf_csrs

# the hardware-loop CSRs (lpstart0, lpend0, lpcount0, -, lpstart1, lpend1, lpcount1) from
# the flavour's base; custom_code.CustomCode.emulated_csrs holds the same set for the run
_LOOP_CSR_OFFSETS = (0, 1, 2, 4, 5, 6)


def flavour_csrs(flavour: str) -> set[int]:
    """The CSRs only some flavours have: hardware loops and performance counters."""
    from .xpulp_exec import HWLOOP_CSR_BASE
    base = HWLOOP_CSR_BASE[flavour]
    return {base + i for i in _LOOP_CSR_OFFSETS} | perf_csrs(flavour)


def flavour_hint(sim, stop) -> str:
    """'' or '; hint: ...' to append to Simulator.describe_stop's line."""
    if stop.reason != "fault" or not stop.message.startswith("illegal instruction") \
            or stop.pc is None:
        return ""
    word = sim.custom.original_word(stop.pc)
    if word is None:
        try:
            word = int.from_bytes(sim.memory.read(stop.pc, 4), "little")
        except IndexError:
            return ""
    if word & 3 != 3:                         # compressed: no custom instructions there
        return ""
    this = sim.flavour
    other = next(f for f in FLAVOURS if f != this)
    what = None
    d = decode(word, other)
    if d is not None:
        from .disasm import format_instruction
        _, text = format_instruction(word.to_bytes(4, "little"), stop.pc, other, sim.image)
        what = f"'{text.split(None, 1)[1]}' is a {other} instruction"
    elif (base := decode_insn(word, this)) is not None and base.kind == KIND_ZICSR:
        csr = base.imm
        if csr in flavour_csrs(other) and csr not in flavour_csrs(this):
            what = f"CSR 0x{csr:03x} is a {other} CSR (hardware loop or performance counter)"
    if what is None:
        return ""
    return (f"; hint: {what}: the ISA flavour is the likely cause (this run: "
            f"--isa {this}; try --isa {other})")
