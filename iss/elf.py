"""ELF loading with pyelftools: loadable segments, entry, symbols, ISA string, DWARF lines."""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from elftools.common.exceptions import ELFError as _PyElfError
from elftools.elf.elffile import ELFFile

from .errors import ElfError
from .inputfile import read_input
from .schema import ADDRESS_SPACE

EM_RISCV = 243


@dataclass(frozen=True)
class Segment:
    address: int
    data: bytes          # file bytes, zero-extended to memsize by the loader
    memsize: int
    executable: bool
    writable: bool
    index: int = 0       # program header number, to name the segment in errors

    def describe(self) -> str:
        return f"segment {self.index} at 0x{self.address:08x} ({self.memsize} bytes)"


@dataclass
class ElfImage:
    path: Path
    entry: int
    segments: list[Segment]
    symbols: dict[str, int]                 # name -> address (functions and objects)
    functions: list[tuple[int, int, str]]   # sorted (start, size, name)
    arch: str | None                        # .riscv.attributes Tag_RISCV_arch
    _elf_bytes: bytes = field(repr=False, default=b"")
    _lines: list | None = field(repr=False, default=None)

    def function_at(self, address: int) -> tuple[str, int] | None:
        """(name, offset) of the function containing address, objdump style."""
        starts = [f[0] for f in self.functions]
        i = bisect.bisect_right(starts, address) - 1
        if i < 0:
            return None
        start, size, name = self.functions[i]
        if address < start + max(size, 1):
            return name, address - start
        return None

    def symbolize(self, address: int) -> str | None:
        hit = self.function_at(address)
        if hit is None:
            return None
        name, off = hit
        return f"{name}+0x{off:x}" if off else name

    def section_data(self, name: str) -> bytes | None:
        """The bytes of section `name` (None if the image has none): for plugins that read
        their own sections (the IMA's weights), parsed from the bytes already read."""
        import io
        try:
            section = ELFFile(io.BytesIO(self._elf_bytes)).get_section_by_name(name)
            return None if section is None else section.data()
        except Exception as e:  # pyelftools raises assorted errors on corrupt input
            raise ElfError(f"{self.path}: section {name}: malformed ELF ({type(e).__name__}: "
                           f"{e})") from None

    def line_table(self) -> list[tuple[int, str, int]]:
        """Sorted (address, file, line) rows from DWARF .debug_line (empty if absent)."""
        if self._lines is None:
            self._lines = _read_line_table(self._elf_bytes)
        return self._lines

    def inlined_ranges(self, name: str) -> list[tuple[int, int]] | None:
        """Sorted [lo, hi) address ranges of the copies of function `name` inlined into
        other functions (DWARF DW_TAG_inlined_subroutine whose origin is named `name`);
        None if the image has no DWARF info."""
        return _read_inlined_ranges(self._elf_bytes, name)


def load_elf(path: str | Path) -> ElfImage:
    path = Path(path)
    raw = read_input(path, ElfError, "an ELF file")
    if raw[:4] != b"\x7fELF":
        raise ElfError(f"{path}: not an ELF file")
    try:
        image = _parse(path, raw)
    except ElfError:
        raise
    except (_PyElfError, ValueError, KeyError, IndexError, AssertionError) as e:
        raise ElfError(f"{path}: malformed or truncated ELF file ({e})") from None
    except Exception as e:  # pyelftools raises assorted errors on corrupt input
        raise ElfError(f"{path}: malformed or truncated ELF file ({type(e).__name__})") from None
    _check_image(image)
    return image


def _parse(path: Path, raw: bytes) -> ElfImage:
    import io
    elf = ELFFile(io.BytesIO(raw))
    if elf.elfclass != 32:
        raise ElfError(f"{path}: ELF class {elf.elfclass}-bit, expected 32-bit RISC-V (RV32)")
    if not elf.little_endian:
        raise ElfError(f"{path}: big-endian ELF, expected little-endian RISC-V")
    if elf["e_machine"] not in ("EM_RISCV", EM_RISCV):
        raise ElfError(f"{path}: machine {elf['e_machine']}, expected RISC-V (EM_RISCV)")
    segments = []
    for index, seg in enumerate(elf.iter_segments()):
        if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
            continue
        where = f"{path}: segment {index} at 0x{seg['p_paddr']:08x}"
        if seg["p_filesz"] > seg["p_memsz"]:
            raise ElfError(f"{where}: p_filesz ({seg['p_filesz']}) > p_memsz ({seg['p_memsz']})")
        data = seg.data()
        if len(data) != seg["p_filesz"]:
            raise ElfError(f"{where}: truncated ELF file (file bytes end before the segment's)")
        segments.append(Segment(seg["p_paddr"], data, seg["p_memsz"],
                                bool(seg["p_flags"] & 1), bool(seg["p_flags"] & 2), index))
    if not segments:
        raise ElfError(f"{path}: no loadable segments")
    symbols, functions = _symbols(elf)
    return ElfImage(path=path, entry=elf["e_entry"], segments=segments, symbols=symbols,
                    functions=functions, arch=_riscv_arch(elf), _elf_bytes=raw)


def _check_image(image: ElfImage) -> None:
    """What the harts need of an image whatever the platform: code to run, from an even
    entry (RISC-V instructions are 2-byte aligned with C), inside the 32-bit space."""
    for s in image.segments:
        if s.address + s.memsize > ADDRESS_SPACE:
            raise ElfError(f"{image.path}: {s.describe()} ends beyond the 32-bit address space")
    if not any(s.executable for s in image.segments):
        raise ElfError(f"{image.path}: no executable segment (no PT_LOAD with PF_X): no code "
                       f"to run")
    if image.entry & 1:
        raise ElfError(f"{image.path}: entry point 0x{image.entry:x} is odd: instructions are "
                       f"2-byte aligned")


# Elf32_Sym; read with numpy: pyelftools' per-symbol parsing took ~0.9 s for a 6,000-symbol
# firmware, most of a simulation's start-up
_ELF32_SYM = np.dtype([("name", "<u4"), ("value", "<u4"), ("size", "<u4"), ("info", "u1"),
                       ("other", "u1"), ("shndx", "<u2")])
_STT_NOTYPE, _STT_OBJECT, _STT_FUNC = 0, 1, 2


def _symbols(elf: ELFFile) -> tuple[dict[str, int], list[tuple[int, int, str]]]:
    """Defined function/object/untyped symbols (first definition of a name wins) and the
    functions as sorted (address, size, name)."""
    symbols: dict[str, int] = {}
    functions = []
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None:
        return symbols, functions
    data = symtab.data()
    table = np.frombuffer(data[:len(data) - len(data) % _ELF32_SYM.itemsize], dtype=_ELF32_SYM)
    strtab = elf.get_section(symtab["sh_link"]).data()
    for name, value, size, info, shndx in zip(table["name"].tolist(), table["value"].tolist(),
                                              table["size"].tolist(), table["info"].tolist(),
                                              table["shndx"].tolist(), strict=True):
        kind = info & 0xF
        if name == 0 or kind > _STT_FUNC or shndx == 0:      # unnamed, other type, undefined
            continue
        end = strtab.find(b"\0", name)
        text = strtab[name:end if end >= 0 else len(strtab)].decode("utf-8", errors="replace")
        if not text:
            continue
        symbols.setdefault(text, value)
        if kind == _STT_FUNC:
            functions.append((value, size, text))
    functions.sort()
    return symbols, functions


def _riscv_arch(elf: ELFFile) -> str | None:
    sec = elf.get_section_by_name(".riscv.attributes")
    if sec is None:
        return None
    try:
        for sub in sec.iter_subsections():
            for subsub in sub.iter_subsubsections():
                for attr in subsub.iter_attributes():
                    if attr.tag == "TAG_ARCH":
                        return attr.value
    except Exception:
        return None
    return None


def _read_line_table(raw: bytes) -> list[tuple[int, str, int]]:
    import io
    elf = ELFFile(io.BytesIO(raw))
    if not elf.has_dwarf_info():
        return []
    rows = []
    dwarf = elf.get_dwarf_info()
    for cu in dwarf.iter_CUs():
        prog = dwarf.line_program_for_CU(cu)
        if prog is None:
            continue
        names = _file_names(prog)
        for entry in prog.get_entries():
            st = entry.state
            if st is None or st.end_sequence:
                continue
            rows.append((st.address, names.get(st.file, "?"), st.line))
    rows.sort()
    return rows


def _read_inlined_ranges(raw: bytes, name: str) -> list[tuple[int, int]] | None:
    import io
    elf = ELFFile(io.BytesIO(raw))
    if not elf.has_dwarf_info():
        return None
    dwarf = elf.get_dwarf_info()
    range_lists = None
    ranges = []
    for cu in dwarf.iter_CUs():
        for die in cu.iter_DIEs():
            if die.tag != "DW_TAG_inlined_subroutine" or _origin_name(die) != name:
                continue
            attrs = die.attributes
            if "DW_AT_low_pc" in attrs and "DW_AT_high_pc" in attrs:
                lo = attrs["DW_AT_low_pc"].value
                high = attrs["DW_AT_high_pc"]
                # DWARF 4+: high_pc of a constant class is an offset from low_pc
                hi = high.value if high.form == "DW_FORM_addr" else lo + high.value
                ranges.append((lo, hi))
            elif "DW_AT_ranges" in attrs:
                if range_lists is None:
                    range_lists = dwarf.range_lists()
                base = cu.get_top_DIE().attributes.get("DW_AT_low_pc")
                base = base.value if base is not None else 0
                for entry in _range_entries(range_lists, die, cu):
                    if type(entry).__name__ == "BaseAddressEntry":
                        base = entry.base_address
                    elif getattr(entry, "is_absolute", False):
                        ranges.append((entry.begin_offset, entry.end_offset))
                    else:
                        ranges.append((base + entry.begin_offset, base + entry.end_offset))
    return sorted((lo, hi) for lo, hi in ranges if hi > lo)


def _range_entries(range_lists, die, cu):
    # pyelftools gives the offset (DW_FORM_rnglistx indexes resolved) in .debug_ranges
    # (DWARF 4) or .debug_rnglists (DWARF 5), whichever the CU's version uses
    if range_lists is None:
        return []
    return range_lists.get_range_list_at_offset(die.attributes["DW_AT_ranges"].value, cu=cu)


def _origin_name(die) -> str | None:
    """DW_AT_name of the subprogram an inlined copy comes from (through abstract origins
    and specifications)."""
    for _ in range(8):
        attrs = die.attributes
        if "DW_AT_name" in attrs:
            value = attrs["DW_AT_name"].value
            return value.decode(errors="replace") if isinstance(value, bytes) else value
        ref = attrs.get("DW_AT_abstract_origin") or attrs.get("DW_AT_specification")
        if ref is None:
            return None
        die = die.get_DIE_from_attribute(
            "DW_AT_abstract_origin" if "DW_AT_abstract_origin" in attrs else "DW_AT_specification")
    return None


def _file_names(prog) -> dict[int, str]:
    entries = prog.header["file_entry"]
    version = prog.header["version"]
    base = 0 if version >= 5 else 1
    return {i + base: e.name.decode(errors="replace") for i, e in enumerate(entries)}
