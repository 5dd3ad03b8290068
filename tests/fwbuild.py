"""Building a test's own C program (a string in the test) with `iss cc` semantics."""
from __future__ import annotations

from pathlib import Path

import pytest

from iss import toolchain

FWCACHE = Path(__file__).resolve().parent / ".fwcache"


def build_c(folder: str, name: str, source: str, elf: str | None = None, **options) -> Path:
    """tests/.fwcache/<folder>/<name>.c, rewritten only when `source` changed (its mtime
    keys toolchain.build_cached), built into <elf or name>.elf; `options` go to
    build_cached (isa=, extra_args=). A build error fails the test with the compiler's
    output."""
    cache = FWCACHE / folder
    cache.mkdir(parents=True, exist_ok=True)
    src = cache / f"{name}.c"
    if not src.exists() or src.read_text() != source:
        src.write_text(source)
    try:
        return toolchain.build_cached([src], cache / f"{elf or name}.elf", **options)
    except toolchain.ToolchainError as exc:
        pytest.fail(f"building {src.name} failed: {exc}\n{exc.output}")
