"""gdb's value printing: integers in a format, chars, strings, and DWARF-typed values
(structs `{x = 1, y = 2}`, arrays `{1, 2, 3}` with `<repeats N times>`, pointers
`(int *) 0x1c001000 <table>`, enums, bools, floats, `<optimized out>`)."""
from __future__ import annotations

import struct

from .dwarf_vars import ATE_BOOLEAN, ATE_FLOAT, CType


class ExprError(Exception):
    """A one-line error for the user (the shell's ShellError)."""

REPEAT_THRESHOLD = 10        # gdb: set print repeats
PRINT_ELEMENTS = 200         # gdb: set print elements


class FormatError(ExprError):
    pass


def wrap(value: int, size: int, signed: bool) -> int:
    bits = 8 * size
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def char_literal(value: int) -> str:
    c = value & 0xFF
    special = {0: "\\000", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f",
               13: "\\r", 27: "\\033", 39: "\\'", 92: "\\\\"}
    if c in special:
        return f"'{special[c]}'"
    if 32 <= c < 127:
        return f"'{chr(c)}'"
    return f"'\\{c:03o}'"


def _str_char(c: int) -> str:
    if c == 34:
        return '\\"'
    if c == 92:
        return "\\\\"
    if 32 <= c < 127:
        return chr(c)
    return {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r",
            27: "\\033"}.get(c, f"\\{c:03o}")


def c_string(data: bytes, limit: int = PRINT_ELEMENTS, full: bool = False) -> str:
    """A NUL-terminated string's text ("..." after `limit` characters)."""
    if full:
        end = data.find(b"\0")
        body = data if end < 0 else data[:end]
    else:
        body = data
    out = "".join(_str_char(c) for c in body[:limit])
    return '"' + out + '"' + ("..." if len(body) > limit else "")


def char_array(data: bytes, limit: int = PRINT_ELEMENTS) -> str:
    """gdb's char array: the whole array (one trailing NUL dropped), runs of more than
    REPEAT_THRESHOLD equal characters as `'c' <repeats N times>`."""
    if data.endswith(b"\0"):
        data = data[:-1]
    truncated = len(data) > limit
    data = data[:limit]
    if not data:
        return '""'
    parts, text, i = [], "", 0
    while i < len(data):
        j = i
        while j < len(data) and data[j] == data[i]:
            j += 1
        if j - i > REPEAT_THRESHOLD:
            if text:
                parts.append('"' + text + '"')
                text = ""
            parts.append(f"{char_literal(data[i])} <repeats {j - i} times>")
        else:
            text += "".join(_str_char(c) for c in data[i:j])
        i = j
    if text:
        parts.append('"' + text + '"')
    return ", ".join(parts) + ("..." if truncated else "")


def format_int(value: int, fmt: str, size: int, symbolize=None, memory: bool = False) -> str:
    bits = 8 * size
    u = value & ((1 << bits) - 1)
    if fmt in ("x", "z"):
        return f"0x{u:0{2 * size}x}" if memory or fmt == "z" else f"0x{u:x}"
    if fmt == "d":
        return str(wrap(u, size, True))
    if fmt == "u":
        return str(u)
    if fmt == "o":
        return f"0{u:o}" if u else "0"
    if fmt == "t":
        return f"{u:0{bits}b}" if memory else f"{u:b}"
    if fmt == "c":
        return f"{wrap(u, 1, True)} {char_literal(u)}"
    if fmt == "a":
        return f"0x{u:x}{symbolize(u, True) if symbolize else ''}"
    raise FormatError(f"Undefined output format \"{fmt}\".")


def float_text(raw: bytes) -> str:
    if len(raw) == 4:
        return _g(struct.unpack("<f", raw)[0], 9)
    if len(raw) == 8:
        return _g(struct.unpack("<d", raw)[0], 17)
    return "<invalid float value>"


def _g(x: float, digits: int) -> str:
    if x != x:
        return "nan(0x400000)" if digits == 9 else "nan(0x8000000000000)"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return format(x, f".{digits}g")


def collapse(parts: list[str]) -> list[str]:
    """gdb's `<repeats N times>` for runs of more than REPEAT_THRESHOLD equal elements."""
    out, i = [], 0
    while i < len(parts):
        j = i
        while j < len(parts) and parts[j] == parts[i]:
            j += 1
        if j - i > REPEAT_THRESHOLD:
            out.append(f"{parts[i]} <repeats {j - i} times>")
        else:
            out.extend(parts[i:j])
        i = j
    return out


class TypedPrinter:
    """Formats (CType, bytes).  `symbolize(address, code_only)` gives ' <sym+off>' or '',
    `read_string(address)` the C string text at an address (for char pointers)."""

    def __init__(self, symbolize, read_string):
        self.symbolize = symbolize
        self.read_string = read_string

    def format(self, ctype: CType, data: bytes, fmt: str | None = None, top: bool = True) -> str:
        t = ctype.strip()
        tag = t.tag
        if tag in ("struct", "union"):
            fields = []
            for m in t.members:
                value = self.member_text(m, data, fmt)
                fields.append(f"{m.name} = {value}" if m.name else value)
            return "{" + ", ".join(fields) + "}"
        if tag == "array":
            elem = t.target
            count = t.count or 0
            esize = elem.size
            if elem.char and fmt is None:
                return char_array(data[:count * esize])
            parts = []
            shown = min(count, PRINT_ELEMENTS)
            for i in range(shown):
                parts.append(self.format(elem, data[i * esize:(i + 1) * esize], fmt, top=False))
            return "{" + ", ".join(collapse(parts)) + ("..." if count > shown else "") + "}"
        if tag == "void":
            return "void"
        if tag == "func":
            return "{" + ctype.decl() + "}"
        raw = data[:t.size] if t.size else data
        if tag == "base" and t.encoding == ATE_FLOAT and fmt is None:
            return float_text(raw)
        value = int.from_bytes(raw, "little", signed=ctype.signed)
        return self.scalar(ctype, value, fmt, top)

    def member_text(self, m, data: bytes, fmt) -> str:
        if m.bit_size:
            word = int.from_bytes(data, "little")
            v = (word >> m.bit_offset) & ((1 << m.bit_size) - 1)
            if m.ctype.signed and v >> (m.bit_size - 1):
                v -= 1 << m.bit_size
            return self.scalar(m.ctype, v, fmt, top=False)
        size = m.ctype.size
        return self.format(m.ctype, data[m.offset:m.offset + size], fmt, top=False)

    def scalar(self, ctype: CType, value: int, fmt: str | None, top: bool) -> str:
        t = ctype.strip()
        size = t.size or 4
        if fmt == "c" and not ctype.signed:
            return f"{value & 0xFF} {char_literal(value)}"
        if fmt is not None and fmt != "s":
            return format_int(value, fmt, size, self.symbolize)
        if t.tag == "pointer":
            u = value & 0xFFFFFFFF
            target = t.target.strip() if t.target is not None else None
            is_func = target is not None and target.tag == "func"
            text = f"0x{u:x}{self.symbolize(u, is_func) if u else ''}"
            if target is not None and target.tag == "base" and target.char and t.target.size == 1:
                if u:
                    text += " " + self.read_string(u)
                return text
            return f"({ctype.decl()}) {text}" if top else text
        if t.tag == "enum":
            for name, v in t.enumerators:
                if v == value:
                    return name
            return self._flag_enum(t, value)
        if t.tag == "base" and t.encoding == ATE_BOOLEAN:
            return {0: "false", 1: "true"}.get(value, str(value))
        if t.tag == "base" and t.char:
            return f"{value} {char_literal(value)}"
        return str(value)

    @staticmethod
    def _flag_enum(t: CType, value: int) -> str:
        values = [v for _, v in t.enumerators]
        flag = all(v >= 0 and (v & (v - 1)) == 0 for v in values if v) and \
            len(set(values)) == len(values)
        if not flag or value < 0:
            return str(value)
        names, rest = [], value
        for name, v in t.enumerators:
            if v and rest & v == v:
                names.append(name)
                rest &= ~v
        if not names:
            return str(value) if not rest else f"(unknown: 0x{rest:x})"
        return "(" + " | ".join(names) + (f" | unknown: 0x{rest:x}" if rest else "") + ")"
