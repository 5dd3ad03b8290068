"""The `iss` command line: run, cc, disasm."""
from __future__ import annotations

import argparse
import sys

from . import __version__
from .jsonout import write_json
from .errors import EXIT_FAULT, EXIT_INTERRUPTED, EXIT_LIMIT, EXIT_USAGE, IssError
from .log import warnings_on_stderr

DESCRIPTION = """\
Instruction-set simulator of a PULP cluster (8 x RV32IMC + XpulpV2, IMA and DW accelerators).

commands:
  run      run a firmware ELF and report instructions, time and exit status
  cc       compile and link firmware with the project's runtime (clang from ziglang)
  disasm   disassemble a firmware ELF (RV32IMC + XpulpV2/CORE-V)
  debug    step through firmware in a gdb-like shell (-x FILE --batch for scripts)
  gdbserver  serve firmware to gdb over the GDB remote protocol (target remote :PORT)
  sweep    design-space sweep: a grid of simulations on Dask, results as CSV/Parquet
  plot     draw PNG charts from the JSON stats of `iss run --json` (utilisation, stalls,
           accelerators, energy, profile)

exit codes of `iss run`: the firmware's exit status, or 2 bad input, 3 firmware fault
(or deadlock: every core asleep with nothing left to wake it), 4 instruction limit
reached, 130 interrupted."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "cc":               # clang's arguments pass through untouched
        from .toolchain import cc_main
        return cc_main(argv[1:])
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # argparse reports a subcommand's unknown flags with the top-level usage: use the
        # subcommand's own usage, unless the flag came before the subcommand
        command = getattr(args, "command", None)
        target = parser
        if command is not None and command in argv and unknown[0] in argv \
                and argv.index(unknown[0]) > argv.index(command):
            target = parser.commands[command]
        target.error(f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    if args.command in ("run", "debug", "gdbserver", "sweep"):     # they load the simulator
        from .numba_notice import notice
        notice()                  # one line if numba is about to compile the native hooks
    try:
        with warnings_on_stderr():     # the library's warnings: `iss: warning: ...` lines
            return args.handler(args)
    except IssError as e:
        message = " ".join(str(e).splitlines())      # one line, whatever a library said
        print(f"iss: error: {message}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("iss: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iss", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"iss (pulp-imc-iss) {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.commands = sub.choices            # name -> subcommand parser (its usage for errors)

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
    run.add_argument("--code-hooks", default="auto", choices=("auto", "span", "split"),
                     help="how custom instructions are hooked (speed only): span = one code "
                          "hook over all XpulpV2 inner loops, fastest for SIMD kernels; split "
                          "= one hook per loop, faster when the hot loops are plain RV32 code; "
                          "auto (default) = span, then split after 5 M instructions if the "
                          "code run so far favours it (docs/unicorn-notes.md)")
    run.add_argument("--xpulp-engine", default="on", choices=("on", "interpret", "off"),
                     help="run hardware-loop bodies of SIMD / dot-product / plain code in the "
                          "native loop engine after their first iteration (speed only: the "
                          "same output, counts, cycles, stalls and events; default on). on: "
                          "bodies that have run 2 M instructions are compiled to native code "
                          "(LLVM, ~30 ms each, once per process); interpret: never compiled; "
                          "off: no engine, to compare. Not used with breakpoints, watchpoints, "
                          "--profile, --itrace or --timing accurate")
    run.add_argument("--translate", default="on", choices=("on", "off"),
                     help="run the scalar custom instructions (post-increment and register-"
                          "offset loads/stores, beqimm/bneimm, extends, sle) as plain RV32 "
                          "in a translated copy of the code (speed only: the same output, "
                          "counts, cycles and stalls, original PCs in every report; default "
                          "on); off to compare. Not used with --itrace or --timing accurate")
    run.add_argument("--max-instructions", type=_positive_int, metavar="N",
                     help="stop after N retired instructions of all cores together (exit code 4)")
    run.add_argument("--max-cycles", type=_positive_int, metavar="N",
                     help="stop when the simulated time reaches N cycles (exit code 4): a guard "
                          "against runaway firmware, e.g. polling a register forever")
    run.add_argument("--json", metavar="PATH",
                     help="write machine-readable stats (JSON); '-' for stdout (the firmware's "
                          "own output then goes to stderr)")
    run.add_argument("--quiet", action="store_true", help="no summary on stderr")
    run.add_argument("--progress", type=_non_negative_float, default=1.0, metavar="SECONDS",
                     help="on a terminal, show a progress line once the run has taken SECONDS "
                          "of host time (default 1; 0 = from the first slice of simulation)")
    see = run.add_argument_group("profiles and traces (docs/profiling.md)")
    see.add_argument("--profile", action="store_true",
                     help="per-function profile: instructions, cycles, sleep and stall cycles by "
                          "cause, per core and in total; a table on stderr and a 'profile' key in "
                          "the --json stats (costs a few percent)")
    see.add_argument("--profile-lines", metavar="FUNCTION",
                     help="also profile FUNCTION per source line (DWARF line table; implies --profile)")
    see.add_argument("--trace", metavar="FILE.json",
                     help="write a Chrome/Perfetto timeline (ui.perfetto.dev): cores running/"
                          "waiting, firmware spans (trace.h), accelerator jobs, DMA transfers, "
                          "IPC counters, power per component (mW)")
    see.add_argument("--trace-filter", metavar="LIST", type=_name_list,
                     help="only these tracks in --trace, e.g. cores,ima,power: cores, marks "
                          "(firmware spans), power (counters), ima, dw, dma, or a peripheral's "
                          "platform name (e.g. event_unit)")
    see.add_argument("--trace-power-period", metavar="CYCLES", type=int,
                     help="period of the --trace power counters (default: the run in at most "
                          "2000 periods, at least 100 cycles each)")
    see.add_argument("--itrace", metavar="FILE",
                     help="SLOW (~0.1 MIPS): write one line per executed instruction (hart, "
                          "cycle, pc, disassembly, register write-back); '-' for stdout")
    see.add_argument("--itrace-harts", metavar="LIST", type=_hart_list,
                     help="only these harts in --itrace, e.g. 0,1 (the others run at full speed)")
    see.add_argument("--itrace-range", metavar="LO:HI",
                     help="only instructions with LO <= pc < HI in --itrace (numbers, or a "
                          "function name)")
    see.add_argument("--itrace-mem", action="store_true",
                     help="add Spike-style memory fields to --itrace lines: 'mem 0xADDR' for "
                          "loads, 'mem 0xADDR 0xVALUE' for stores")
    run.set_defaults(handler=_cmd_run)

    sub.add_parser("cc", help="compile firmware: iss cc [--isa corev|rv32imc] [clang args] -o OUT.elf SRC...")

    dis = sub.add_parser("disasm", help="disassemble a firmware ELF")
    dis.add_argument("firmware", metavar="FIRMWARE.elf")
    dis.add_argument("--function", metavar="NAME", help="only this function")
    dis.add_argument("--isa", default="auto", choices=("auto", "corev", "xpulpv2"))
    dis.set_defaults(handler=_cmd_disasm)

    dbg = sub.add_parser("debug", help="gdb-like debugger shell",
                         description="Debug FIRMWARE.elf with gdb's commands (break, run, "
                                     "continue, stepi, next, info registers, x/, print, ...). "
                                     "The original code runs: no translation (--translate), "
                                     "so breakpoints and steps see every instruction.")
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
                                     "`target remote :PORT`. Each core is a gdb thread "
                                     "(\"core N\"); gdb's per-thread continue and step hold "
                                     "the other cores; next and step use range stepping (the "
                                     "core runs natively until it leaves the line). The "
                                     "original code runs: no translation (--translate), "
                                     "so breakpoints and steps see every instruction.")
    from .debugger.gdbserver import add_arguments as gdbserver_arguments
    gdbserver_arguments(gdb)
    gdb.set_defaults(handler=_cmd_gdbserver)

    plot = sub.add_parser("plot", help="charts (PNG) from `iss run --json` stats",
                          description="Draw PNG charts from STATS.json (`iss run --json`): per-core "
                                      "utilisation (active / stalled / asleep), stall cycles by "
                                      "cause, accelerator and DMA busy time, the energy breakdown "
                                      "(if the stats have one) and the busiest functions (if "
                                      "they have a --profile).")
    plot.add_argument("stats", metavar="STATS.json")
    plot.add_argument("-o", "--output", metavar="DIR", default=".",
                      help="directory for the PNG files (default: the current directory)")
    from .sweep.cli import add_plot_arguments               # sweep results: iss/sweep/plot.py
    add_plot_arguments(plot)
    plot.set_defaults(handler=_cmd_plot)

    from .sweep.cli import add_parser as sweep_parser     # iss/sweep/ (README: Design-space sweeps)
    sweep_parser(sub)
    return parser


def _cmd_plot(args) -> int:
    from .sweep.cli import is_sweep_plot, plot_main
    if is_sweep_plot(args):
        return plot_main(args)
    from .plot import plot_stats
    for path in plot_stats(args.stats, args.output):
        print(path)
    return 0


def _hart_list(text: str) -> set[int]:
    try:
        harts = {int(x, 0) for x in text.split(",") if x.strip()}
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of hart numbers: {text!r}") from None
    if not harts or min(harts) < 0:
        raise argparse.ArgumentTypeError(f"not a list of hart numbers: {text!r}")
    return harts


def _name_list(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"not a list of names: {text!r}")
    return names


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


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return value


def _cmd_run(args) -> int:
    from .scheduler import SLICE_SECONDS
    from .simulator import Simulator
    # with --json -, stdout carries only the JSON: the firmware's output goes to stderr
    output = sys.stderr if args.json == "-" else None
    itrace = _open_itrace(args)
    try:
        sim = Simulator(args.firmware, args.platform, isa=args.isa, cores=args.cores,
                        timing=args.timing, output=output,
                        itrace=itrace[0] if itrace else None, code_hooks=args.code_hooks,
                        xpulp_engine=args.xpulp_engine != "off",
                        compile_loops=args.xpulp_engine == "on", translate=args.translate == "on")
        profile = args.profile or args.profile_lines is not None
        if profile:
            from .profile import enable
            enable(sim)
        tracer = None
        if args.trace:
            from .trace import Tracer
            tracer = Tracer(sim, filters=args.trace_filter, power_period=args.trace_power_period)
        elif args.trace_filter is not None or args.trace_power_period is not None:
            raise IssError("--trace-filter / --trace-power-period need --trace FILE.json")
        progress = (_ProgressLine(args.progress) if sys.stderr.isatty() and not args.quiet
                    else None)
        result = sim.run(max_instructions=args.max_instructions, progress=progress,
                         max_cycles=args.max_cycles,
                         progress_seconds=min(args.progress, SLICE_SECONDS))
        if progress is not None:
            progress.clear()
    finally:
        if itrace:
            itrace[0].close()
            if itrace[1] is not sys.stdout:
                itrace[1].close()
    stats = result.stats
    stop = result.stop
    if profile:
        from .profile import collect, render
        stats["profile"] = collect(sim, args.profile_lines)
        render(stats["profile"], stats)
    if tracer is not None:
        try:
            tracer.write(args.trace)
        except OSError as e:
            raise IssError(f"cannot write {args.trace}: {e.strerror}") from None
    if args.json:
        write_json(stats, args.json)
    if stop.reason in ("fault", "limit", "interrupted", "deadlock"):
        from .isa_hint import flavour_hint
        print(f"iss: {sim.describe_stop(stop, stats['stop_hart'])}{flavour_hint(sim, stop)}",
              file=sys.stderr)
    if not args.quiet:
        seconds = stats["time_seconds"]
        print(f"iss: {stop.reason}"
              f"{f' (status {result.exit_code})' if stop.reason == 'exit' else ''}: "
              f"{stats['instructions']:,} instructions, {stats['cycles']:,} cycles "
              f"({seconds * 1e6:,.1f} us at {stats['clock_hz'] / 1e6:g} MHz) on {stats['cores']} "
              f"cores in {stats['wall_seconds']:.3f} s ({stats['mips']:.1f} MIPS)", file=sys.stderr)
    return {"exit": (result.exit_code or 0) & 0xFF, "fault": EXIT_FAULT, "limit": EXIT_LIMIT,
            "interrupted": EXIT_INTERRUPTED, "deadlock": EXIT_FAULT}[stop.reason]


def _open_itrace(args):
    """(InstructionTrace, file) for --itrace, or None."""
    if not args.itrace:
        if args.itrace_harts is not None or args.itrace_range is not None or args.itrace_mem:
            raise IssError("--itrace-harts / --itrace-range / --itrace-mem need --itrace FILE")
        return None
    from .itrace import InstructionTrace
    if args.itrace == "-" and args.json == "-":
        raise IssError("--itrace - and --json - cannot both use stdout")
    if args.itrace == "-":
        out = sys.stdout
    else:
        try:
            out = open(args.itrace, "w", buffering=1 << 20)
        except OSError as e:
            raise IssError(f"cannot write {args.itrace}: {e.strerror}") from None
    print("iss: --itrace is slow (a Python hook per instruction of the traced harts)",
          file=sys.stderr)
    return InstructionTrace(out, args.itrace_harts, args.itrace_range, args.itrace_mem), out


class _ProgressLine:
    """One self-overwriting status line on a terminal's stderr during long runs."""

    def __init__(self, after: float):
        self.after = after       # host seconds before the line first shows
        self.shown = False

    def __call__(self, sim, elapsed: float) -> None:
        if elapsed < self.after:
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
