"""A one-line notice on stderr before the native hooks are compiled (numba's cache is cold).

The native hooks are numba functions with `cache=True` (iss/hooks.py,
iss/xpulp_exec.py, iss/hwloop_engine.py, iss/isa/semantics.py): the
first run compiles them and writes them to numba's cache, an index file (`*.nbi`) and data
files (`*.nbc`) per function, in `__pycache__` next to the source (or NUMBA_CACHE_DIR).
An index is valid for the source it was written from: numba stores the source's stamp
(numba 0.68: a hash of its bytes) in it and recompiles when it differs.

Before anything imports those modules, `cold_sources()` asks numba's own cache locators
where each module's index files are and whether one of them matches the current source;
a module with none compiles (fresh install, edited source, other numba version). Numba
compiles a function lazily, so a module that has a valid index may still compile a function
never used before (e.g. the accurate-timing hook): that is a second or two, not announced.
"""
from __future__ import annotations

import sys
from pathlib import Path

# a cold compile of everything `iss run` loads (warm: ~2 s), measured on the shared 2-core
# dev machine (NUMBA_CACHE_DIR empty, hello.elf: 141 s wall, 120 s CPU); varies by machine
COMPILE_SECONDS = 140
MESSAGE = (f"iss: compiling native hooks (first run only, ~{COMPILE_SECONDS} s on a 2-core "
           f"machine, varies by machine)...")


# numba functions compiled later, in under a second, when first needed: not announced
# (the loop compiler's two helpers, at the first hot hardware loop)
LAZY = ("loop_compiler.py",)


def numba_sources() -> list[Path]:
    """The simulator's sources with numba functions cached on disk, all compiled when the
    simulator loads (the code, block and trap hooks are cfuncs, compiled at import with
    everything they call). The plugins' kernels (plugins/*_kernels.py) are compiled at an
    accelerator's first job, in about 2 s: not announced; nor LAZY."""
    here = Path(__file__).resolve()
    found = []
    for path in sorted(here.parent.rglob("*.py")):
        try:
            if path != here and path.name not in LAZY and "cache=True" in path.read_text(errors="replace"):
                found.append(path)
        except OSError:
            continue
    return found


def cold_sources(sources: list[Path] | None = None) -> list[Path]:
    """The sources whose numba cache has no index for their current text."""
    sources = numba_sources() if sources is None else sources
    try:
        return [p for p in sources if not _has_fresh_index(p)]
    except Exception:            # another numba's internals: no notice rather than a crash
        return []


def notice(stream=None) -> bool:
    """Print MESSAGE if a compile is coming; True if it did."""
    if not cold_sources():
        return False
    stream = sys.stderr if stream is None else stream
    print(MESSAGE, file=stream, flush=True)
    return True


def _has_fresh_index(source: Path) -> bool:
    import pickle

    import numba
    from numba.core import caching
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl

    def probe():           # stands in for a function of `source` (locators read its line)
        pass

    for cls in impl._locator_classes:
        locator = cls.from_function(probe, str(source))
        if locator is not None:
            break
    else:
        return False
    stamp = locator.get_source_stamp()
    directory = Path(locator.get_cache_path())
    for index in directory.glob(f"{source.stem}.*.nbi"):
        try:
            with open(index, "rb") as f:
                if pickle.load(f) != numba.__version__:
                    continue
                if pickle.loads(f.read())[0] == stamp:
                    return True
        except Exception:    # unreadable or foreign file: not a valid index
            continue
    return False
