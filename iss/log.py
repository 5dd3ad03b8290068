"""The library's warnings are `logging` records (docs/python-api.md "Warnings").

Library modules log under the `iss` logger hierarchy (`logging.getLogger(__name__)`, e.g.
`iss.hwpe` for the accelerators' misconfiguration warnings), so a Python program silences,
filters or captures them with the standard logging API. The command-line tools
(`iss run`, `iss debug`, `iss gdbserver`, `iss sweep`) install `StderrLines` for the duration
of the command: one `iss: warning: <message>` line per record on stderr.
"""
from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

LOGGER = "iss"


class StderrLines(logging.Handler):
    """Each record as one `iss: <level>: <message>` line (`iss: warning: ...`) on the
    current `sys.stderr`, looked up at each record (so `contextlib.redirect_stderr` and
    pytest's capsys see the lines)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stderr
            stream.write(f"iss: {record.levelname.lower()}: {record.getMessage()}\n")
            stream.flush()
        except Exception:       # noqa: BLE001 - logging's convention: report, do not raise
            self.handleError(record)


@contextlib.contextmanager
def warnings_on_stderr(level: int = logging.WARNING) -> Iterator[StderrLines]:
    """While active, the `iss` loggers' records of `level` and above are printed on stderr
    as the command-line tools print them (once: nested uses, e.g. a sweep point run in the
    `iss sweep` process itself, share the outer handler)."""
    logger = logging.getLogger(LOGGER)
    outer = next((h for h in logger.handlers if isinstance(h, StderrLines)), None)
    if outer is not None:
        yield outer
        return
    handler = StderrLines(level)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
