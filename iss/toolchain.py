"""Firmware toolchain: the ``iss cc`` driver around ``python -m ziglang cc`` (clang).

``iss cc [--isa corev|corev-bitmanip|rv32imc] [clang args] -o OUT.elf SOURCES...`` compiles and
links firmware for the simulated PULP cluster with the project's own runtime
(``firmware/runtime``: crt0.S, libc.c, cluster.c, link.ld, include/).  zig links its compiler_rt
(64-bit division, soft float), built for the same -mcpu, so we link *without* ``-nostdlib``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET = "riscv32-freestanding-none"

# -mcpu per --isa.  The default "corev" leaves out XCVbitmanip: with it, the clang of the ziglang
# wheel lowers llvm.ctlz (__builtin_clz, and the clz inside compiler-rt's 64-bit division and
# soft-float, which zig builds for the same -mcpu) to a bare cv.fl1, the index of the highest
# set bit instead of the count of leading zeros (llvm/llvm-project#197006, fixed upstream by
# PR #197288): __builtin_clz(0x10000) gives 16, printf("%f", 1.5) prints 1.000000 and
# __udivmoddi4 loops forever.  "corev-bitmanip" is the full set, for a clang with the fix.
ISA_MCPU = {
    "corev": "generic_rv32+m+c+xcvalu+xcvmac+xcvmem+xcvbi+xcvelw+xcvsimd",
    "corev-bitmanip": "generic_rv32+m+c+xcvalu+xcvmac+xcvmem+xcvbi+xcvbitmanip+xcvelw+xcvsimd",
    "rv32imc": "generic_rv32+m+c",
}
DEFAULT_ISA = "corev"

# Hand-written assembly keeps every CORE-V instruction: a header pre-included into every
# source (runtime/include/corev_asm.h, `.option arch, +xcvbitmanip` under __ASSEMBLER__: .S
# files only, C sees nothing), and the full -mcpu when only assembly is compiled (no code
# generation, no compiler-rt: `iss cc -c x.s`).  Inline asm in C: XP_BITMANIP_ASM (xpulp.h).
ASM_PRELUDE = {"corev": "corev_asm.h"}
ASM_ONLY_MCPU = {"corev": ISA_MCPU["corev-bitmanip"]}

RUNTIME_SOURCES = ("crt0.S", "libc.c", "cluster.c", "pmsis.c")
LINKER_SCRIPT = "link.ld"

# zig cc prints this on stderr for every compile; it is noise.
_SPURIOUS = "argument unused during compilation: '-c'"

_SOURCE_SUFFIXES = (".c", ".S", ".s")


class ToolchainError(RuntimeError):
    """Compilation or link failure; ``output`` holds the (filtered) compiler output."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


def firmware_dir() -> Path:
    """The firmware folder (runtime, apps, isa_tests), found through ``iss_firmware``."""
    try:
        import iss_firmware  # noqa: WPS433 (package dir of <repo>/firmware)

        files = getattr(iss_firmware, "__file__", None)
        if files:
            return Path(files).resolve().parent
        paths = list(getattr(iss_firmware, "__path__", []))
        if paths:
            return Path(paths[0]).resolve()
    except ImportError:
        pass
    here = Path(__file__).resolve().parent.parent / "firmware"
    if (here / "runtime").is_dir():
        return here
    raise ToolchainError("cannot locate the firmware folder (is the iss_firmware package installed?)")


def runtime_dir() -> Path:
    return firmware_dir() / "runtime"


def runtime_files() -> list[Path]:
    """Every shared file a firmware build may depend on (for cache checks): the runtime
    and the kernel library that apps include (firmware/kernels)."""
    rt = runtime_dir()
    files = [rt / s for s in RUNTIME_SOURCES] + [rt / LINKER_SCRIPT]
    for shared in (rt / "include", firmware_dir() / "kernels"):
        if shared.is_dir():
            files += sorted(p for p in shared.rglob("*") if p.is_file())
    return files


def _filter_output(text: str) -> str:
    lines = [ln for ln in text.splitlines(keepends=True) if _SPURIOUS not in ln]
    return "".join(lines)


def compiler_command(args: list[str], out: str | os.PathLike, isa: str = DEFAULT_ISA,
                     link: bool = True, assemble_only: bool = False) -> list[str]:
    """Full command line for compiling ``args`` (user flags + sources) into ``out``.

    ``link`` adds the runtime (crt0.S, libc.c, cluster.c, link.ld).  ``assemble_only`` (no C
    source, no link: nothing is code-generated) lets the assembler take every extension of
    ``isa`` (see ASM_ONLY_MCPU)."""
    if isa not in ISA_MCPU:
        raise ToolchainError(f"unknown --isa '{isa}' (choose from {', '.join(ISA_MCPU)})")
    rt = runtime_dir()
    mcpu = ASM_ONLY_MCPU.get(isa, ISA_MCPU[isa]) if assemble_only else ISA_MCPU[isa]
    cmd = [sys.executable, "-m", "ziglang", "cc", "-target", TARGET, f"-mcpu={mcpu}"]
    if not any(a.startswith("-O") for a in args):
        cmd.append("-O2")
    if not any(a.startswith("-g") for a in args):
        cmd.append("-g")
    cmd += ["-ffreestanding", "-fno-sanitize=all", "-I", str(rt / "include")]
    raw_asm_only = not link and all(a.endswith(".s") for a in args
                                    if not a.startswith("-") and a.endswith(_SOURCE_SUFFIXES))
    if isa in ASM_PRELUDE and not raw_asm_only:      # (.s is not preprocessed: no -include)
        cmd += ["-include", str(rt / "include" / ASM_PRELUDE[isa])]
    cmd += list(args)
    if link:
        cmd += [str(rt / s) for s in RUNTIME_SOURCES]
        cmd += ["-T", str(rt / LINKER_SCRIPT)]
    cmd += ["-o", str(out)]
    return cmd


def run_compiler(cmd: list[str]) -> tuple[int, str, str]:
    """Run a compiler command; return (rc, stdout, filtered stderr)."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as exc:  # pragma: no cover - interpreter vanished
        raise ToolchainError(f"cannot run the compiler: {exc}") from exc
    stderr = _filter_output(proc.stderr)
    if proc.returncode != 0 and "No module named ziglang" in stderr:
        raise ToolchainError("the ziglang package is not installed (pip install ziglang)", stderr)
    if proc.returncode != 0 and "'XCVbitmanip'" in stderr and ASM_PRELUDE["corev"] in str(cmd):
        stderr += _BITMANIP_HINT
    return proc.returncode, _filter_output(proc.stdout), stderr


_BITMANIP_HINT = (
    "iss cc: note: XCVbitmanip is not in the compiler's -mcpu (LLVM bug llvm/llvm-project#197006"
    " miscompiles __builtin_clz with it): .S files get it from corev_asm.h; in a .s file add"
    " `.option arch, +xcvbitmanip`, in inline asm wrap the instruction in XP_BITMANIP_ASM"
    " (xpulp.h)\n")


def toolchain_signature(args: list[str], isa: str = DEFAULT_ISA) -> str:
    """What a cached build depends on besides file contents: the full compiler command
    (-mcpu, default flags, pre-included header, runtime) and the ziglang (clang) version."""
    try:
        from importlib.metadata import version

        zig = version("ziglang")
    except Exception:  # noqa: BLE001 - not installed / no metadata: the build will say so
        zig = "?"
    cmd = compiler_command(list(args), "OUT", isa=isa)
    return "\n".join([f"ziglang={zig}", *cmd[3:]]) + "\n"


def compile_firmware(sources: list[str | os.PathLike], out: str | os.PathLike,
                     isa: str = DEFAULT_ISA, extra_args: list[str] | None = None) -> Path:
    """Compile+link ``sources`` with the runtime into ``out`` (atomic write).

    Raises ToolchainError (with the compiler output) on failure.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        cmd = compiler_command([*(extra_args or []), *map(str, sources)], tmp, isa=isa)
        rc, so, se = run_compiler(cmd)
        if rc != 0:
            raise ToolchainError(f"compilation of {out.name} failed (exit {rc})", so + se)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def _needs_rebuild(out: Path, deps: list[Path], stamp: Path, signature: str) -> bool:
    if not out.exists() or not stamp.exists():
        return True
    try:
        if stamp.read_text() != signature:
            return True
    except OSError:
        return True
    t = out.stat().st_mtime
    return any(d.stat().st_mtime > t for d in deps if d.exists())


def build_cached(sources: list[Path], out: Path, isa: str = DEFAULT_ISA,
                 extra_args: list[str] | None = None, extra_deps: list[Path] | None = None) -> Path:
    """Build ``out`` unless it is newer than all sources/runtime files and was built
    with the same isa, flags and compiler command (recorded in ``OUT.cmd``)."""
    out = Path(out)
    stamp = out.with_name(out.name + ".cmd")
    signature = f"isa={isa}\n" + toolchain_signature([*(extra_args or []), *map(str, sources)],
                                                      isa=isa)
    deps = [*sources, *(extra_deps or []), *runtime_files()]
    if not _needs_rebuild(out, deps, stamp, signature):
        return out
    compile_firmware(sources, out, isa=isa, extra_args=extra_args)
    stamp.write_text(signature)
    return out


def app_sources(name: str) -> list[Path]:
    app = firmware_dir() / "apps" / name
    if not app.is_dir():
        raise ToolchainError(f"no such app '{name}' (looked in {app})")
    srcs = sorted(p for p in app.iterdir() if p.suffix in (".c", ".S") and p.is_file())
    if not srcs:
        raise ToolchainError(f"app '{name}' has no .c/.S sources")
    return srcs


def list_apps() -> list[str]:
    apps = firmware_dir() / "apps"
    if not apps.is_dir():
        return []
    return sorted(p.name for p in apps.iterdir()
                  if p.is_dir() and any(q.suffix in (".c", ".S") for q in p.iterdir()))


def build_app(name: str, out_dir: Path, isa: str = DEFAULT_ISA) -> Path:
    """Compile firmware/apps/<name>/*.c/*.S into out_dir/<name>.elf (cached)."""
    app = firmware_dir() / "apps" / name
    srcs = app_sources(name)
    headers = sorted(p for p in app.iterdir() if p.suffix == ".h")
    out = Path(out_dir) / f"{name}.elf"
    return build_cached(srcs, out, isa=isa, extra_args=["-I", str(app)], extra_deps=headers)


def build_isa_test(name: str, out_dir: Path, isa: str = DEFAULT_ISA) -> Path:
    """Assemble firmware/isa_tests/<name>.S (linked with crt0) into out_dir/<name>.elf."""
    src = firmware_dir() / "isa_tests" / (name if name.endswith(".S") else f"{name}.S")
    if not src.is_file():
        raise ToolchainError(f"no such ISA test '{name}' (looked for {src})")
    out = Path(out_dir) / f"{src.stem}.elf"
    return build_cached([src], out, isa=isa, extra_deps=sorted(src.parent.glob("*.inc")))


_USAGE = ("usage: iss cc [--isa corev|corev-bitmanip|rv32imc] [clang args] -o OUT.elf "
          "SOURCES...")


def cc_main(argv: list[str]) -> int:
    """Entry point of ``iss cc``; returns the process exit code."""
    isa = DEFAULT_ISA
    out: str | None = None
    passthrough: list[str] = []
    it = iter(argv)
    for a in it:
        if a in ("-h", "--help"):
            print(_USAGE)
            print(f"  --isa corev           -mcpu={ISA_MCPU['corev']} (default;")
            print("                        .S files also get +xcvbitmanip, see corev_asm.h)")
            print(f"  --isa corev-bitmanip  -mcpu={ISA_MCPU['corev-bitmanip']}")
            print("                        (miscompiles __builtin_clz, 64-bit division and")
            print("                        soft-float with this clang: llvm-project#197006)")
            print(f"  --isa rv32imc         -mcpu={ISA_MCPU['rv32imc']}")
            print("  adds -O2 -g (unless given), -ffreestanding, the runtime (crt0.S, libc.c,")
            print("  cluster.c, include/) and -T link.ld; other arguments go to clang unchanged.")
            return 0
        if a == "--isa":
            isa = next(it, None)
            if isa is None:
                print(f"iss cc: error: --isa needs a value ({', '.join(ISA_MCPU)})",
                      file=sys.stderr)
                return 2
        elif a.startswith("--isa="):
            isa = a.split("=", 1)[1]
        elif a == "-o":
            out = next(it, None)
            if out is None:
                print("iss cc: error: -o needs a file name", file=sys.stderr)
                return 2
        elif a.startswith("-o") and len(a) > 2:
            out = a[2:]
        else:
            passthrough.append(a)
    if isa not in ISA_MCPU:
        print(f"iss cc: error: unknown --isa '{isa}' (choose from {', '.join(ISA_MCPU)})",
              file=sys.stderr)
        return 2
    compile_only = any(a in ("-c", "-S", "-E") for a in passthrough)
    inputs = [a for a in passthrough if not a.startswith("-") and a.endswith(_SOURCE_SUFFIXES)]
    if not inputs:
        print(f"iss cc: error: no input files ({_USAGE})", file=sys.stderr)
        return 2
    missing = [a for a in inputs if not Path(a).exists()]
    if missing:
        print(f"iss cc: error: no such file: {missing[0]}", file=sys.stderr)
        return 1
    guessed = out is None
    if guessed:      # next to nothing the user named: the current directory, never over a file
        out = Path(inputs[0]).with_suffix(".o" if compile_only else ".elf").name
        if Path(out).exists():
            print(f"iss cc: error: no -o given and {out} exists: pass -o {out} to overwrite it",
                  file=sys.stderr)
            return 2
    assemble_only = compile_only and all(a.endswith((".S", ".s")) for a in inputs)
    try:
        cmd = compiler_command(passthrough, out, isa=isa, link=not compile_only,
                               assemble_only=assemble_only)
        rc, so, se = run_compiler(cmd)
    except ToolchainError as exc:
        if exc.output:
            sys.stderr.write(exc.output)
        print(f"iss cc: error: {exc}", file=sys.stderr)
        return 1
    if so:
        sys.stdout.write(so)
    if se:
        sys.stderr.write(se)
    if rc != 0:
        print(f"iss cc: error: compilation failed (clang exit {rc}), no output written",
              file=sys.stderr)
        return 1
    if guessed:
        print(f"iss cc: wrote {out} (no -o given)", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cc_main(sys.argv[1:]))
