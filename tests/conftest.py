"""Shared pytest fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:  # allow running the tests before `pip install -e .`
    sys.path.insert(0, str(_REPO))

FWCACHE = Path(__file__).resolve().parent / ".fwcache"


@pytest.fixture
def warnings_on_stderr():
    """The library's warnings (log records of the `iss` loggers, iss/log.py) printed on
    stderr as the `iss` command prints them (`iss: warning: ...` lines), for the tests that
    check them with capsys/capfd while driving the simulator from Python."""
    from iss.log import warnings_on_stderr as on_stderr
    with on_stderr() as handler:
        yield handler


@pytest.fixture(scope="session")
def firmware_elf():
    """Factory ``firmware_elf(name, isa='corev') -> Path``.

    ``name`` is an app (``firmware/apps/<name>/``) or an ISA test
    (``firmware/isa_tests/<name>.S``); prefixes ``apps/`` and ``isa_tests/`` (and a
    trailing ``.S``) are accepted.  ELFs are cached in tests/.fwcache/<isa>/ and only
    rebuilt when a source or runtime file changes.
    """
    from iss import toolchain

    fw = toolchain.firmware_dir()

    def build(name: str, isa: str = "corev") -> Path:
        kind = None
        if name.startswith("apps/"):
            kind, name = "app", name[len("apps/"):]
        elif name.startswith("isa_tests/"):
            kind, name = "isa", name[len("isa_tests/"):]
        name = name.removesuffix(".S")
        if kind is None:
            if (fw / "isa_tests" / f"{name}.S").is_file():
                kind = "isa"
            elif (fw / "apps" / name).is_dir():
                kind = "app"
            else:
                raise FileNotFoundError(f"no firmware app or ISA test named '{name}'")
        out_dir = FWCACHE / isa / ("isa_tests" if kind == "isa" else "apps")
        try:
            if kind == "isa":
                return toolchain.build_isa_test(name, out_dir, isa=isa)
            return toolchain.build_app(name, out_dir, isa=isa)
        except toolchain.ToolchainError as exc:
            pytest.fail(f"firmware build of {name} ({isa}) failed: {exc}\n{exc.output}")

    return build
