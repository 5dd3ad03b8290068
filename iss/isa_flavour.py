"""Choice of the custom-ISA flavour (encodings) for a firmware image."""
from __future__ import annotations

from .errors import IssError

FLAVOURS = ("corev", "xpulpv2")


def select_flavour(requested: str, arch: str | None) -> str:
    """`auto` reads the ELF's .riscv.attributes arch string, falling back to corev."""
    if requested in FLAVOURS:
        return requested
    if requested != "auto":
        raise IssError(f"unknown ISA flavour '{requested}' (choose auto, corev or xpulpv2)")
    if arch and "xpulp" in arch.lower():
        return "xpulpv2"
    return "corev"
