#!/usr/bin/env python3
"""Build every firmware app (firmware/apps/<name>/) into ELF files.

usage: python tools/build_firmware.py [--out DIR] [--isa corev|rv32imc] [--force] [APP ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    from iss import toolchain
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from iss import toolchain


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build the firmware apps.")
    ap.add_argument("--out", type=Path, default=None,
                    help="output directory (default: firmware/build/)")
    ap.add_argument("--isa", choices=sorted(toolchain.ISA_MCPU), default=toolchain.DEFAULT_ISA)
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ap.add_argument("apps", nargs="*", help="apps to build (default: all)")
    args = ap.parse_args(argv)

    out_dir = args.out or (toolchain.firmware_dir() / "build")
    apps = args.apps or toolchain.list_apps()
    if not apps:
        print("build_firmware: no apps found", file=sys.stderr)
        return 1
    failed = 0
    for name in apps:
        if args.force:
            (Path(out_dir) / f"{name}.elf.cmd").unlink(missing_ok=True)
        try:
            elf = toolchain.build_app(name, Path(out_dir), isa=args.isa)
        except toolchain.ToolchainError as exc:
            failed += 1
            if exc.output:
                sys.stderr.write(exc.output)
            print(f"{name:20s} FAILED: {exc}")
            continue
        print(f"{name:20s} {elf}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
