"""Writing a JSON document where the user asked (`--json PATH`, '-' for stdout)."""
from __future__ import annotations

import json
from pathlib import Path

from .errors import IssError


def write_json(doc, dest: str, indent: int = 2) -> None:
    """Write doc as JSON to the file dest, or print it when dest is '-'."""
    text = json.dumps(doc, indent=indent)
    if dest == "-":
        print(text)
        return
    try:
        Path(dest).write_text(text + "\n")
    except OSError as e:
        raise IssError(f"cannot write {dest}: {e.strerror}") from None
