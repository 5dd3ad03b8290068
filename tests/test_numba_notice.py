"""The one-line notice before numba compiles the native hooks: shown when the cache is cold,
never when it is warm (issue 19 item 4a)."""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

from iss.numba_notice import MESSAGE, cold_sources, numba_sources


def _env(**extra):
    env = dict(os.environ)
    env.pop("NUMBA_CACHE_DIR", None)
    env.update(extra)
    return env


def test_probe_follows_numbas_own_cache(tmp_path):
    """A module is cold until numba has cached it, and again once its source changes."""
    module = tmp_path / "m.py"
    module.write_text("from numba import njit\n\n@njit(cache=True)\ndef f(x):\n    return x + 1\n")
    assert cold_sources([module]) == [module]
    run = [sys.executable, "-c", "import m; assert m.f(1) == 2"]
    subprocess.run(run, cwd=tmp_path, env=_env(), check=True, timeout=300)
    assert list((tmp_path / "__pycache__").glob("m.f-*.nbi"))       # numba wrote its index
    assert cold_sources([module]) == []
    module.write_text(module.read_text().replace("x + 1", "x + 2"))
    assert cold_sources([module]) == [module]                        # stale: recompiles
    subprocess.run([sys.executable, "-c", "import m; assert m.f(1) == 3"], cwd=tmp_path,
                   env=_env(), check=True, timeout=300)
    assert cold_sources([module]) == []


def test_the_simulators_numba_modules():
    import iss
    package = Path(iss.__file__).resolve().parent
    names = {p.relative_to(package).as_posix() for p in numba_sources()}
    assert {"hooks.py", "xpulp_exec.py", "hwloop_engine.py", "isa/semantics.py"} <= names


def test_warm_cache_no_notice(firmware_elf):
    elf = firmware_elf("hello")
    run = [sys.executable, "-m", "iss.cli", "run", str(elf), "--quiet"]
    subprocess.run(run, capture_output=True, env=_env(), timeout=900, check=False)   # warms the cache
    r = subprocess.run(run, capture_output=True, text=True, env=_env(), timeout=900, check=False)
    assert r.returncode == 0, r.stderr
    assert "compiling native hooks" not in r.stderr
    assert r.stderr == ""


def test_cold_cache_notice_first(firmware_elf, tmp_path):
    """An empty NUMBA_CACHE_DIR: the notice is the first line, before the compile (the run is
    stopped there: compiling everything takes minutes)."""
    elf = firmware_elf("hello")
    p = subprocess.Popen([sys.executable, "-m", "iss.cli", "run", str(elf), "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=_env(NUMBA_CACHE_DIR=str(tmp_path / "cache")))
    try:
        deadline = time.monotonic() + 120
        ready = []
        while not ready and time.monotonic() < deadline and p.poll() is None:
            ready, _, _ = select.select([p.stderr], [], [], 1.0)
        assert ready, "no notice on stderr"
        assert p.stderr.readline().rstrip("\n") == MESSAGE
        assert p.poll() is None                 # still compiling: the notice came first
    finally:
        p.kill()
        p.wait()
