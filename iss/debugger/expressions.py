"""The debugger's C expression evaluator (print, display, set var, watch, conditions).

gdb-ish C over registers ($a0, $pc), value history ($, $$, $N), symbols and DWARF-typed
variables (locals of the selected frame, then globals): literals, casts ((char *)X,
(struct node *)X, {int}X), unary - ~ ! * &, sizeof, postfix [i] . -> , binary arithmetic
(pointer arithmetic scaled by the element size), comparisons, logic, gdb's artificial
arrays X@N, and assignment.

The evaluator asks its `env` (the shell) for everything that touches the target:
  symbol_value(name), convenience($tok), variable_value(ctype, address), load(address,
  size, signed, char), store(value, int), reread(value), lookup_type(words) -> CType|None,
  member_value(value, member), value_bytes(value)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import struct

from .dwarf_vars import ATE_FLOAT, CType, array_of, int_type, pointer_to
from .valueprint import ExprError, wrap


TYPE_NAMES = {
    "char": (1, True), "signed char": (1, True), "unsigned char": (1, False),
    "int8_t": (1, True), "uint8_t": (1, False),
    "short": (2, True), "unsigned short": (2, False), "short int": (2, True),
    "int16_t": (2, True), "uint16_t": (2, False),
    "int": (4, True), "unsigned": (4, False), "unsigned int": (4, False), "long": (4, True),
    "unsigned long": (4, False), "int32_t": (4, True), "uint32_t": (4, False),
    "long long": (8, True), "unsigned long long": (8, False), "int64_t": (8, True),
    "uint64_t": (8, False), "void": (1, False), "size_t": (4, False),
}
TYPE_WORDS = {"unsigned", "signed", "char", "short", "int", "long", "void", "const",
              "volatile", "struct", "union", "enum", "float", "double", "_Bool"}


@dataclass
class Value:
    value: int
    kind: str = "int"        # int, code, data (pointer), func, array, struct, float, void
    size: int = 4
    signed: bool = True
    lval: tuple | None = None     # ("reg", name) | ("mem", address, size) | ("frame", level, regno, name)
    pointee: tuple | None = None  # (size, signed[, char]) of *value for untyped pointers
    vtype: CType | None = None    # the C type (DWARF or a cast)
    char: bool = False
    raw: bytes | None = None      # contents of an aggregate that is not in memory
    optimized: bool = False       # <optimized out>
    name: str | None = None       # the variable's name (for gdb's messages)


def to_float(v: Value) -> float:
    if v.kind == "float":
        raw = (v.value & ((1 << 8 * v.size) - 1)).to_bytes(v.size, "little")
        return struct.unpack("<f" if v.size == 4 else "<d", raw)[0]
    return float(v.value)


def float_value(x: float, size: int) -> Value:
    try:
        raw = struct.pack("<f" if size == 4 else "<d", x)
    except OverflowError:
        raw = struct.pack("<f", float("inf") if x > 0 else float("-inf"))
    t = CType("base", "float" if size == 4 else "double", size, ATE_FLOAT)
    return Value(int.from_bytes(raw, "little"), "float", size, False, vtype=t)


def optimized_out(ctype: CType | None) -> Value:
    return Value(0, "int", ctype.size if ctype else 4, lval=None, vtype=ctype, optimized=True)


class Evaluator:
    TOKEN = re.compile(r"\s*(0x[0-9a-fA-F]+|0b[01]+|\d+\.\d*(?:[eE][-+]?\d+)?[fF]?|"
                       r"\d+[eE][-+]?\d+[fF]?|\d+[uUlL]*|'(?:\\.|[^'])'|\$\$?\w*|"
                       r"->|[A-Za-z_][\w$]*|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!()<>={}\[\],.@])")

    LEVELS = [("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", ">", "<=", ">="),
              ("<<", ">>"), ("@",), ("+", "-"), ("*", "/", "%")]

    def __init__(self, env):
        self.env = env

    # ---- driver -----------------------------------------------------------------------
    def tokenize(self, text: str) -> list[str]:
        tokens, pos = [], 0
        text = text.rstrip()
        while pos < len(text):
            m = self.TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise ExprError(f"Invalid character '{text[pos:].strip()[:1]}' in expression.")
            tokens.append(m.group(1))
            pos = m.end()
        return tokens

    def evaluate(self, text: str) -> Value:
        self.tokens = self.tokenize(text)
        if not self.tokens:
            raise ExprError("Argument required (expression to compute).")
        self.pos = 0
        v = self.assign()
        if self.pos != len(self.tokens):
            raise ExprError(f"A syntax error in expression, near `{' '.join(self.tokens[self.pos:])}'.")
        return v

    def parse_type(self, text: str) -> CType | None:
        """TEXT as a type name (`struct point`, `int *`, `shape_t`), or None."""
        self.tokens = self.tokenize(text)
        self.pos = 0
        t = self.cast_type()
        if t is None or self.pos != len(self.tokens):
            return None
        return t

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected=None):
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise ExprError("A syntax error in expression, near `'." if tok is None else
                            f"A syntax error in expression, near `{' '.join(self.tokens[self.pos:])}'.")
        self.pos += 1
        return tok

    # ---- grammar ----------------------------------------------------------------------
    def assign(self) -> Value:
        left = self.binary(0)
        if self.peek() == "=":
            self.take()
            right = self.assign()
            self.check(right)
            self.env.store(left, right)
            return self.env.reread(left)
        return left

    def binary(self, level: int) -> Value:
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in self.LEVELS[level]:
            op = self.take()
            right = self.binary(level + 1)
            left = self.artificial(left, right) if op == "@" else self.apply(op, left, right)
        return left

    @staticmethod
    def check(v: Value) -> None:
        if v.optimized:
            raise ExprError("value has been optimized out")

    def scalar(self, v: Value) -> int:
        self.check(v)
        if v.kind == "struct":
            raise ExprError("Argument to arithmetic operation not a number or boolean.")
        return v.value

    def artificial(self, left: Value, right: Value) -> Value:
        """gdb's X@N: N objects of X's type starting at X's address."""
        count = self.scalar(right)
        self.check(left)
        if left.lval is None or left.lval[0] != "mem":
            raise ExprError("Only values in memory can be extended with '@'.")
        if count <= 0:
            raise ExprError(f"Invalid number {count} of repetitions.")
        elem = left.vtype or int_type(left.size, left.signed, char=left.char)
        t = array_of(elem, count)
        return self.env.variable_value(t, left.lval[1])

    def apply(self, op: str, a: Value, b: Value) -> Value:
        x, y = self.scalar(a), self.scalar(b)
        if a.kind == "float" or b.kind == "float":
            return self.apply_float(op, a, b)
        pa, pb = self.pointer_elem(a), self.pointer_elem(b)
        if op in ("+", "-") and (pa is not None or pb is not None):
            if pa is not None and pb is not None and op == "-":
                size = max(pa.size, 1)
                return Value(int(wrap(x - y, 4, True) / size), "int", 4, True)
            if pa is None:                  # int + pointer
                a, b, x, y, pa = b, a, y, x, pb
            step = max(pa.size, 1) if pa.tag != "void" else 1
            r = (x + y * step if op == "+" else x - y * step) & 0xFFFFFFFF
            ptype = pointer_to(pa)
            return Value(r, "data", 4, False, vtype=ptype, pointee=(pa.size, pa.signed, pa.char))
        if op in ("/", "%") and y == 0:
            raise ExprError("Division by zero")
        r = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y,
             "/": lambda: int(x / y), "%": lambda: x - int(x / y) * y,
             "<<": lambda: x << y, ">>": lambda: x >> y, "&": lambda: x & y, "|": lambda: x | y,
             "^": lambda: x ^ y, "==": lambda: int(x == y), "!=": lambda: int(x != y),
             "<": lambda: int(x < y), ">": lambda: int(x > y), "<=": lambda: int(x <= y),
             ">=": lambda: int(x >= y), "&&": lambda: int(bool(x) and bool(y)),
             "||": lambda: int(bool(x) or bool(y))}[op]()
        kind = a.kind if a.kind in ("code", "data") and op in "+-" else "int"
        if kind != "int":
            return Value(r & 0xFFFFFFFF, kind, 4, False, pointee=a.pointee)
        if op in ("==", "!=", "<", ">", "<=", ">=", "&&", "||"):
            return Value(r, "int", 4, True)
        size = max(a.size if a.kind == "int" else 4, b.size if b.kind == "int" else 4, 4)
        signed = (a.signed or a.kind != "int") and (b.signed or b.kind != "int")
        return Value(wrap(r, size, signed), "int", size, signed)

    def apply_float(self, op: str, a: Value, b: Value) -> Value:
        x, y = to_float(a), to_float(b)
        if op in ("==", "!=", "<", ">", "<=", ">=", "&&", "||"):
            r = {"==": x == y, "!=": x != y, "<": x < y, ">": x > y, "<=": x <= y,
                 ">=": x >= y, "&&": bool(x) and bool(y), "||": bool(x) or bool(y)}[op]
            return Value(int(r), "int", 4, True)
        if op not in ("+", "-", "*", "/"):
            raise ExprError("Integer only operation.") if op != "%" else \
                ExprError("Integer only operation %.")
        if op == "/" and y == 0:
            r = float("nan") if x == 0 else (float("inf") if x > 0 else float("-inf"))
        else:
            r = {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else 0.0}[op]
        size = 8 if 8 in (a.size if a.kind == "float" else 0, b.size if b.kind == "float" else 0) else 4
        return float_value(r, size)

    @staticmethod
    def pointer_elem(v: Value) -> CType | None:
        """Element type when v is a typed pointer or an array (which decays)."""
        if v.vtype is None:
            return None
        t = v.vtype.strip()
        if t.tag in ("pointer", "array"):
            return t.target.strip() if t.target is not None else None
        return None

    def cast_type(self) -> CType | None:
        """At '(' + 1 or '{' + 1: a type name and '*'s, or None (not a type)."""
        start = self.pos
        words = []
        while True:
            tok = self.peek()
            if tok is None or not re.fullmatch(r"[A-Za-z_]\w*", tok):
                break
            if tok in TYPE_WORDS or tok in TYPE_NAMES:
                words.append(self.take())
                if tok in ("struct", "union", "enum") and self.peek() and \
                        re.fullmatch(r"[A-Za-z_]\w*", self.peek()):
                    words.append(self.take())
                continue
            if not words and self.env.lookup_type([tok]) is not None:
                words.append(self.take())
                continue
            break
        words = [w for w in words if w not in ("const", "volatile")]
        if not words:
            self.pos = start
            return None
        t = self.env.lookup_type(words)
        if t is None:
            name = " ".join(words)
            if words[0] in ("struct", "union", "enum"):
                raise ExprError(f"No {words[0]} type named {' '.join(words[1:])}.")
            if name == "signed":
                name = "int"
            if name not in TYPE_NAMES:
                name = name.replace(" int", "") if name.replace(" int", "") in TYPE_NAMES else "int"
            size, signed = TYPE_NAMES[name]
            if words[-1] in ("float", "double"):
                t = CType("base", words[-1], 4 if words[-1] == "float" else 8, ATE_FLOAT)
            else:
                t = CType("void", "void", 1) if name == "void" else \
                        int_type(size, signed, name, char=name in ("char", "signed char", "unsigned char"))
        while self.peek() == "*":
            self.take()
            t = pointer_to(t)
        return t

    def cast(self, t: CType, v: Value) -> Value:
        self.check(v)
        s = t.strip()
        if s.tag in ("struct", "union", "array"):
            raise ExprError("Invalid cast.")
        if s.tag == "pointer":
            elem = s.target.strip() if s.target is not None else None
            pointee = (elem.size, elem.signed, elem.char) if elem is not None and \
                elem.tag in ("base", "enum") else (4, True)
            return Value(v.value & 0xFFFFFFFF, "data", 4, False, pointee=pointee, vtype=t)
        if s.tag == "void":
            return Value(0, "void")
        size = s.size or 4
        if s.tag == "base" and s.encoding == ATE_FLOAT:
            return float_value(to_float(v), size)
        if v.kind == "float":
            f = to_float(v)
            v = Value(int(f) if f == f and abs(f) != float("inf") else 0)
        return Value(wrap(v.value, size, t.signed), "int", size, t.signed, char=t.char,
                     vtype=t if s.tag == "enum" or (s.tag == "base" and not t.char and
                                                     s.encoding == 2) else None)

    def unary(self) -> Value:
        tok = self.peek()
        if tok == "-":
            self.take()
            v = self.unary()
            x = self.scalar(v)
            if v.kind == "float":
                return float_value(-to_float(v), v.size)
            if v.vtype is not None and v.vtype.strip().tag == "enum":      # gdb keeps the enum
                return Value(wrap(-x, v.size, True), "int", v.size, True, vtype=v.vtype)
            return Value(wrap(-x, max(v.size, 4), True), "int", max(v.size, 4), True)
        if tok == "+":
            self.take()
            return self.unary()
        if tok == "~":
            self.take()
            v = self.unary()
            x = self.scalar(v)
            return Value(wrap(~x, max(v.size, 4), v.signed), "int", max(v.size, 4), v.signed)
        if tok == "!":
            self.take()
            return Value(int(not self.scalar(self.unary())))
        if tok == "*":
            self.take()
            return self.deref(self.unary())
        if tok == "&":
            self.take()
            return self.address_of(self.unary())
        if tok == "(":
            save = self.pos
            self.take()
            t = self.cast_type()
            if t is not None and self.peek() == ")":
                self.take()
                return self.cast(t, self.unary())
            self.pos = save
        if tok == "{":
            self.take()
            t = self.cast_type()
            if t is None:
                raise ExprError(f"No symbol \"{self.peek()}\" in current context.")
            self.take("}")
            address = self.scalar(self.unary()) & 0xFFFFFFFF
            return self.env.variable_value(t, address)
        return self.postfix()

    def deref(self, v: Value) -> Value:
        self.check(v)
        if v.vtype is not None:
            t = v.vtype.strip()
            if t.tag == "array":
                if v.raw is not None:
                    return self.env.typed_bytes(t.target, v.raw[:t.target.size])
                return self.env.variable_value(t.target, v.lval[1] if v.lval else v.value)
            if t.tag == "pointer":
                target = t.target if t.target is not None else None
                if target is None or target.strip().tag == "void":
                    raise ExprError("Attempt to take contents of a non-pointer value.")
                if target.strip().tag == "func":
                    return Value(v.value & 0xFFFFFFFF, "func", 4, False, vtype=target)
                return self.env.variable_value(target, v.value & 0xFFFFFFFF)
            if t.tag in ("struct", "union"):
                raise ExprError("Attempt to take contents of a non-pointer value.")
        if v.kind == "func":
            return v
        size, signed = (v.pointee or (4, True))[:2]
        return self.env.load(v.value & 0xFFFFFFFF, size, signed,
                             char=size == 1 and bool(v.pointee and len(v.pointee) > 2 and v.pointee[2]))

    def address_of(self, v: Value) -> Value:
        if v.kind == "func":
            t = pointer_to(v.vtype) if v.vtype is not None else None
            return Value(v.value, "code" if t is None else "data", 4, False, vtype=t)
        if v.lval is None or v.lval[0] != "mem":
            if v.lval is not None and v.lval[0] == "frame":
                raise ExprError(f"Address requested for identifier \"{v.lval[3]}\" which is in register "
                                f"${v.lval[4]}")
            if v.optimized or (v.vtype is not None and v.lval is None):
                what = f'"{v.name}"' if v.name else "value"
                raise ExprError(f"Can't take address of {what} which isn't an lvalue.")
            raise ExprError("Attempt to take address of value not located in memory.")
        address = v.lval[1]
        if v.vtype is not None:
            elem = v.vtype
            s = elem.strip()
            pointee = (s.size, elem.signed, elem.char) if s.tag in ("base", "enum") else (4, True)
            return Value(address, "data", 4, False, pointee=pointee, vtype=pointer_to(elem))
        return Value(address, "data", 4, False, pointee=(v.lval[2], v.signed, v.char))

    def postfix(self) -> Value:
        v = self.primary()
        while self.peek() in ("[", ".", "->"):
            tok = self.take()
            if tok == "[":
                index = self.scalar(self.assign())
                self.take("]")
                v = self.subscript(v, index)
            else:
                name = self.take()
                if not re.fullmatch(r"[A-Za-z_]\w*", name):
                    raise ExprError(f"A syntax error in expression, near `{name}'.")
                v = self.member(v, name, arrow=tok == "->")
        return v

    def subscript(self, v: Value, index: int) -> Value:
        self.check(v)
        if v.vtype is not None:
            t = v.vtype.strip()
            if t.tag == "array":
                elem = t.target
                if v.lval is not None and v.lval[0] == "mem":
                    return self.env.variable_value(elem, v.lval[1] + index * elem.size)
                data = self.env.value_bytes(v)
                if not 0 <= index < (t.count or 0):
                    raise ExprError("no such vector element")
                return self.env.typed_bytes(elem, data[index * elem.size:(index + 1) * elem.size])
            if t.tag == "pointer":
                elem = t.target
                if elem is None or elem.strip().tag == "void":
                    raise ExprError("Attempt to take contents of a non-pointer value.")
                return self.env.variable_value(elem, (v.value + index * elem.size) & 0xFFFFFFFF)
            if t.tag in ("base", "enum", "struct", "union"):
                raise ExprError(f"cannot subscript something of type `{v.vtype.decl()}'")
        if v.kind == "data":
            size, signed = (v.pointee or (4, True))[:2]
            char = bool(v.pointee and len(v.pointee) > 2 and v.pointee[2])
            return self.env.load((v.value + index * size) & 0xFFFFFFFF, size, signed, char=char)
        raise ExprError("cannot subscript something of type `int'")

    def member(self, v: Value, name: str, arrow: bool) -> Value:
        self.check(v)
        t = v.vtype.strip() if v.vtype is not None else None
        if arrow and t is not None and t.tag == "pointer":
            target = t.target.strip() if t.target is not None else None
            if target is None or target.tag not in ("struct", "union"):
                raise ExprError("Attempt to extract a component of a value that is not a "
                                "structure pointer.")
            v = self.env.variable_value(t.target, v.value & 0xFFFFFFFF)
            t = v.vtype.strip()
        if t is None or t.tag not in ("struct", "union"):
            raise ExprError("Attempt to extract a component of a value that is not a structure"
                            + (" pointer." if arrow else "."))
        m = v.vtype.member(name)
        if m is None:
            raise ExprError(f"There is no member named {name}.")
        return self.env.member_value(v, m)

    def primary(self) -> Value:
        tok = self.take()
        if tok == "(":
            v = self.assign()
            self.take(")")
            return v
        if tok.startswith("$"):
            return self.env.convenience(tok)
        if tok[0].isdigit() and not tok.lower().startswith("0x") and \
                ("." in tok or "e" in tok.lower()):
            return float_value(float(tok.rstrip("fF")), 4 if tok[-1] in "fF" else 8)
        if tok[0].isdigit():
            text = tok.rstrip("uUlL")
            try:
                value = int(text, 0) if not (len(text) > 1 and text[0] == "0" and text[1].isdigit()) \
                    else int(text, 8)
            except ValueError:
                raise ExprError(f"Invalid number \"{tok}\".") from None
            if value < 1 << 31:
                return Value(value, "int", 4, True)
            if value < 1 << 32 and (tok[:2].lower() in ("0x", "0b") or tok[-1] in "uU"):
                return Value(value, "int", 4, False)        # C: unsigned int
            return Value(value, "int", 8, True)
        if tok.startswith("'"):
            body = tok[1:-1]
            ch = {"\\n": "\n", "\\t": "\t", "\\0": "\0", "\\\\": "\\", "\\'": "'"}.get(body, body)
            return Value(ord(ch[0]), "int", 1, True, char=True)
        if tok == "sizeof":
            self.take("(")
            save = self.pos
            t = self.cast_type()
            if t is not None and self.peek() == ")":
                self.take(")")
                return Value(t.size, "int", 4, False)
            self.pos = save
            v = self.assign()
            self.take(")")
            return Value(v.vtype.size if v.vtype else v.size, "int", 4, False)
        if re.fullmatch(r"[A-Za-z_][\w$]*", tok):
            return self.env.symbol_value(tok)
        raise ExprError(f"A syntax error in expression, near `{' '.join(self.tokens[self.pos - 1:])}'.")
