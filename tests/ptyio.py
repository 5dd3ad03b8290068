"""Reading a child's terminal output in the tests that drive `iss run` on a pty."""
from __future__ import annotations

import os
import signal


def sigint_default() -> None:
    """Popen's preexec_fn for a child the test stops with SIGINT: SIGINT at its default, so
    Python in the child turns it into KeyboardInterrupt even when the test suite itself was
    started with SIGINT ignored (a background job of a non-interactive shell is; its
    children inherit that, and Python keeps an inherited SIG_IGN)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def read_to_end(master: int) -> bytes:
    """What the pty still delivers until the child closes it; closes it."""
    data = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:       # EIO: the child's side is closed
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    return data
