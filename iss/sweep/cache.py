"""Per-point result cache: one JSON file per finished point, named by the point's key.

The key hashes everything a result depends on: the firmware bytes, the platform text with the
point's parameters applied, the run options and the simulator version (package version plus
a digest of the simulator's and plugins' sources, so editing the simulator invalidates the
cache). Timed-out points and lost workers are not cached: a re-run tries them again.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

NOT_CACHED = ("timeout", "lost")
NOT_SIMULATOR = ("sweep", "debugger")     # packages of iss that do not affect a run


def simulator_version() -> str:
    """The version of the simulator's source files as they are now."""
    import iss
    import iss_plugins
    digest = hashlib.sha256()
    for package in (iss, iss_plugins):
        root = Path(package.__file__).parent
        for file in sorted(root.rglob("*")):
            rel = file.relative_to(root)
            if file.suffix in (".py", ".toml") and rel.parts[0] not in NOT_SIMULATOR:
                digest.update(str(rel).encode() + b"\0" + file.read_bytes())
    return f"{iss.__version__}+{digest.hexdigest()[:16]}"


@lru_cache(maxsize=1)
def loaded_version() -> str:
    """The version a worker process runs: the files as they were when it first ran a point."""
    return simulator_version()


def point_key(point, version: str) -> str:
    text = json.dumps({"firmware": point.firmware.digest, "platform": point.platform_text,
                       "run": point.run, "simulator": version}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class Cache:
    def __init__(self, directory):
        self.dir = Path(directory) if directory is not None else None

    def get(self, key: str) -> dict | None:
        if self.dir is None:
            return None
        try:
            return json.loads((self.dir / f"{key}.json").read_text())
        except (OSError, ValueError):
            return None

    def put(self, key: str, record: dict) -> None:
        if self.dir is None or record["status"] in NOT_CACHED:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(record))
        os.replace(tmp, self.dir / f"{key}.json")       # never a half-written entry
