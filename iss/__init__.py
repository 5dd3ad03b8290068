"""Instruction-set simulator of a heterogeneous PULP cluster with in-memory computing.

The Python API (docs/python-api.md)::

    from iss import Simulator
    sim = Simulator("firmware/build/corev/hello.elf")
    result = sim.run()
    print(result.exit_code, result.stats["cycles"])

`Simulator`, `RunResult`, `Stop`, `load_platform`, `Peripheral` and `register_plugin` are
imported on first use, so `import iss` (and the
command line's `iss --version`) stays light: no numba, no Unicorn.
"""
from importlib.metadata import PackageNotFoundError, version as _version

from .errors import ElfError, IssError, PeripheralError, PlatformError

try:
    __version__ = _version("pulp-imc-iss")      # pyproject.toml's [project] version
except PackageNotFoundError:                     # a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["Simulator", "RunResult", "Stop", "load_platform", "Peripheral", "register_plugin",
           "IssError", "ElfError", "PlatformError", "PeripheralError", "__version__"]

_LAZY = {"Simulator": "simulator", "RunResult": "simulator", "Stop": "hart",
         "load_platform": "platform", "Peripheral": "plugin", "register_plugin": "plugin"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
