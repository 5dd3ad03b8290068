"""The `iss` command line: run, cc, disasm."""
from __future__ import annotations

import argparse
import json
import sys

from .errors import EXIT_FAULT, EXIT_INTERRUPTED, EXIT_LIMIT, EXIT_USAGE, IssError

DESCRIPTION = """\
Instruction-set simulator of a PULP cluster (8 x RV32IMC + XpulpV2, IMA and DW accelerators).

commands:
  run      run a firmware ELF and report instructions, time and exit status
  cc       compile and link firmware with the project's runtime (clang from ziglang)
  disasm   disassemble a firmware ELF (RV32IMC + XpulpV2/CORE-V)
  debug    step through firmware in a gdb-like shell (-x FILE --batch for scripts)
  gdbserver  serve firmware to gdb over the GDB remote protocol (target remote :PORT)

exit codes of `iss run`: the firmware's exit status, or 2 bad input, 3 firmware fault
(or deadlock: every core asleep with nothing left to wake it), 4 instruction limit
reached, 130 interrupted."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "cc":               # clang's arguments pass through untouched
        from .toolchain import cc_main
        return cc_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except IssError as e:
        print(f"iss: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("iss: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iss", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a firmware ELF",
                         description="Run FIRMWARE.elf on the simulated cluster. Firmware output "
                                     "goes to stdout; a summary goes to stderr.")
    run.add_argument("firmware", metavar="FIRMWARE.elf")
    run.add_argument("--platform", metavar="FILE", help="platform TOML (default: the paper's cluster)")
    run.add_argument("--isa", default="auto", choices=("auto", "corev", "xpulpv2"),
                     help="custom-instruction encodings; auto reads the ELF's .riscv.attributes "
                          "(default: auto, falling back to corev)")
    run.add_argument("--cores", type=_positive_int, metavar="N",
                     help="number of cores (harts) in the cluster (default: the platform's, 8)")
    run.add_argument("--timing", default="fast", choices=("fast", "accurate"),
                     help="core timing model: fast (default) or accurate (adds TCDM bank "
                          "conflicts and misaligned accesses; loads/stores run slower), "
                          "see docs/cluster.md")
    run.add_argument("--max-instructions", type=_positive_int, metavar="N",
                     help="stop after N retired instructions of all cores together (exit code 4)")
    run.add_argument("--json", metavar="PATH",
                     help="write machine-readable stats (JSON); '-' for stdout (the firmware's "
                          "own output then goes to stderr)")
    run.add_argument("--quiet", action="store_true", help="no summary on stderr")
    run.set_defaults(handler=_cmd_run)

    sub.add_parser("cc", help="compile firmware: iss cc [--isa corev|rv32imc] [clang args] -o OUT.elf SRC...")

    dis = sub.add_parser("disasm", help="disassemble a firmware ELF")
    dis.add_argument("firmware", metavar="FIRMWARE.elf")
    dis.add_argument("--function", metavar="NAME", help="only this function")
    dis.add_argument("--isa", default="auto", choices=("auto", "corev", "xpulpv2"))
    dis.set_defaults(handler=_cmd_disasm)

    dbg = sub.add_parser("debug", help="gdb-like debugger shell",
                         description="Debug FIRMWARE.elf with gdb's commands (break, run, "
                                     "continue, stepi, next, info registers, x/, print, ...).")
    dbg.add_argument("firmware", metavar="FIRMWARE.elf")
    dbg.add_argument("--platform", metavar="FILE")
    dbg.add_argument("--isa", default="auto", choices=("auto", "corev", "xpulpv2"))
    dbg.add_argument("--cores", type=_positive_int, metavar="N",
                     help="cores in the cluster (default: the platform's)")
    dbg.add_argument("-x", dest="command_files", action="append", default=[], metavar="FILE",
                     help="execute the debugger commands in FILE (repeatable)")
    dbg.add_argument("--batch", action="store_true", help="exit after the -x files ran")
    dbg.set_defaults(handler=_cmd_debug)

    gdb = sub.add_parser("gdbserver", help="GDB remote serial protocol server",
                         description="Let gdb-multiarch / riscv*-gdb debug FIRMWARE.elf: "
                                     "`target remote :PORT`.")
    from .debugger.gdbserver import add_arguments as gdbserver_arguments
    gdbserver_arguments(gdb)
    gdb.set_defaults(handler=_cmd_gdbserver)
    return parser


def _cmd_debug(args) -> int:
    from .debugger.shell import main as shell_main
    return shell_main(args)


def _cmd_gdbserver(args) -> int:
    from .debugger.gdbserver import main as gdbserver_main
    return gdbserver_main(args)


def _positive_int(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _cmd_run(args) -> int:
    from .simulator import Simulator
    # with --json -, stdout carries only the JSON: the firmware's output goes to stderr
    output = sys.stderr if args.json == "-" else None
    sim = Simulator(args.firmware, args.platform, isa=args.isa, cores=args.cores,
                    timing=args.timing, output=output)
    progress = _ProgressLine() if sys.stderr.isatty() and not args.quiet else None
    result = sim.run(max_instructions=args.max_instructions, progress=progress)
    if progress is not None:
        progress.clear()
    stats = result.stats
    stop = result.stop
    if args.json:
        text = json.dumps(stats, indent=2)
        if args.json == "-":
            print(text)
        else:
            try:
                with open(args.json, "w") as f:
                    f.write(text + "\n")
            except OSError as e:
                raise IssError(f"cannot write {args.json}: {e.strerror}") from None
    if stop.reason in ("fault", "limit", "interrupted", "deadlock"):
        print(f"iss: {sim.describe_stop(stop, stats['stop_hart'])}", file=sys.stderr)
    if not args.quiet:
        seconds = stats["time_seconds"]
        print(f"iss: {stop.reason}"
              f"{f' (status {result.exit_code})' if stop.reason == 'exit' else ''}: "
              f"{stats['instructions']:,} instructions, {stats['cycles']:,} cycles "
              f"({seconds * 1e6:,.1f} us at {stats['clock_hz'] / 1e6:g} MHz) on {stats['cores']} "
              f"cores in {stats['wall_seconds']:.3f} s ({stats['mips']:.1f} MIPS)", file=sys.stderr)
    return {"exit": (result.exit_code or 0) & 0xFF, "fault": EXIT_FAULT, "limit": EXIT_LIMIT,
            "interrupted": EXIT_INTERRUPTED, "deadlock": EXIT_FAULT}[stop.reason]


class _ProgressLine:
    """One self-overwriting status line on a terminal's stderr during long runs."""

    def __init__(self):
        self.shown = False

    def __call__(self, sim, elapsed: float) -> None:
        if elapsed < 1.0:
            return
        n = sim.instructions
        sys.stderr.write(f"\r\x1b[Kiss: {sim.cycles:,} cycles, {n:,} instructions, {elapsed:.1f} s, "
                         f"{n / elapsed / 1e6:.1f} MIPS (Ctrl-C stops with the stats so far)")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _cmd_disasm(args) -> int:
    from .disasm import listing
    from .elf import load_elf
    from .isa_flavour import select_flavour
    image = load_elf(args.firmware)
    flavour = select_flavour(args.isa, image.arch)
    try:
        for line in listing(image, flavour, args.function):
            print(line)
    except BrokenPipeError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
