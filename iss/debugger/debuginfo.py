"""The firmware's symbols, sections and DWARF line table for the debugger shell (row at
an address, a line's addresses, gdb's after-prologue breakpoint address, functions'
declaration lines and whether they return a value).  Variables and types: dwarf_vars.py."""
from __future__ import annotations

import bisect
import io
import os
from dataclasses import dataclass

from .dwarf_vars import attr_str


@dataclass
class Row:
    address: int
    file: str          # as named in the line table (e.g. "main.c")
    path: str          # best full path of the source file
    line: int
    is_stmt: bool
    prologue_end: bool
    end: int = 0       # first address after this row's range


class DebugInfo:
    """Symbols, sections, line table, functions and global variables of the firmware."""

    def __init__(self, image):
        from elftools.elf.elffile import ELFFile
        self.image = image
        self.text_ranges = [(s.address, s.address + s.memsize) for s in image.segments
                            if s.executable]
        with open(image.path, "rb") as f:
            elf = ELFFile(io.BytesIO(f.read()))
        self.elf = elf
        self.sections = []
        for sec in elf.iter_sections():
            if sec["sh_flags"] & 2 and sec["sh_size"]:        # SHF_ALLOC
                self.sections.append((sec["sh_addr"], sec["sh_addr"] + sec["sh_size"], sec.name))
        self.symbols: dict[str, tuple[int, int, str]] = {}    # name -> (value, size, kind)
        table = elf.get_section_by_name(".symtab")
        if table is not None:
            for s in table.iter_symbols():
                kind = s["st_info"]["type"]
                if not s.name or s["st_shndx"] == "SHN_UNDEF" or kind not in (
                        "STT_FUNC", "STT_OBJECT", "STT_NOTYPE"):
                    continue
                if s.name.startswith((".L", "$")):
                    continue
                self.symbols.setdefault(s.name, (s["st_value"], s["st_size"], kind))
        self.objects = sorted((v, sz, n) for n, (v, sz, k) in self.symbols.items()
                              if k in ("STT_FUNC", "STT_OBJECT"))
        self._object_starts = [o[0] for o in self.objects]
        self.rows: list[Row] = []
        self.returns_value: dict[int, bool] = {}     # function low_pc -> non-void
        self.function_lines: dict[str, tuple[str, str, int]] = {}   # name -> (file, path, line)
        if elf.has_dwarf_info():
            try:
                self._read_dwarf(elf)
            except Exception:        # damaged debug info: symbols still work
                pass
        self.rows.sort(key=lambda r: r.address)
        self._starts = [r.address for r in self.rows]
        # effective statement starts: address -> row (last row at an address wins)
        self.stmt: dict[int, Row] = {}
        for r in self.rows:
            if r.end > r.address or r.address not in self.stmt:
                if r.is_stmt and r.line:
                    self.stmt[r.address] = r
                elif r.end > r.address:
                    self.stmt.pop(r.address, None)

    def in_text(self, address: int) -> bool:
        return any(lo <= address < hi for lo, hi in self.text_ranges)

    # ---- DWARF ----------------------------------------------------------------------
    def _read_dwarf(self, elf) -> None:
        dwarf = elf.get_dwarf_info()
        for cu in dwarf.iter_CUs():
            top = cu.get_top_DIE()
            comp_dir = attr_str(top, "DW_AT_comp_dir") or ""
            prog = dwarf.line_program_for_CU(cu)
            if prog is not None:
                self._read_lines(prog, comp_dir)
            try:
                self._read_dies(top, cu)
            except Exception:
                pass

    def _read_lines(self, prog, comp_dir: str) -> None:
        version = prog.header["version"]
        dirs = [d.decode(errors="replace") if isinstance(d, bytes) else str(d)
                for d in prog.header["include_directory"]]
        files = {}
        base = 0 if version >= 5 else 1
        for i, entry in enumerate(prog.header["file_entry"]):
            name = entry.name.decode(errors="replace")
            d = entry.dir_index
            if version >= 5:
                directory = dirs[d] if d < len(dirs) else ""
            else:
                directory = dirs[d - 1] if 0 < d <= len(dirs) else ""
            path = os.path.join(comp_dir, directory, name)
            files[i + base] = (name, path)
        seq: list[Row] = []
        for entry in prog.get_entries():
            st = entry.state
            if st is None:
                continue
            if st.end_sequence:
                for a, b in zip(seq, seq[1:], strict=False):
                    a.end = b.address
                if seq:
                    seq[-1].end = st.address
                if seq and self.in_text(seq[0].address):
                    self.rows.extend(seq)
                seq = []
                continue
            name, path = files.get(st.file, ("??", "??"))
            seq.append(Row(st.address, name, path, st.line, bool(st.is_stmt),
                           bool(st.prologue_end)))

    def _read_dies(self, top, cu) -> None:
        for die in top.iter_children():
            if die.tag == "DW_TAG_subprogram":
                low = die.attributes.get("DW_AT_low_pc")
                origin = die
                for _ in range(4):          # out-of-line copies: the abstract origin
                    ref = next((a for a in ("DW_AT_abstract_origin", "DW_AT_specification")
                                if a in origin.attributes), None)
                    if ref is None:
                        break
                    origin = origin.get_DIE_from_attribute(ref)
                if low is not None:
                    self.returns_value[low.value] = "DW_AT_type" in origin.attributes
                name = attr_str(origin, "DW_AT_name")
                line = origin.attributes.get("DW_AT_decl_line")
                if name and line is not None and low is not None:
                    self.function_lines[name] = (None, None, line.value)

    # ---- lines ------------------------------------------------------------------------
    def row_at(self, address: int) -> Row | None:
        i = bisect.bisect_right(self._starts, address) - 1
        while i >= 0:
            r = self.rows[i]
            if r.address <= address < r.end:
                return r if r.line else None
            if r.address < address and r.end <= address and i and \
                    self.rows[i - 1].address != r.address:
                return None
            i -= 1
        return None

    def line_start(self, address: int) -> int | None:
        """Start address of the contiguous range of address's line (for frame printing)."""
        r = self.row_at(address)
        if r is None:
            return None
        i = bisect.bisect_right(self._starts, address) - 1
        start = r.address
        while i > 0:
            p = self.rows[i - 1]
            if p.end == start and p.line == r.line and p.file == r.file and p.end > p.address:
                start = p.address
                i -= 1
            elif p.address == start or p.end <= p.address:
                i -= 1
            else:
                break
        return start

    def files(self) -> set[str]:
        return {r.file for r in self.rows}

    def addresses_for_line(self, file: str | None, line: int) -> tuple[int, Row] | None:
        """The lowest statement address of `line` (or the next line with code) in file."""
        def match(r):
            return file is None or r.file == file or r.path == file or \
                r.path.endswith("/" + file)
        rows = [r for r in self.stmt.values() if match(r)]
        if not rows:
            return None
        later = sorted({r.line for r in rows if r.line >= line})
        for ln in later[:1]:
            best = min((r for r in rows if r.line == ln), key=lambda r: r.address)
            return best.address, best
        return None

    def after_prologue(self, start: int, end: int) -> int:
        """gdb's breakpoint address for a function: its prologue_end (or second line row)."""
        rows = [r for r in self.rows[bisect.bisect_left(self._starts, start):]
                if r.address < end]
        for r in rows:
            if r.prologue_end and r.line:
                return r.address
        first = next((r for r in rows if r.line), None)
        if first is None:
            return start
        for r in rows:
            if r.address > start and r.line and r.line != first.line:
                return r.address
        return start

    # ---- symbols -------------------------------------------------------------------------
    def data_symbol(self, address: int) -> str | None:
        """`sym` or `sym+off` for any address inside a function or object."""
        i = bisect.bisect_right(self._object_starts, address) - 1
        while i >= 0:
            start, size, name = self.objects[i]
            if address < start + max(size, 1):
                off = address - start
                return f"{name}+{off}" if off else name
            if start < address - 0x10000:
                break
            i -= 1
        return None

    def section_of(self, address: int) -> str | None:
        for lo, hi, name in self.sections:
            if lo <= address < hi:
                return name
        return None

