"""Reading a child's terminal output in the tests that drive `iss run` on a pty."""
from __future__ import annotations

import os


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
