"""The tree passes ruff with the project's rule selection (pyproject.toml [tool.ruff.lint]:
pyflakes F, i.e. unused imports and variables, undefined names, f-strings without fields...;
bugbear B, i.e. loop-variable closures, mutable defaults, zip() without strict=...; pyupgrade
UP, the syntax of the supported Python), so dead code and likely bugs do not accumulate; and
the public-API modules type-check with mypy (pyproject.toml [tool.mypy])."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINTED = ["iss", "plugins", "experiments", "tools", "tests", "firmware"]
# the public API: what `import iss` exports, the plugin API (docs/plugins.md) and the
# test helpers plugin authors use
TYPED = ["iss/__init__.py", "iss/host.py", "iss/testing.py", "iss/plugin.py", "iss/errors.py",
         "iss/platform.py", "iss/schema.py", "iss/log.py"]


def test_ruff_selection_is_configured():
    lint = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert {"F", "B", "UP"} <= set(lint["select"])


def test_ruff_passes():
    # no --select: the project configuration (pyproject.toml) decides the rules
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache",
                        "--output-format", "concise", *LINTED],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_public_api():
    r = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental",
                        "--cache-dir", "/dev/null", *TYPED],
                       capture_output=True, text=True, cwd=REPO, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
