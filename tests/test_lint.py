"""The tree passes pyflakes-class checks (ruff's F rules: unused imports and variables,
undefined names, f-strings without fields...), so dead code does not accumulate."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_f_rules_pass():
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "F", "--no-cache",
                        "--output-format", "concise", "iss", "plugins", "tools", "tests",
                        "firmware"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
