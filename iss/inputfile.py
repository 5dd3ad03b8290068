"""Reading a file the user named (firmware, platform, weights): regular files only.

A FIFO, a terminal or a device would block or never end, so the file is opened without
blocking and checked with fstat before a byte is read.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import IssError

MAX_INPUT_BYTES = 1 << 30        # 1 GiB: far above any firmware or platform file


def read_input(path: str | Path, error: type[IssError], what: str) -> bytes:
    """The bytes of the regular file `path`; anything else raises `error` naming the path
    and `what` it should have been (e.g. "an ELF file")."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise error(f"{path}: cannot read {what}: no such file") from None
    except OSError as e:
        raise error(f"{path}: cannot read {what}: {e.strerror}") from None
    try:
        _check_regular(os.fstat(fd), path, error, what)
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read()
    except OSError as e:
        raise error(f"{path}: cannot read {what}: {e.strerror}") from None
    finally:
        os.close(fd)


def _check_regular(st: os.stat_result, path, error: type[IssError], what: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{path}: is a directory, not {what}")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{path}: not a regular file (a FIFO or device?), expected {what}")
    if st.st_size > MAX_INPUT_BYTES:
        raise error(f"{path}: {st.st_size} bytes, too large for {what}")
