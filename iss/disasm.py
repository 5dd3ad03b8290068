"""objdump-style listing of a firmware image (RV32IMC + the flavour's custom instructions)."""
from __future__ import annotations

from .elf import ElfImage
from .errors import IssError
from .isa.decoder import disassemble


def format_instruction(code: bytes, pc: int, flavour: str, image: ElfImage | None = None) -> tuple[int, str]:
    """(length, 'raw-word  mnemonic operands') for the instruction at pc."""
    symbolize = image.symbolize if image is not None else None
    length, mnemonic, operands = disassemble(code, pc, flavour, symbolize)
    raw = int.from_bytes(code[:length], "little")
    word = f"{raw:08x}" if length == 4 else f"{raw:04x}    "
    return length, f"{word}  {mnemonic}{' ' + operands if operands else ''}"


def listing(image: ElfImage, flavour: str, function: str | None = None):
    """Yield the lines of the listing, one per instruction plus function headers."""
    ranges = _ranges(image, function)
    for start, end, data in ranges:
        pc = start
        while pc < end:
            hit = image.function_at(pc)
            if hit is not None and hit[1] == 0:
                yield ""
                yield f"{pc:08x} <{hit[0]}>:"
            off = pc - start
            length, text = format_instruction(data[off:off + 4], pc, flavour, image)
            yield f"{pc:8x}:\t{text}"
            pc += length


def _ranges(image: ElfImage, function: str | None):
    segments = [s for s in image.segments if s.executable]
    if function is None:
        return [(s.address, s.address + len(s.data), s.data) for s in segments]
    match = [f for f in image.functions if f[2] == function]
    if not match:
        raise IssError(f"no function named '{function}' in {image.path}")
    start, size, _ = match[0]
    if size == 0:    # assembly without .size: up to the next function or the segment end
        later = [f[0] for f in image.functions if f[0] > start]
        size = (min(later) - start) if later else 0
    for s in segments:
        if s.address <= start < s.address + len(s.data):
            off = start - s.address
            end = start + size if size else s.address + len(s.data)
            return [(start, end, s.data[off:end - s.address + 4])]
    raise IssError(f"function '{function}' is not in an executable segment")
