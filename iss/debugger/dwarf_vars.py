"""DWARF types, scopes and variable locations (pyelftools), for the debugger shell.

One job: from the firmware's .debug_info / .debug_loc, answer "which variables are visible
at this pc, what C type do they have and where do they live".  Nothing here touches the
simulator: locations are evaluated against a frame context (registers of the selected
frame, memory reader, entry values) supplied by the caller.

Types (`CType`) keep the DWARF structure (typedef, const/volatile, pointers, arrays,
structs/unions, enums, base types, function types) and print their names the way gdb does
(`const int *`, `int (*)(int)`, `char (*)[5]`, `struct node *`).

Locations (`evaluate`) are the result of a DWARF expression: in memory (`("mem", addr)`),
in a register (`("reg", n)`), a computed value (DW_OP_stack_value, DW_OP_implicit_value),
pieces (DW_OP_piece) or optimized out (no location, no location-list entry for the pc,
an operation we cannot evaluate).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

_CV_TAGS = {"DW_TAG_const_type": "const", "DW_TAG_volatile_type": "volatile",
            "DW_TAG_restrict_type": "restrict", "DW_TAG_atomic_type": "_Atomic"}

# DW_ATE encodings
ATE_BOOLEAN, ATE_FLOAT, ATE_SIGNED, ATE_SIGNED_CHAR, ATE_UNSIGNED, ATE_UNSIGNED_CHAR = 2, 4, 5, 6, 7, 8


class DwarfError(Exception):
    """A location or type we cannot use (the caller prints <optimized out> or an error)."""


# ============================================================================ types

@dataclass(eq=False)
class Member:
    name: str | None
    offset: int
    ctype: CType
    bit_size: int = 0
    bit_offset: int = 0          # from the least significant bit of the containing word


@dataclass(eq=False)
class CType:
    tag: str                     # base, pointer, array, struct, union, enum, typedef, cv, func, void
    name: str | None = None
    byte_size: int = 0
    encoding: int = 0            # base types: DW_ATE_*
    target: CType | None = None   # pointee, element, typedef/cv target, return type
    count: int | None = None     # array elements (None: unknown)
    qualifier: str = ""          # cv: const / volatile / restrict
    members: list = field(default_factory=list)
    enumerators: list = field(default_factory=list)   # [(name, value)]
    params: list = field(default_factory=list)        # func: [CType]
    varargs: bool = False
    prototyped: bool = False

    # ---- structure ----------------------------------------------------------------
    def strip(self) -> CType:
        """Without typedefs and qualifiers."""
        t = self
        for _ in range(64):
            if t.tag in ("typedef", "cv") and t.target is not None:
                t = t.target
            elif t.tag in ("typedef", "cv"):
                return VOID
            else:
                return t
        return t

    @property
    def size(self) -> int:
        t = self.strip()
        if t.tag == "array":
            return (t.count or 0) * t.target.size
        if t.tag == "pointer":
            return t.byte_size or 4
        if t.tag == "func":
            return 1
        return t.byte_size

    # compatibility with the shell's simple view of a type
    @property
    def kind(self) -> str:
        t = self.strip()
        if t.tag == "pointer":
            return "ptr"
        if t.tag in ("struct", "union"):
            return "struct"
        if t.tag == "array":
            return "array"
        if t.tag == "func":
            return "func"
        if t.tag == "void":
            return "void"
        if t.tag == "base" and t.encoding == ATE_FLOAT:
            return "float"
        return "int"

    @property
    def signed(self) -> bool:
        t = self.strip()
        if t.tag == "enum":
            return t.target.signed if t.target is not None else \
                any(v < 0 for _, v in t.enumerators)
        return t.tag == "base" and t.encoding in (ATE_SIGNED, ATE_SIGNED_CHAR)

    @property
    def char(self) -> bool:
        t = self.strip()
        return t.tag == "base" and t.encoding in (ATE_SIGNED_CHAR, ATE_UNSIGNED_CHAR) \
            and t.byte_size == 1

    @property
    def is_scalar(self) -> bool:
        return self.strip().tag in ("base", "pointer", "enum")

    @property
    def element(self) -> CType:
        return self.strip().target or VOID

    def member(self, name: str) -> Member | None:
        """A member by name, looking into anonymous structs/unions (offset adjusted)."""
        t = self.strip()
        for m in t.members:
            if m.name == name:
                return m
            if m.name is None and m.ctype.strip().tag in ("struct", "union"):
                inner = m.ctype.member(name)
                if inner is not None:
                    return Member(inner.name, m.offset + inner.offset, inner.ctype,
                                  inner.bit_size, inner.bit_offset)
        return None

    # ---- names (gdb's spelling) -----------------------------------------------------
    def decl(self, declarator: str = "") -> str:
        """The C declaration of `declarator` with this type (`int *p`, `short w[3]`)."""
        t = self
        if t.tag == "cv":
            inner = t.target or VOID
            if inner.tag == "pointer":
                return inner.target_decl(f"* {t.qualifier}" + (f" {declarator}" if declarator else ""))
            return f"{t.qualifier} " + inner.decl(declarator)
        if t.tag == "pointer":
            return t.target_decl("*" + declarator)
        if t.tag == "array":
            n = "" if t.count is None else str(t.count)
            return (t.target or VOID).decl(f"{declarator}[{n}]" if declarator else f"[{n}]")
        if t.tag == "func":
            ret = t.target or VOID
            return ret.decl(f"{declarator}({t.param_list()})")
        base = t.base_name()
        if not declarator:
            return base
        return f"{base} {declarator}"

    def target_decl(self, declarator: str) -> str:
        inner = self.target or VOID
        k = inner.tag
        if k in ("array", "func"):
            declarator = f"({declarator})"
        return inner.decl(declarator)

    def param_list(self) -> str:
        parts = [p.decl() for p in self.params]
        if self.varargs:
            parts.append("...")
        if not parts:
            return "void" if self.prototyped else ""
        return ", ".join(parts)

    def base_name(self) -> str:
        t = self
        if t.tag in ("struct", "union", "enum"):
            kw = t.tag
            return f"{kw} {t.name}" if t.name else f"{kw} {{...}}"
        if t.tag == "void":
            return "void"
        return t.name or "?"

    @property
    def type_name(self) -> str:
        return self.decl()

    def __str__(self) -> str:
        return self.decl()

    # ---- ptype ----------------------------------------------------------------------
    def ptype(self) -> str:
        """gdb's ptype: typedefs at the top resolved, the innermost struct/union/enum
        expanded (`struct node {\\n    int value;\\n    struct node *next;\\n} *`)."""
        t = self
        while t.tag == "typedef" and t.target is not None:
            t = t.target
        # find the base of the declarator chain
        chain = []
        b = t
        for _ in range(64):
            if b.tag in ("pointer", "array", "func", "cv") and b.target is not None:
                chain.append(b)
                b = b.target
            else:
                break
        base = b
        while base.tag == "typedef" and base.target is not None and not chain:
            base = base.target
        if base.tag == "typedef" and base.target is not None and \
                base.strip().tag in ("struct", "union", "enum") and not chain:
            base = base.strip()
        core = base.strip() if base.tag == "typedef" else base
        if core.tag not in ("struct", "union", "enum"):
            return t.decl()
        body = core.body()
        # rebuild the declarator around the expanded body
        placeholder = CType("base", name="\x00")
        rebuilt = placeholder
        for link in reversed(chain):
            rebuilt = CType(link.tag, link.name, link.byte_size, link.encoding, rebuilt,
                            link.count, link.qualifier, params=link.params,
                            varargs=link.varargs, prototyped=link.prototyped)
        return rebuilt.decl().replace("\x00", body)

    def body(self) -> str:
        t = self
        if t.tag == "enum":
            parts, expected = [], 0
            for name, value in t.enumerators:
                parts.append(name if value == expected else f"{name} = {value}")
                expected = value + 1
            head = f"enum {t.name} " if t.name else "enum "
            return head + "{" + ", ".join(parts) + "}"
        head = f"{t.tag} {t.name} " if t.name else f"{t.tag} "
        lines = [head + "{"]
        for m in t.members:
            text = m.ctype.decl(m.name or "")
            if m.bit_size:
                text += f" : {m.bit_size}"
            lines.append(f"    {text};")
        lines.append("}")
        return "\n".join(lines)


VOID = CType("void", "void", 1)


def int_type(size: int = 4, signed: bool = True, name: str | None = None, char: bool = False) -> CType:
    if char:
        enc = ATE_SIGNED_CHAR if signed else ATE_UNSIGNED_CHAR
    else:
        enc = ATE_SIGNED if signed else ATE_UNSIGNED
    if name is None:
        name = {(1, True): "signed char" if not char else "char", (1, False): "unsigned char",
                (2, True): "short", (2, False): "unsigned short", (4, True): "int",
                (4, False): "unsigned int", (8, True): "long long",
                (8, False): "unsigned long long"}.get((size, signed), "int")
    return CType("base", name, size, enc)


def pointer_to(t: CType) -> CType:
    return CType("pointer", None, 4, target=t)


def array_of(t: CType, count: int) -> CType:
    return CType("array", None, 0, target=t, count=count)


# ============================================================================ scopes

@dataclass(eq=False)
class Variable:
    name: str
    die: object                  # the DIE with the location (concrete)
    ctype: CType
    is_param: bool = False
    is_global: bool = False


@dataclass(eq=False)
class Function:
    name: str
    low: int
    high: int
    die: object
    cu: object


@dataclass
class Scope:
    """What a pc sees: innermost-first blocks of locals, the function's parameters."""
    function: Function | None
    blocks: list                 # [[Variable...]] innermost first (parameters excluded)
    params: list                 # [Variable]
    frame_base: object = None    # the subprogram DIE's DW_AT_frame_base attribute


def attr_str(die, name: str) -> str | None:
    a = die.attributes.get(name)
    if a is None:
        return None
    v = a.value
    return v.decode(errors="replace") if isinstance(v, bytes) else str(v)


def _origin(die):
    """The DIE that carries name/type: follow abstract_origin / specification."""
    for _ in range(8):
        ref = next((a for a in ("DW_AT_abstract_origin", "DW_AT_specification")
                    if a in die.attributes), None)
        if ref is None:
            return die
        die = die.get_DIE_from_attribute(ref)
    return die


class DwarfVars:
    """Lazy index of one ELF's DWARF: functions by pc, globals and types by name."""

    def __init__(self, elf):
        self.elf = elf
        self.dwarf = elf.get_dwarf_info() if elf.has_dwarf_info() else None
        self._types: dict[int, CType] = {}
        self._indexed = False
        self.functions: list[Function] = []
        self._fstarts: list[int] = []
        self.globals: dict[str, Variable] = {}
        self.type_names: dict[str, object] = {}      # "struct point", "shape_t", "int" -> DIE
        self._loc_parser = None
        self._expr_parser = None
        self._range_lists = None
        self._depths: dict[int, int] = {}

    # ---- index ----------------------------------------------------------------------
    def _index(self) -> None:
        if self._indexed:
            return
        self._indexed = True
        if self.dwarf is None:
            return
        from elftools.dwarf.dwarf_expr import DWARFExprParser
        from elftools.dwarf.locationlists import LocationParser
        self._loc_parser = LocationParser(self.dwarf.location_lists())
        self._expr_parser = DWARFExprParser(self.dwarf.structs)
        try:
            self._range_lists = self.dwarf.range_lists()
        except Exception:
            self._range_lists = None
        for cu in self.dwarf.iter_CUs():
            try:
                self._index_cu(cu)
            except Exception:           # damaged unit: skip it
                continue
        self.functions.sort(key=lambda f: f.low)
        self._fstarts = [f.low for f in self.functions]

    def _index_cu(self, cu) -> None:
        top = cu.get_top_DIE()
        for die in top.iter_children():
            tag = die.tag
            if tag == "DW_TAG_subprogram":
                for low, high in self.pc_ranges(die, cu):
                    name = attr_str(_origin(die), "DW_AT_name") or "??"
                    self.functions.append(Function(name, low, high, die, cu))
            elif tag == "DW_TAG_variable":
                origin = _origin(die)
                name = attr_str(origin, "DW_AT_name")
                if not name or "DW_AT_location" not in die.attributes:
                    continue
                if name in self.globals and not attr_str(die, "DW_AT_external"):
                    continue            # keep the first (or an external) definition
                self.globals[name] = Variable(name, die, None, is_global=True)
            elif tag in ("DW_TAG_structure_type", "DW_TAG_union_type",
                         "DW_TAG_enumeration_type", "DW_TAG_typedef", "DW_TAG_base_type"):
                name = attr_str(die, "DW_AT_name")
                if not name or die.attributes.get("DW_AT_declaration"):
                    continue
                kw = {"DW_TAG_structure_type": "struct ", "DW_TAG_union_type": "union ",
                      "DW_TAG_enumeration_type": "enum "}.get(tag, "")
                self.type_names.setdefault(kw + name, die)
                if tag == "DW_TAG_enumeration_type":
                    for child in die.iter_children():
                        if child.tag == "DW_TAG_enumerator":
                            self.type_names.setdefault("\x00enumerator " + attr_str(child, "DW_AT_name"), die)

    def pc_ranges(self, die, cu) -> list[tuple[int, int]]:
        low = die.attributes.get("DW_AT_low_pc")
        high = die.attributes.get("DW_AT_high_pc")
        if low is not None and high is not None:
            hv = high.value
            if high.form not in ("DW_FORM_addr",):
                hv = low.value + hv
            return [(low.value, hv)] if hv > low.value else []
        rng = die.attributes.get("DW_AT_ranges")
        if rng is not None and self._range_lists is not None:
            base = cu.get_top_DIE().attributes.get("DW_AT_low_pc")
            base = base.value if base is not None else 0
            out = []
            try:
                entries = self._range_lists.get_range_list_at_offset(rng.value, cu=cu)
            except TypeError:
                entries = self._range_lists.get_range_list_at_offset(rng.value)
            for e in entries:
                if hasattr(e, "base_address") and not hasattr(e, "begin_offset"):
                    base = e.base_address
                    continue
                lo, hi = e.begin_offset, e.end_offset
                if not getattr(e, "is_absolute", False):
                    lo, hi = lo + base, hi + base
                if hi > lo:
                    out.append((lo, hi))
            return out
        return []

    def function_at(self, pc: int) -> Function | None:
        self._index()
        i = bisect.bisect_right(self._fstarts, pc) - 1
        while i >= 0:
            f = self.functions[i]
            if f.low <= pc < f.high:
                return f
            if pc - f.low > 0x100000:
                break
            i -= 1
        return None

    def function_named(self, name: str) -> Function | None:
        self._index()
        return next((f for f in self.functions if f.name == name), None)

    # ---- scopes ---------------------------------------------------------------------
    def chain_at(self, pc: int):
        """(function, [DIEs containing pc, outermost first]): the subprogram, then its
        lexical blocks and inlined subroutines down to the innermost."""
        func = self.function_at(pc)
        if func is None:
            return None, []
        chain = [func.die]
        die = func.die
        for _ in range(64):
            inner = None
            for child in die.iter_children():
                if child.tag in ("DW_TAG_lexical_block", "DW_TAG_inlined_subroutine"):
                    if any(lo <= pc < hi for lo, hi in self.pc_ranges(child, func.cu)):
                        inner = child
                        break
            if inner is None:
                break
            chain.append(inner)
            die = inner
        return func, chain

    def inline_depth(self, pc: int) -> int:
        """How many inlined subroutines contain pc (gdb's inline frames at pc)."""
        cached = self._depths.get(pc)
        if cached is None:
            _, chain = self.chain_at(pc)
            cached = self._depths[pc] = sum(1 for d in chain if d.tag == "DW_TAG_inlined_subroutine")
        return cached

    def inline_entries_at(self, pc: int) -> int:
        """How many of the innermost inlined subroutines start exactly at pc (gdb shows
        a stop there in the caller, at the call site, until a step enters them)."""
        func, chain = self.chain_at(pc)
        n = 0
        for d in reversed([d for d in chain if d.tag == "DW_TAG_inlined_subroutine"]):
            entry = d.attributes.get("DW_AT_entry_pc")
            if entry is not None and entry.form in ("DW_FORM_addr", "DW_FORM_addrx"):
                start = entry.value
            else:
                ranges = self.pc_ranges(d, func.cu)
                start = min(lo for lo, _ in ranges) if ranges else None
            if start != pc:
                break
            n += 1
        return n

    def inline_frame(self, pc: int, depth: int):
        """(name, call site (file name, path, line) or None) of the function-like scope
        `depth` levels out from the innermost at pc; the call site is where the next
        inner inlined subroutine was called (None for depth 0)."""
        func, chain = self.chain_at(pc)
        if func is None:
            return None, None
        fdies = [d for d in chain if d.tag in ("DW_TAG_subprogram", "DW_TAG_inlined_subroutine")]
        depth = min(depth, len(fdies) - 1)
        die = fdies[len(fdies) - 1 - depth]
        name = attr_str(_origin(die), "DW_AT_name") or func.name
        if depth == 0:
            return name, None
        inner = fdies[len(fdies) - depth]
        cf = inner.attributes.get("DW_AT_call_file")
        cl = inner.attributes.get("DW_AT_call_line")
        if cf is None or cl is None:
            return name, None
        fname = self.file_name(func.cu, cf.value)
        return name, (fname[0], fname[1], cl.value) if fname else None

    def inline_ranges(self, pc: int, depth: int) -> list[tuple[int, int]]:
        """Code ranges of the function-like scope `depth` levels out from the innermost."""
        func, chain = self.chain_at(pc)
        if func is None:
            return []
        fdies = [d for d in chain if d.tag in ("DW_TAG_subprogram", "DW_TAG_inlined_subroutine")]
        depth = max(0, min(depth, len(fdies) - 1))
        return self.pc_ranges(fdies[len(fdies) - 1 - depth], func.cu)

    def file_name(self, cu, index: int):
        """(name as in the line table, full path) of a file number of cu's line table."""
        import os
        try:
            prog = self.dwarf.line_program_for_CU(cu)
        except Exception:
            return None
        if prog is None:
            return None
        version = prog.header["version"]
        entries = prog.header["file_entry"]
        i = index if version >= 5 else index - 1
        if not 0 <= i < len(entries):
            return None
        entry = entries[i]
        name = entry.name.decode(errors="replace") if isinstance(entry.name, bytes) else str(entry.name)
        dirs = [d.decode(errors="replace") if isinstance(d, bytes) else str(d)
                for d in prog.header["include_directory"]]
        d = entry.dir_index
        directory = (dirs[d] if d < len(dirs) else "") if version >= 5 else \
            (dirs[d - 1] if 0 < d <= len(dirs) else "")
        comp = attr_str(cu.get_top_DIE(), "DW_AT_comp_dir") or ""
        return name, os.path.join(comp, directory, name)

    def scope_at(self, pc: int, depth: int = 0) -> Scope:
        """Blocks and parameters visible at pc in the function-like scope `depth` levels
        out from the innermost (0: the innermost inlined subroutine or the function, as
        gdb's inline frames)."""
        func, chain = self.chain_at(pc)
        if func is None:
            return Scope(None, [], [])
        fidx = [i for i, d in enumerate(chain)
                if d.tag in ("DW_TAG_subprogram", "DW_TAG_inlined_subroutine")]
        depth = max(0, min(depth, len(fidx) - 1))
        start = fidx[len(fidx) - 1 - depth]
        end = fidx[len(fidx) - depth] if depth > 0 else len(chain)
        fdie = chain[start]
        blocks = []
        params = []
        for d in reversed(chain[start:end]):
            block = []
            for child in d.iter_children():
                if child.tag == "DW_TAG_variable":
                    v = self._variable(child)
                    if v is not None:
                        block.append(v)
                elif child.tag == "DW_TAG_formal_parameter" and d is fdie:
                    v = self._variable(child, param=True)
                    if v is not None:
                        params.append(v)
            blocks.append(block)
        name = attr_str(_origin(fdie), "DW_AT_name") or func.name
        function = func if fdie is func.die else Function(name, func.low, func.high, fdie, func.cu)
        return Scope(function, blocks, params, func.die.attributes.get("DW_AT_frame_base"))

    def params_of(self, func: Function) -> list:
        """The formal parameters of a (concrete) subprogram, in order."""
        out = []
        for child in func.die.iter_children():
            if child.tag == "DW_TAG_formal_parameter":
                v = self._variable(child, param=True)
                if v is not None:
                    out.append(v)
        return out

    def _variable(self, die, param: bool = False) -> Variable | None:
        origin = _origin(die)
        name = attr_str(origin, "DW_AT_name")
        if not name:
            return None
        return Variable(name, die, None, is_param=param)

    def var_type(self, var: Variable) -> CType:
        if var.ctype is None:
            origin = _origin(var.die)
            var.ctype = self.type_of(origin)
        return var.ctype

    def lookup(self, scope: Scope, name: str) -> Variable | None:
        for block in scope.blocks:
            for v in block:
                if v.name == name:
                    return v
        for v in scope.params:
            if v.name == name:
                return v
        return self.global_named(name)

    def global_named(self, name: str) -> Variable | None:
        self._index()
        return self.globals.get(name)

    # ---- types ----------------------------------------------------------------------
    def type_of(self, die) -> CType:
        """The type of a variable/member/function DIE (void when it has none)."""
        if "DW_AT_type" not in die.attributes:
            return VOID
        try:
            return self.ctype(die.get_DIE_from_attribute("DW_AT_type"))
        except Exception:
            return int_type()

    def named_type(self, name: str) -> CType | None:
        self._index()
        die = self.type_names.get(name)
        return self.ctype(die) if die is not None else None

    def enumerator(self, name: str) -> tuple[CType, int] | None:
        self._index()
        die = self.type_names.get("\x00enumerator " + name)
        if die is None:
            return None
        t = self.ctype(die)
        for n, v in t.enumerators:
            if n == name:
                return t, v
        return None

    def ctype(self, die, depth: int = 0) -> CType:
        key = die.offset
        cached = self._types.get(key)
        if cached is not None:
            return cached
        tag = die.tag
        name = attr_str(die, "DW_AT_name")
        size_attr = die.attributes.get("DW_AT_byte_size")
        size = size_attr.value if size_attr is not None and isinstance(size_attr.value, int) else 0

        def sub(d=die):
            if "DW_AT_type" not in d.attributes or depth > 48:
                return VOID
            return self.ctype(d.get_DIE_from_attribute("DW_AT_type"), depth + 1)

        if tag == "DW_TAG_base_type":
            enc = die.attributes.get("DW_AT_encoding")
            t = CType("base", name or "int", size, enc.value if enc is not None else ATE_SIGNED)
            self._types[key] = t
            return t
        if tag == "DW_TAG_unspecified_type":
            t = CType("void", name or "void", 1)
            self._types[key] = t
            return t
        if tag in _CV_TAGS:
            t = CType("cv", qualifier=_CV_TAGS[tag])
            self._types[key] = t
            t.target = sub()
            return t
        if tag == "DW_TAG_typedef":
            t = CType("typedef", name)
            self._types[key] = t
            t.target = sub()
            return t
        if tag in ("DW_TAG_pointer_type", "DW_TAG_reference_type", "DW_TAG_rvalue_reference_type"):
            t = CType("pointer", None, size or 4)
            self._types[key] = t
            t.target = sub()
            return t
        if tag == "DW_TAG_array_type":
            elem = sub()
            dims = []
            for child in die.iter_children():
                if child.tag == "DW_TAG_subrange_type":
                    c = child.attributes.get("DW_AT_count")
                    u = child.attributes.get("DW_AT_upper_bound")
                    lb = child.attributes.get("DW_AT_lower_bound")
                    if c is not None and isinstance(c.value, int):
                        dims.append(c.value)
                    elif u is not None and isinstance(u.value, int):
                        dims.append(u.value + 1 - (lb.value if lb is not None else 0))
                    else:
                        dims.append(None)
            t = elem
            for n in reversed(dims or [None]):
                t = CType("array", None, 0, target=t, count=n)
            self._types[key] = t
            return t
        if tag in ("DW_TAG_structure_type", "DW_TAG_union_type", "DW_TAG_class_type"):
            t = CType("union" if tag == "DW_TAG_union_type" else "struct", name, size)
            self._types[key] = t
            for child in die.iter_children():
                if child.tag != "DW_TAG_member":
                    continue
                loc = child.attributes.get("DW_AT_data_member_location")
                offset = loc.value if loc is not None and isinstance(loc.value, int) else 0
                bits = child.attributes.get("DW_AT_bit_size")
                m = Member(attr_str(child, "DW_AT_name"), offset, sub(child))
                if bits is not None:
                    m.bit_size = bits.value
                    dbo = child.attributes.get("DW_AT_data_bit_offset")
                    if dbo is not None:
                        m.offset, m.bit_offset = 0, dbo.value
                    else:
                        bo = child.attributes.get("DW_AT_bit_offset")
                        storage = child.attributes["DW_AT_byte_size"].value \
                            if "DW_AT_byte_size" in child.attributes else m.ctype.size
                        m.bit_offset = 8 * offset + (8 * storage - (bo.value if bo else 0) - m.bit_size)
                        m.offset = 0
                t.members.append(m)
            return t
        if tag == "DW_TAG_enumeration_type":
            t = CType("enum", name, size or 4)
            self._types[key] = t
            t.target = sub() if "DW_AT_type" in die.attributes else None
            for child in die.iter_children():
                if child.tag == "DW_TAG_enumerator":
                    t.enumerators.append((attr_str(child, "DW_AT_name"), child.attributes["DW_AT_const_value"].value))
            return t
        if tag in ("DW_TAG_subroutine_type", "DW_TAG_subprogram"):
            t = CType("func", name)
            self._types[key] = t
            t.target = sub()
            t.prototyped = bool(die.attributes.get("DW_AT_prototyped"))
            for child in die.iter_children():
                if child.tag == "DW_TAG_formal_parameter":
                    t.params.append(sub(child))
                elif child.tag == "DW_TAG_unspecified_parameters":
                    t.varargs = True
            return t
        t = int_type()
        self._types[key] = t
        return t

    def function_type(self, func: Function) -> CType:
        return self.ctype(_origin(func.die))

    # ---- locations --------------------------------------------------------------------
    def location_expr(self, die, attr_name: str, pc: int):
        """The parsed expression (list of ops) valid at pc, or None (optimized out)."""
        self._index()
        attr = die.attributes.get(attr_name)
        if attr is None:
            return None
        from elftools.dwarf.locationlists import LocationExpr
        cu = die.cu
        try:
            loc = self._loc_parser.parse_from_attribute(attr, cu.header.version, die)
        except Exception:
            return None
        if isinstance(loc, LocationExpr):
            return self._resolve(self._expr_parser.parse_expr(loc.loc_expr), cu)
        top = cu.get_top_DIE()
        base_attr = top.attributes.get("DW_AT_low_pc")
        base = base_attr.value if base_attr is not None else 0
        for e in loc:
            if not hasattr(e, "loc_expr"):
                base = getattr(e, "base_address", base)
                continue
            lo, hi = e.begin_offset, e.end_offset
            if not getattr(e, "is_absolute", False):
                lo, hi = lo + base, hi + base
            if lo <= pc < hi:
                return self._resolve(self._expr_parser.parse_expr(e.loc_expr), cu)
        return None

    def parse(self, data, cu=None) -> list:
        self._index()
        return self._resolve(self._expr_parser.parse_expr(list(data)), cu)

    def _resolve(self, ops, cu):
        """DWARF 5 indexed operands (DW_OP_addrx, DW_OP_constx): via .debug_addr."""
        if cu is None or not any(op.op_name in _INDEXED for op in ops):
            return ops
        from elftools.dwarf.dwarf_expr import DWARFExprOp
        out = []
        for op in ops:
            if op.op_name in _INDEXED:
                value = self.dwarf.get_addr(cu, op.args[0])
                name = "DW_OP_addr" if op.op_name != "DW_OP_constx" else "DW_OP_constu"
                op = DWARFExprOp(op.op, name, [value], op.offset)
            out.append(op)
        return out

    def call_site_value(self, caller: Function, return_pc: int, regno: int, callee_die=None):
        """The DW_AT_call_value expression the caller set for register regno at the call
        that returns to return_pc (entry values), or None."""
        for die in _walk(caller.die):
            if die.tag not in ("DW_TAG_GNU_call_site", "DW_TAG_call_site"):
                continue
            ret = die.attributes.get("DW_AT_call_return_pc") or die.attributes.get("DW_AT_low_pc")
            if ret is None or ret.value != return_pc:
                continue
            for p in die.iter_children():
                if p.tag not in ("DW_TAG_GNU_call_site_parameter", "DW_TAG_call_site_parameter"):
                    continue
                loc = p.attributes.get("DW_AT_location")
                val = p.attributes.get("DW_AT_GNU_call_site_value") or p.attributes.get("DW_AT_call_value")
                if loc is None or val is None:
                    continue
                ops = self.parse(loc.value, caller.cu)
                if len(ops) == 1 and _reg_of(ops[0]) == regno:
                    return self.parse(val.value, caller.cu)
            return None
        return None


_INDEXED = ("DW_OP_addrx", "DW_OP_GNU_addr_index", "DW_OP_constx", "DW_OP_GNU_const_index")


def _walk(die):
    stack = [die]
    while stack:
        d = stack.pop()
        yield d
        children = list(d.iter_children())
        stack.extend(reversed(children))


def _reg_of(op) -> int | None:
    name = op.op_name
    if name.startswith("DW_OP_reg") and name[9:].isdigit():
        return int(name[9:])
    if name == "DW_OP_regx":
        return op.args[0]
    return None


# ============================================================================ evaluation

class FrameContext:
    """What a location expression needs from the selected frame (overridden by the shell)."""
    pc: int = 0

    def reg(self, n: int) -> int:            # raises DwarfError when unknown
        raise DwarfError("register unavailable")

    def read(self, address: int, size: int) -> bytes:
        raise DwarfError("memory unavailable")

    def frame_base(self) -> int:
        raise DwarfError("no frame base")

    def cfa(self) -> int:
        raise DwarfError("no CFA")

    def entry_value(self, ops) -> int:
        raise DwarfError("entry value unknown")


_BINARY = {
    "DW_OP_plus": lambda a, b: a + b, "DW_OP_minus": lambda a, b: a - b,
    "DW_OP_mul": lambda a, b: a * b, "DW_OP_and": lambda a, b: a & b,
    "DW_OP_or": lambda a, b: a | b, "DW_OP_xor": lambda a, b: a ^ b,
    "DW_OP_shl": lambda a, b: a << b, "DW_OP_shr": lambda a, b: (a & 0xFFFFFFFF) >> b,
    "DW_OP_shra": lambda a, b: _s32(a) >> b,
    "DW_OP_div": lambda a, b: int(_s32(a) / _s32(b)) if b else _raise("division by zero"),
    "DW_OP_mod": lambda a, b: (a & 0xFFFFFFFF) % (b & 0xFFFFFFFF) if b else _raise("division by zero"),
    "DW_OP_eq": lambda a, b: int(_s32(a) == _s32(b)), "DW_OP_ne": lambda a, b: int(_s32(a) != _s32(b)),
    "DW_OP_lt": lambda a, b: int(_s32(a) < _s32(b)), "DW_OP_gt": lambda a, b: int(_s32(a) > _s32(b)),
    "DW_OP_le": lambda a, b: int(_s32(a) <= _s32(b)), "DW_OP_ge": lambda a, b: int(_s32(a) >= _s32(b)),
}


def _raise(text):
    raise DwarfError(text)


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


def evaluate(ops, ctx: FrameContext, push_address: bool = False):
    """Run a location expression.  Returns ("mem", addr) | ("reg", n) | ("value", int)
    | ("bytes", b) | ("pieces", [(loc, size)]).  Raises DwarfError (optimized out)."""
    if not ops:
        raise DwarfError("empty location")
    stack: list[int] = []
    pieces = []
    result = None              # location of the current piece (when not on the stack)
    for op in ops:
        name, args = op.op_name, op.args
        if name == "DW_OP_addr":
            stack.append(args[0])
        elif name.startswith("DW_OP_lit") and name[9:].isdigit():
            stack.append(int(name[9:]))
        elif name.startswith("DW_OP_const") and name not in ("DW_OP_const_type",):
            stack.append(args[0])
        elif name.startswith("DW_OP_reg") and name[9:].isdigit():
            result = ("reg", int(name[9:]))
        elif name == "DW_OP_regx":
            result = ("reg", args[0])
        elif name.startswith("DW_OP_breg") and name[10:].isdigit():
            stack.append(ctx.reg(int(name[10:])) + args[0])
        elif name == "DW_OP_bregx":
            stack.append(ctx.reg(args[0]) + args[1])
        elif name == "DW_OP_fbreg":
            stack.append(ctx.frame_base() + args[0])
        elif name == "DW_OP_call_frame_cfa":
            stack.append(ctx.cfa())
        elif name in ("DW_OP_entry_value", "DW_OP_GNU_entry_value"):
            stack.append(ctx.entry_value(args[0]))
        elif name == "DW_OP_stack_value":
            if not stack:
                raise DwarfError("empty stack")
            result = ("value", stack.pop() & 0xFFFFFFFF)
        elif name == "DW_OP_implicit_value":
            result = ("bytes", bytes(args[1] if len(args) > 1 else args[0]))
        elif name == "DW_OP_piece":
            if result is None:
                result = ("mem", stack.pop() & 0xFFFFFFFF) if stack else ("optimized",)
            pieces.append((result, args[0]))
            result = None
        elif name == "DW_OP_plus_uconst":
            stack.append(stack.pop() + args[0])
        elif name in _BINARY:
            b, a = stack.pop(), stack.pop()
            stack.append(_BINARY[name](a, b) & 0xFFFFFFFF)
        elif name == "DW_OP_neg":
            stack.append(-stack.pop() & 0xFFFFFFFF)
        elif name == "DW_OP_not":
            stack.append(~stack.pop() & 0xFFFFFFFF)
        elif name == "DW_OP_abs":
            stack.append(abs(_s32(stack.pop())))
        elif name == "DW_OP_dup":
            stack.append(stack[-1])
        elif name == "DW_OP_drop":
            stack.pop()
        elif name == "DW_OP_swap":
            stack[-1], stack[-2] = stack[-2], stack[-1]
        elif name == "DW_OP_over":
            stack.append(stack[-2])
        elif name == "DW_OP_pick":
            stack.append(stack[-1 - args[0]])
        elif name == "DW_OP_rot":
            stack[-1], stack[-2], stack[-3] = stack[-2], stack[-3], stack[-1]
        elif name == "DW_OP_deref":
            stack.append(int.from_bytes(ctx.read(stack.pop() & 0xFFFFFFFF, 4), "little"))
        elif name == "DW_OP_deref_size":
            stack.append(int.from_bytes(ctx.read(stack.pop() & 0xFFFFFFFF, args[0]), "little"))
        elif name == "DW_OP_nop":
            pass
        else:
            raise DwarfError(f"unsupported {name}")
    if pieces:
        return ("pieces", pieces)
    if result is not None:
        return result
    if not stack:
        raise DwarfError("empty stack")
    return ("mem", stack.pop() & 0xFFFFFFFF)
