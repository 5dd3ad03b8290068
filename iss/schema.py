"""Typed fields of the platform file and of plugin parameters.

One `Field` states a value's type, default, range, alignment or choices; `Field.read`
checks a TOML table's entry against it and raises PlatformError with one error format,
`<file>: <key path> = <value>: expected <what>`, so every bad input names its file and key.
TOML gives bool as a subclass of int: booleans are never numbers here (and only real
booleans are booleans, so `pcm_noise = "no"` is an error, not noise switched on).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

from .errors import PlatformError

ADDRESS_SPACE = 1 << 32          # the harts' physical address space
MAX_SHOWN = 60                   # characters of a bad value quoted in a message


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()           # a Field default: the key must be given

_KIND_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string",
               list: "an array", dict: "a table"}


def key_path(prefix: str, key: str) -> str:
    """TOML-style dotted path of a key inside the table at `prefix` ('' at the top)."""
    return f"{prefix}.{key}" if prefix else key


def show(value: object) -> str:
    """A value as TOML would write it, cut short: a message stays one line."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "..."


@dataclass(frozen=True)
class Field:
    kind: type                       # int, float (int or float), bool, str, list or dict
    default: object = REQUIRED
    lo: int | float | None = None    # inclusive bounds of a number
    hi: int | float | None = None
    align: int = 1                   # an int must be a multiple of this
    choices: tuple = ()              # allowed values (strings)
    hex: bool = False                # print bounds in hex (addresses, sizes)
    what: str = ""                   # says what is expected instead of the generated text

    def read(self, table: dict, key: str, source: str, prefix: str = ""):
        """table[key] (or the default) after checking it; errors name `source` and the key."""
        if key not in table:
            if self.default is REQUIRED:
                raise PlatformError(f"{source}: {key_path(prefix, key)}: missing "
                                    f"(expected {self.expected()})")
            return self.default
        value = table[key]
        if not self.accepts(value):
            raise PlatformError(f"{source}: {key_path(prefix, key)} = {show(value)}: "
                                f"expected {self.expected()}")
        return value

    def accepts(self, value: object) -> bool:
        if isinstance(value, bool) != (self.kind is bool):
            return False
        if self.kind is float:
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                return False
        elif not isinstance(value, self.kind):
            return False
        if self.choices and value not in self.choices:
            return False
        if self.kind in (int, float):
            number = cast("int | float", value)      # an int, or a finite int or float (above)
            if self.lo is not None and number < self.lo or self.hi is not None and number > self.hi:
                return False
            if self.align > 1 and number % self.align:
                return False
        return True

    def expected(self) -> str:
        if self.what:
            return self.what
        if self.choices:
            return "one of " + ", ".join(show(c) for c in self.choices)
        text = _KIND_NAMES[self.kind]
        if self.lo is not None and self.hi is not None:
            text += f" in {self._number(self.lo)}..{self._number(self.hi)}"
        elif self.lo is not None:
            text += f" >= {self._number(self.lo)}"
        elif self.hi is not None:
            text += f" <= {self._number(self.hi)}"
        if self.align > 1:
            text += f" (multiples of {self.align})"
        return text

    def _number(self, n: int | float) -> str:
        return f"0x{n:x}" if self.hex and isinstance(n, int) else f"{n:g}" if isinstance(n, float) \
            else str(n)
