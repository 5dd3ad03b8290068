"""GDB Remote Serial Protocol server: let gdb (gdb-multiarch, riscv*-gdb) debug firmware.

    iss gdbserver FIRMWARE.elf [--port 3333] [--host 127.0.0.1] [--platform F] [--isa I]
    python -m iss.debugger.gdbserver FIRMWARE.elf [--port N]
    gdb-multiarch FIRMWARE.elf -ex 'target remote :3333'

Built on DebugTarget (iss/debugger/target.py). What is served:
  * packet layer (rsp.py): $data#cs, +/- acknowledgements (a '-' retransmits our last
    packet), QStartNoAckMode, '}' escapes in X data and qXfer replies, Ctrl-C (0x03) while
    running; bad checksums are NAKed and dropped, unknown commands get an empty reply,
    malformed ones E01 - nothing a client sends can raise out of the server;
  * qSupported, qXfer:features:read:target.xml (rv32, osabi none, org.gnu.gdb.riscv.cpu:
    zero..t6, pc; org.gnu.gdb.riscv.csr: trap CSRs, mcycle, mhartid, hardware-loop
    registers), qXfer:threads:read (thread "core N"), qAttached, qC, qfThreadInfo/
    qsThreadInfo, qThreadExtraInfo (running / asleep / halted), H, T (harts are threads,
    thread id = hart index + 1), ?, g/G, p/P (32 = pc), m/M/X (E14 for bad addresses),
    c/s/C/S, vCont (c, s, C, S, r; vCont?), Z0/z0 and Z1/z1 (both the target's
    breakpoints), Z2/Z3/Z4 (write/read/access watchpoints), k, vKill, D, qRcmd (monitor
    help/stats/reset);
  * vCont per thread: each thread takes the leftmost action naming it (or no thread);
    threads no action names are held where they are. `r` (range stepping, what gdb's
    next/step use) runs the thread natively until its pc leaves the range (ranges.py);
    a range that is exactly one line-table row is widened to all rows of that source
    line in the function (gdb would step on through them), so `next` over a loop line
    is one round trip. A step of a thread that waits for held ones (an event load at a
    barrier) lets the others run until it retires; where one of them stops, it is held
    and that stop is reported at the next resume (gdbserver's pending statuses). A
    thread left alone that can never proceed waits for Ctrl-C;
  * stop replies: T05 with thread:N; and swbreak:/hwbreak: for breakpoints and steps,
    T05watch:/rwatch:/awatch:ADDR; for watchpoints, T02 after Ctrl-C, Wxx when the firmware
    exits (status & 0xff), T04 (SIGILL), T0b (SIGSEGV), T0a (SIGBUS, misaligned), T05
    (ebreak) or T0c (SIGSYS, ecall) when it faults - gdb shows "Program received signal
    SIGILL" - and X<sig> ("Program terminated with signal") on any resume after a fault.

`continue` runs the target in slices (about 0.1 s of host time each) and polls the socket
between slices, so Ctrl-C in gdb stops the simulation with SIGINT.

Watchpoints stop after the accessing instruction retired (like QEMU's gdbstub); gdb's RISC-V
support assumes stops before the access and steps once more, so it shows the stop one
instruction after the access (values Old/New are right).

Session policy: one client at a time. The server process ends when the client kills (k,
vKill) or detaches (D), and when the client disconnects after the firmware ended (exit or
fault terminated). If the connection drops while the firmware is alive, the simulation state
is kept (the client's breakpoints and watchpoints are removed) and the server waits for
the next client. Set ISS_GDBSERVER_LOG=1 to log packets on
stderr.
"""
from __future__ import annotations

import argparse
import html
import re
import select
import socket
import sys
import time

from ..errors import IssError
from ..log import warnings_on_stderr
from .rsp import PACKET_SIZE, Connection, Disconnected, escape, hexint, le32, log, unescape
from .statstext import stats_text
# nothing here imports the native hooks at module level: `iss` builds its command line from
# add_arguments before it announces numba's first compile (iss/numba_notice.py)

NUM_GPRS = 32
PC_REGNUM = 32
CSR_REGNUM = 65                  # gdb's riscv register number of CSR 0

# GDB signal numbers (the protocol uses GDB's own numbering)
SIGINT, SIGILL, SIGTRAP, SIGBUS, SIGSEGV, SIGSYS = 2, 4, 5, 10, 11, 12

SLICE_FIRST = 1_000_000           # instructions of the first slice of a `continue`
SLICE_SECONDS = 0.1               # later slices aim at this much host time
SLICE_MIN, SLICE_MAX = 50_000, 100_000_000

_GDB_NAMES = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1",
              "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
              "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
              "t3", "t4", "t5", "t6"]
_PTR_TYPES = {"ra": "code_ptr", "sp": "data_ptr", "gp": "data_ptr", "tp": "data_ptr",
              "fp": "data_ptr"}


def target_xml(loop_csrs: dict[str, int] | None = None) -> str:
    """The target description; `loop_csrs` adds the hardware-loop registers (name ->
    CSR number of the ISA flavour)."""
    from ..interrupts import DEBUGGER_CSRS
    regs = "".join(f'    <reg name="{name}" bitsize="32" type="{_PTR_TYPES.get(name, "int")}" '
                   f'regnum="{i}"/>\n' for i, name in enumerate(_GDB_NAMES))
    regs += f'    <reg name="pc" bitsize="32" type="code_ptr" regnum="{PC_REGNUM}"/>\n'
    # CSRs at gdb's riscv numbering (regnum = 65 + the CSR's number: gdb riscv-tdep.h
    # RISCV_FIRST_CSR_REGNUM), so `p $mcause` / `info registers mepc` work
    csrs = "".join(f'    <reg name="{name}" bitsize="32" type="int" regnum="{CSR_REGNUM + csr}" '
                   f'group="system"/>\n'
                   for name, csr in (DEBUGGER_CSRS | (loop_csrs or {})).items())
    return ('<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n'
            '<target version="1.0">\n  <architecture>riscv:rv32</architecture>\n'
            # bare metal: without it gdb-multiarch assumes GNU/Linux, whose RISC-V support
            # single-steps in software (a breakpoint per step) instead of asking the target
            '  <osabi>none</osabi>\n'
            f'  <feature name="org.gnu.gdb.riscv.cpu">\n{regs}  </feature>\n'
            f'  <feature name="org.gnu.gdb.riscv.csr">\n{csrs}  </feature>\n</target>\n')


MONITOR_HELP = """\
monitor commands:
  help    this list
  stats   the run so far: instructions and cycles (total and per hart), each hart's
          state and pc, the last stop reason, the devices' counts (as `info stats`
          in iss debug)
  reset   reload the firmware (breakpoints and watchpoints are kept); the program
          restarts at its entry point
"""


class GdbServer:
    """Serve one DebugTarget to GDB clients, one at a time.

    keep_alive=True (tests): never end the process - k/vKill reload the firmware and
    D just closes the connection."""

    def __init__(self, target, host: str = "127.0.0.1", port: int = 3333, keep_alive=False,
                 announce=True):
        self.target = target
        self.keep_alive = keep_alive
        self.listener = _listen(host, port)
        self.host = host
        self.port = self.listener.getsockname()[1]
        self.conn: Connection | None = None
        self.internal_errors: list[tuple[bytes, str]] = []   # unexpected handler exceptions
        self._stopping = False
        self._reset_session_state()
        self.sw_breaks: set[int] = set()
        self.hw_breaks: set[int] = set()
        self.watches: dict[tuple[str, int, int], str] = {}   # (kind, addr, len) -> Z type
        self.last_stop = f"T{SIGTRAP:02x}thread:{target.current + 1:x};"
        self.last_event = None
        self.terminated: str | None = None   # W../X.. once the program no longer exists
        self.fault_reported: str | None = None
        self._lines = None                   # DebugInfo, read at the first range step
        self._threads_xml: bytes | None = None
        self.loop_csrs = {csr: name for name, csr in target.loop_csrs().items()}
        self.target_xml = target_xml(target.loop_csrs()).encode()
        if announce:
            shown = f"[{host}]" if ":" in host else host
            print(f"Listening on {shown}:{self.port}", file=sys.stderr, flush=True)

    def _reset_session_state(self) -> None:
        self.client_features: set[str] = set()
        self.g_thread = 0
        self.c_thread = 0

    # ---- lifecycle -----------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop serving (from another thread): the accept loop ends within ~0.2 s."""
        self._stopping = True
        if self.conn is not None:
            self.conn.close()

    def serve(self) -> int:
        """Accept clients until one kills/detaches (or the program ended and the client
        left). Returns the process exit status (0)."""
        try:
            while not self._stopping:
                try:
                    ready, _, _ = select.select([self.listener], [], [], 0.2)
                except (OSError, ValueError):
                    break
                if not ready:
                    continue
                try:
                    sock, peer = self.listener.accept()
                except OSError:
                    continue
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                log(f"client {peer}")
                verdict = self.serve_client(sock)
                log(f"client {peer} ended: {verdict}")
                if self.keep_alive:
                    continue
                if verdict in ("kill", "detach") or \
                        (verdict == "disconnect" and self.terminated is not None):
                    break
        finally:
            self.listener.close()
        return 0

    def serve_client(self, sock: socket.socket) -> str:
        """Talk to one client; returns 'kill', 'detach' or 'disconnect'."""
        conn = self.conn = Connection(sock)
        self._reset_session_state()
        try:
            while True:
                packet = conn.next_packet()
                try:
                    reply = self.handle(packet)
                except _SessionEnd as end:
                    if end.reply is not None:
                        conn.send(end.reply)
                    return end.verdict
                except Disconnected:
                    raise
                except Exception as e:      # a bug or odd input: never take the server down
                    log(f"error on {packet[:80]!r}: {type(e).__name__}: {e}")
                    if not isinstance(e, (ValueError, IssError)):
                        self.internal_errors.append((packet[:200], repr(e)))
                    reply = "E01"
                if reply is not None:
                    conn.send(reply)
                if packet == b"QStartNoAckMode" and reply == "OK":
                    conn.ack = False
        except Disconnected:
            return "disconnect"
        finally:
            conn.close()
            self.conn = None
            self._clear_points()

    def _clear_points(self) -> None:
        """A client's breakpoints and watchpoints end with its connection."""
        for address in self.sw_breaks | self.hw_breaks:
            self.target.remove_breakpoint(address)
        for kind, address, length in self.watches:
            self.target.remove_watchpoint(address, length, kind)
        self.sw_breaks, self.hw_breaks, self.watches = set(), set(), {}

    # ---- dispatch ------------------------------------------------------------------
    def handle(self, packet: bytes) -> str | None:
        if not packet:
            return ""
        cmd = chr(packet[0])
        if cmd == "X":
            return self._cmd_X(packet)
        text = packet.decode("latin-1")
        handler = _SIMPLE.get(cmd)
        if handler is not None:
            return handler(self, text)
        if cmd in "qQ":
            return self._query(text)
        if cmd == "v":
            return self._vpacket(text)
        return ""

    # ---- queries -------------------------------------------------------------------
    def _query(self, text: str) -> str:
        name, _, arg = text.partition(":")
        if name == "qSupported":
            self.client_features = {f[:-1] for f in arg.split(";") if f.endswith("+")}
            return (f"PacketSize={PACKET_SIZE:x};qXfer:features:read+;qXfer:threads:read+;"
                    "QStartNoAckMode+;vContSupported+;swbreak+;hwbreak+")
        if text == "QStartNoAckMode":
            return "OK"
        if name == "qXfer":
            return self._qxfer(arg)
        if text.startswith("qAttached"):
            return "1"
        if text == "qC":
            return f"QC{self.target.current + 1:x}"
        if text == "qfThreadInfo":
            return "m" + ",".join(f"{i + 1:x}" for i in range(len(self.target.harts)))
        if text == "qsThreadInfo":
            return "l"
        if text.startswith("qThreadExtraInfo,"):
            index = self._thread_index(text.split(",", 1)[1])
            if index is None or index < 0:
                return "E01"
            return self._thread_text(index).encode().hex()
        if text == "qSymbol::":
            return "OK"
        if text.startswith("qRcmd,"):
            return self._monitor(bytes.fromhex(text[6:]).decode("utf-8", "replace"))
        return ""

    def _qxfer(self, arg: str) -> str:
        parts = arg.split(":")
        if len(parts) != 4 or parts[0] not in ("features", "threads") or parts[1] != "read":
            return ""
        if parts[0] == "features" and parts[2] != "target.xml":
            return "E00"
        # the thread list is built once per read: gdb fetches it from offset 0 onwards
        if parts[0] == "threads":
            if parts[3].startswith("0,") or self._threads_xml is None:
                self._threads_xml = self._thread_list().encode()
            document = self._threads_xml
        else:
            document = self.target_xml
        offset, _, length = parts[3].partition(",")
        offset, length = hexint(offset), hexint(length)
        chunk = document[offset:offset + min(length, PACKET_SIZE // 2)]
        more = offset + len(chunk) < len(document)
        return ("m" if more else "l") + escape(chunk).decode("latin-1")

    def _thread_text(self, index: int) -> str:
        hart = self.target.harts[index]
        state = self.target.hart_state(index)
        return f"hart {index} (hartid 0x{hart.hartid:x})" + (f", {state}" if state else "")

    def _thread_list(self) -> str:
        """qXfer:threads:read: every hart as a thread named after its core."""
        rows = "".join(f'  <thread id="{i + 1:x}" core="{i}" name="core {i}">'
                       f"{html.escape(self._thread_text(i))}</thread>\n"
                       for i in range(len(self.target.harts)))
        return f'<?xml version="1.0"?>\n<threads>\n{rows}</threads>\n'

    def _monitor(self, command: str) -> str:
        words = command.split()
        if not words or words[0] == "help":
            out = MONITOR_HELP
        elif words[0] == "stats":
            out = stats_text(self.target.sim, current=self.target.current,
                             stop=self.last_event, finished=self.target.finished)
        elif words[0] in ("reset", "restart"):
            self.target.restart()
            self.terminated = self.fault_reported = None
            self.last_event = None
            self.last_stop = f"T{SIGTRAP:02x}thread:{self.target.current + 1:x};"
            out = f"firmware reloaded, pc 0x{self.target.hart.pc:08x}\n"
        else:
            out = f"unknown monitor command '{words[0]}' (try 'monitor help')\n"
        for i in range(0, len(out), 512):
            self.conn.send("O" + out[i:i + 512].encode().hex())
        return "OK"

    # ---- threads -------------------------------------------------------------------
    def _thread_index(self, text: str) -> int | None:
        """Hart index for a thread id: -1 = all, 0 = any (-> current), None = no such."""
        text = text.strip()
        if text.startswith("p"):                   # multiprocess syntax pPID.TID
            text = text.partition(".")[2] or "-1"
        if text == "-1":
            return -1
        tid = hexint(text)
        if tid == 0:
            return self.target.current
        if 1 <= tid <= len(self.target.harts):
            return tid - 1
        return None

    def _cmd_H(self, text: str) -> str:
        if len(text) < 3 or text[1] not in "gc":
            return "E01"
        index = self._thread_index(text[2:])
        if index is None:
            return "E01"
        if text[1] == "g":
            self.g_thread = self.target.current if index < 0 else index
        else:
            self.c_thread = index
        return "OK"

    def _cmd_T(self, text: str) -> str:
        index = self._thread_index(text[1:])
        return "OK" if index is not None and index >= 0 else "E01"

    def _select(self, index: int) -> None:
        if index is not None and index >= 0 and index != self.target.current:
            self.target.select_hart(index)

    # ---- registers -----------------------------------------------------------------
    def _read_reg(self, n: int) -> int:
        hart = self.target.hart
        return hart.pc if n == PC_REGNUM else hart.reg(n)

    def _write_reg(self, n: int, value: int) -> None:
        hart = self.target.hart
        if n == PC_REGNUM:
            hart.pc = value & 0xFFFFFFFF
        else:
            hart.set_reg(n, value)

    def _cmd_g(self, text: str) -> str:
        self._select(self.g_thread)
        return "".join(le32(self._read_reg(n)) for n in range(NUM_GPRS + 1))

    def _cmd_G(self, text: str) -> str:
        data = text[1:]
        if len(data) % 8 or not data or not re.fullmatch(r"[0-9a-fA-Fx]+", data):
            return "E01"
        self._select(self.g_thread)
        for n in range(min(len(data) // 8, NUM_GPRS + 1)):
            word = data[8 * n:8 * n + 8]
            if "x" in word:                        # unavailable: leave it
                continue
            self._write_reg(n, int.from_bytes(bytes.fromhex(word), "little"))
        return "OK"

    def _cmd_p(self, text: str) -> str:
        n = hexint(text[1:])
        self._select(self.g_thread)
        if n >= CSR_REGNUM:
            csr = n - CSR_REGNUM
            if csr in self.loop_csrs:
                return le32(self.target.read_register(self.loop_csrs[csr]))
            from ..interrupts import read_csr
            value = read_csr(self.target.hart, csr)
            return "E45" if value is None else le32(value)
        if n > PC_REGNUM:
            return "E45"
        return le32(self._read_reg(n))

    def _cmd_P(self, text: str) -> str:
        reg, eq, value = text[1:].partition("=")
        n = hexint(reg)
        if not eq or len(value) != 8 or PC_REGNUM < n < CSR_REGNUM:
            return "E01"
        self._select(self.g_thread)
        word = int.from_bytes(bytes.fromhex(value), "little")
        if n >= CSR_REGNUM:
            from ..interrupts import write_csr
            return "OK" if write_csr(self.target.hart, n - CSR_REGNUM, word) else "E01"
        self._write_reg(n, word)
        return "OK"

    # ---- memory --------------------------------------------------------------------
    @staticmethod
    def _addr_len(text: str) -> tuple[int, int]:
        addr, comma, length = text.partition(",")
        if not comma:
            raise ValueError("missing length")
        return hexint(addr), hexint(length)

    def _cmd_m(self, text: str) -> str:
        addr, length = self._addr_len(text[1:])
        length = min(length, PACKET_SIZE // 2)
        if length == 0:
            return ""
        if addr + length > 1 << 32:
            return "E14"
        try:
            return self.target.read_memory(addr, length).hex()
        except (IssError, OverflowError, ValueError):
            return "E14"

    def _write_mem(self, addr: int, data: bytes) -> str:
        if not data:
            return "OK"
        if addr + len(data) > 1 << 32:
            return "E14"
        try:
            self.target.write_memory(addr, data)
        except (IssError, OverflowError, ValueError):
            return "E14"
        return "OK"

    def _cmd_M(self, text: str) -> str:
        head, colon, data = text[1:].partition(":")
        if not colon:
            return "E01"
        addr, length = self._addr_len(head)
        raw = bytes.fromhex(data)
        if len(raw) != length:
            return "E01"
        return self._write_mem(addr, raw)

    def _cmd_X(self, packet: bytes) -> str:
        colon = packet.find(b":")
        if colon < 0:
            return "E01"
        addr, length = self._addr_len(packet[1:colon].decode("latin-1"))
        raw = unescape(packet[colon + 1:])
        if len(raw) != length:
            return "E01"
        return self._write_mem(addr, raw)

    # ---- breakpoints and watchpoints -----------------------------------------------------
    def _cmd_Z(self, text: str) -> str:
        insert = text[0] == "Z"
        fields = text[1:].split(";")[0].split(",")
        if len(fields) != 3 or fields[0] not in ("0", "1", "2", "3", "4"):
            return ""
        kind_code, addr, length = fields[0], hexint(fields[1]), hexint(fields[2])
        target = self.target
        if kind_code in ("0", "1"):
            mine, other = (self.sw_breaks, self.hw_breaks) if kind_code == "0" \
                else (self.hw_breaks, self.sw_breaks)
            if insert:
                try:
                    target.add_breakpoint(addr)
                except IssError:
                    return "E01"
                mine.add(addr)
            else:
                mine.discard(addr)
                if addr not in other:
                    target.remove_breakpoint(addr)
            return "OK"
        kind = {"2": "w", "3": "r", "4": "a"}[kind_code]
        if not 0 < length <= 0x10000 or addr + length > 1 << 32:
            return "E01"
        key = (kind, addr, length)
        if insert:
            try:
                target.add_watchpoint(addr, length, kind)
            except IssError:
                return "E01"
            self.watches[key] = kind_code
        else:
            if key in self.watches:
                target.remove_watchpoint(addr, length, kind)
                del self.watches[key]
        return "OK"

    # ---- execution -------------------------------------------------------------------
    def _cmd_question(self, text: str) -> str:
        return self.terminated or self.last_stop

    def _cmd_c(self, text: str) -> str | None:
        """c [addr], s [addr], C sig[;addr], S sig[;addr]: c runs every hart, s steps the
        Hc thread alone."""
        cmd, arg = text[0], text[1:]
        if cmd in "CS":
            sig, _, arg = arg.partition(";")
            hexint(sig)                            # signals mean nothing to a bare hart
        index = self._resume_hart(self.c_thread)
        if arg:
            self._select(index)
            self.target.hart.pc = hexint(arg)
        if cmd in "cC":
            return self._resume({i: ("c", None) for i in range(len(self.target.harts))})
        return self._resume({index: ("s", None)})

    def _vpacket(self, text: str) -> str | None:
        if text == "vCont?":
            return "vCont;c;C;s;S;r"
        if text.startswith("vCont;"):
            return self._vcont(text[6:])
        if text.startswith("vKill"):
            return self._kill(reply="OK")
        return ""              # vMustReplyEmpty, vFile, vRun, ... unsupported

    def _vcont(self, actions: str) -> str | None:
        """Each thread takes the leftmost action that names it or names no thread; a
        thread no action names stays stopped (gdb's scheduler locking, step-overs)."""
        plan: dict[int, tuple[str, tuple[int, int] | None]] = {}
        count = len(self.target.harts)
        for action in actions.split(";"):
            what, _, thread = action.partition(":")
            if not what or what[0] not in "cCsSr" or (what[0] in "cs" and len(what) > 1):
                return "E01"
            span = None
            if what[0] == "r":
                lo, comma, hi = what[1:].partition(",")
                if not comma:
                    return "E01"
                span = (hexint(lo), hexint(hi))
            elif what[0] in "CS":
                hexint(what[1:])                   # signals mean nothing to a bare hart
            index = self._thread_index(thread) if thread else -1
            if index is None:
                return "E01"
            for i in (range(count) if index < 0 else [index]):
                plan.setdefault(i, (what[0].lower(), span))
        return self._resume(plan)

    def _resume_hart(self, index: int) -> int:
        return self.target.current if index is None or index < 0 else index

    def _resume(self, plan: dict[int, tuple[str, tuple[int, int] | None]]) -> str | None:
        """Resume as planned (hart -> ("c"|"s"|"r", range)). All-stop: the first stop of
        any hart stops them all. One hart steps at a time (gdb never asks for more)."""
        if self.terminated is not None:
            return self.terminated
        if self.fault_reported is not None:        # resuming a faulted program ends it
            self.terminated = f"X{self.fault_reported}"
            return self.terminated
        if not plan:
            return "E01"
        runners = sorted(i for i, (action, _) in plan.items() if action == "c")
        exclusive = False
        steppers = [i for i, (action, _) in plan.items() if action != "c"]
        step_range = None
        if steppers:
            index = steppers[0]
            self._select(index)
            action, span = plan[index]
            pc = self.target.hart.pc
            if action == "r" and span[0] <= pc < span[1]:
                step_range = (index, self._line_spans(*span))
            elif runners and not self._loops_on_itself(pc):
                step_range = (index, self.target.instruction_span(pc))   # the others run
            else:
                event = self.target.stepi(1, wait=False)
                if event.reason != "blocked":
                    return self._stop_reply(event)
                # it waits for held harts (a barrier): they run until it retires, each
                # held where it stops, whose stop is reported on a later resume
                step_range = (index, self.target.instruction_span(pc))
                runners = list(range(len(self.target.harts)))
                exclusive = True
            runners.append(index)
        harts = None if len(set(runners)) == len(self.target.harts) else runners
        event, gone = self._continue(harts, step_range, exclusive)
        reply = self._stop_reply(event)
        if gone:                    # the client went away while running: stopped for the next
            raise Disconnected()
        return reply

    def _line_spans(self, lo: int, hi: int) -> tuple[tuple[int, int], ...]:
        """A range that is exactly one line-table row stands for its whole source line:
        the rows of the same line in the same function. gdb steps on through those
        anyway (it stops only at another line, a call, a return or a trap, all outside
        them), so a loop on one line costs one round trip instead of one per row and
        iteration."""
        if self._lines is None:
            from .debuginfo import DebugInfo
            self._lines = DebugInfo(self.target.image)
        info, image = self._lines, self.target.image
        row = info.row_at(lo)
        function = image.function_at(lo)
        if row is None or row.address != lo or row.end != hi or function is None:
            return ((lo, hi),)
        start = lo - function[1]
        end = start + max(size for first, size, _ in image.functions if first == start)
        spans = sorted((r.address, r.end) for r in info.rows
                       if start <= r.address < end and r.end > r.address
                       and r.line == row.line and r.path == row.path)
        merged: list[tuple[int, int]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return tuple(merged) or ((lo, hi),)

    def _loops_on_itself(self, pc: int) -> bool:
        """The instruction may go to itself (`j .`): a range step of it would not end."""
        try:
            code = self.target.read_memory(pc, self.target.sim.memory_instruction_length(pc))
        except IssError:
            return True
        from .ranges import successors
        _, nexts = successors(code, pc, self.target.sim.custom.originals.get(pc),
                              self.target.sim.flavour)
        return nexts is None or pc in nexts

    def _continue(self, harts=None, step_range=None, exclusive=False):
        """Run in slices, polling the client between them: (event, client gone)."""
        target, conn = self.target, self.conn
        budget = SLICE_FIRST
        while True:
            t0, before = time.perf_counter(), target.sim.instructions
            event = target.cont(max_instructions=budget, harts=harts, step_range=step_range,
                                exclusive=exclusive)
            if event.reason == "blocked":
                return self._wait_for_interrupt(event)
            if event.reason != "limit":
                return event, False
            if target.hart.pc in target.breakpoints:   # the slice ended on a breakpoint
                event.reason, event.message = "breakpoint", "breakpoint"
                return event, False
            try:
                if conn.poll_interrupt():
                    event.reason, event.message = "interrupted", "interrupted by the client"
                    return event, False
            except Disconnected:
                event.reason, event.message = "interrupted", "the client disconnected"
                return event, True
            elapsed = time.perf_counter() - t0
            rate = (target.sim.instructions - before) / max(elapsed, 1e-6)
            budget = max(SLICE_MIN, min(SLICE_MAX, int(rate * SLICE_SECONDS)))

    def _wait_for_interrupt(self, event):
        """The harts let run wait for held ones: nothing changes until the client
        interrupts (gdb shows them running, as with a real target)."""
        try:
            while not self.conn.poll_interrupt(timeout=0.2):
                pass
        except Disconnected:
            event.reason, event.message = "interrupted", "the client disconnected"
            return event, True
        event.reason, event.message = "interrupted", "interrupted by the client"
        return event, False

    def _stop_reply(self, event) -> str:
        self.last_event = event
        tid = event.hart + 1
        self.g_thread = event.hart
        thread = f"thread:{tid:x};"
        pc = f"{PC_REGNUM:02x}:{le32(event.pc)};"
        if event.reason == "exit":
            self.terminated = f"W{(event.exit_code or 0) & 0xFF:02x}"
            return self.terminated
        if event.reason == "fault":
            sig = _fault_signal(event.message)
            self.fault_reported = f"{sig:02x}"
            self.last_stop = f"T{sig:02x}{thread}{pc}"
            return self.last_stop
        if event.reason == "interrupted":
            reply = f"T{SIGINT:02x}{thread}{pc}"
        elif event.reason == "watchpoint" and event.watch is not None:
            reply = f"T{SIGTRAP:02x}{self._watch_reason(event.watch)}{thread}{pc}"
        elif event.reason == "breakpoint":
            why = ""
            if event.pc in self.sw_breaks and "swbreak" in self.client_features:
                why = "swbreak:;"
            elif event.pc in self.hw_breaks and "hwbreak" in self.client_features:
                why = "hwbreak:;"
            reply = f"T{SIGTRAP:02x}{why}{thread}{pc}"
        else:                                          # step, limit
            reply = f"T{SIGTRAP:02x}{thread}{pc}"
        self.last_stop = reply
        return reply

    def _watch_reason(self, watch) -> str:
        access, address, size, _old, _new = watch
        best = None
        for (kind, lo, length), _code in self.watches.items():
            if address < lo + length and lo < address + size:
                if (kind == access) or best is None or (kind == "a" and best[0] != access):
                    best = (kind, lo, length)
        if best is None:
            return f"watch:{address:x};" if access == "w" else f"rwatch:{address:x};"
        kind, lo, length = best
        reported = min(max(address, lo), lo + length - 1)
        name = {"w": "watch", "r": "rwatch", "a": "awatch"}[kind]
        return f"{name}:{reported:x};"

    # ---- ending ----------------------------------------------------------------------
    def _kill(self, reply: str | None = None):
        if self.keep_alive:
            self.target.restart()
            self.terminated = self.fault_reported = None
            self.last_event = None
            self.last_stop = f"T{SIGTRAP:02x}thread:{self.target.current + 1:x};"
        raise _SessionEnd("kill", reply)

    def _cmd_k(self, text: str):
        return self._kill(reply=None)

    def _cmd_D(self, text: str):
        raise _SessionEnd("detach", "OK")


class _SessionEnd(Exception):
    def __init__(self, verdict: str, reply: str | None):
        super().__init__(verdict)
        self.verdict, self.reply = verdict, reply


_SIMPLE = {
    "?": GdbServer._cmd_question, "g": GdbServer._cmd_g, "G": GdbServer._cmd_G,
    "p": GdbServer._cmd_p, "P": GdbServer._cmd_P, "m": GdbServer._cmd_m,
    "M": GdbServer._cmd_M, "Z": GdbServer._cmd_Z, "z": GdbServer._cmd_Z,
    "c": GdbServer._cmd_c, "s": GdbServer._cmd_c, "C": GdbServer._cmd_c,
    "S": GdbServer._cmd_c, "H": GdbServer._cmd_H, "T": GdbServer._cmd_T,
    "k": GdbServer._cmd_k, "D": GdbServer._cmd_D,
}


def _fault_signal(message: str) -> int:
    text = message.lower()
    if "illegal" in text:
        return SIGILL
    if "ebreak" in text:
        return SIGTRAP
    if "ecall" in text:
        return SIGSYS
    if "misaligned" in text:
        return SIGBUS
    return SIGSEGV


def _listen(host: str, port: int) -> socket.socket:
    if not 0 <= port <= 0xFFFF:
        raise IssError(f"bad port {port}: must be 0..65535 (0: pick a free one)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, socktype, proto, _, address = infos[0]
        sock = socket.socket(family, socktype, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(1)
        except OSError:
            sock.close()
            raise
    except (OSError, OverflowError) as e:
        raise IssError(f"cannot listen on {host}:{port}: {getattr(e, 'strerror', None) or e}") \
            from None
    return sock


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command-line arguments, shared by `iss gdbserver` and `python -m ...gdbserver`."""
    parser.add_argument("firmware", metavar="FIRMWARE.elf")
    parser.add_argument("--port", type=int, default=3333, help="TCP port (0: pick a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--platform", metavar="FILE")
    parser.add_argument("--isa", default="auto", choices=("auto", "corev", "xpulpv2"))
    parser.add_argument("--cores", type=int, metavar="N",
                        help="cores in the cluster (default: the platform's); each is a gdb thread")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iss gdbserver",
                                     description="Serve FIRMWARE.elf to gdb over the GDB "
                                                 "remote protocol (target remote :PORT).")
    add_arguments(parser)
    return parser


def main(args=None) -> int:
    """Entry point of `iss gdbserver` (args: argparse Namespace) and of
    `python -m iss.debugger.gdbserver` (args: argv list or None)."""
    if args is None or isinstance(args, (list, tuple)):
        args = _parser().parse_args(args)
    from .target import DebugTarget
    target = DebugTarget(args.firmware, getattr(args, "platform", None),
                         getattr(args, "isa", "auto") or "auto", cores=getattr(args, "cores", None))
    server = GdbServer(target, getattr(args, "host", "127.0.0.1") or "127.0.0.1",
                       3333 if getattr(args, "port", None) is None else args.port)
    return server.serve()


def _module_main() -> int:
    try:
        with warnings_on_stderr():
            return main(sys.argv[1:])
    except IssError as e:
        print(f"iss: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("iss: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(_module_main())
