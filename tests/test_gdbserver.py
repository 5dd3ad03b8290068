"""The GDB remote-protocol server (iss gdbserver): a raw RSP client over TCP, and a real
gdb-multiarch end to end.

The firmware (GDBTEST_C below) is built once with `iss cc` semantics (toolchain.build_cached,
-O0 so main has a stack frame, plain RV32IMC) into tests/.fwcache/gdbserver/.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from fwbuild import build_c

from iss.debugger.gdbserver import GdbServer
from iss.debugger.rsp import checksum
from iss.debugger.target import DebugTarget

REPO = Path(__file__).resolve().parent.parent

GDBTEST_C = """\
#include <stdio.h>

volatile int watched = 5;          /* written 7 then 11 by main, read by printf */
volatile unsigned spin;
volatile int mode;                 /* set by the debugger: 1 spin forever, 2 fault */

int main(void)
{
    watched = 7;                   /* LINE_FIRST_STORE */
    watched = 11;                  /* LINE_SECOND_STORE */
    if (mode == 1)
        for (;;)
            spin++;                /* LINE_SPIN */
    if (mode == 2)
        __asm__ volatile(".word 0");   /* all-zero word: illegal instruction */
    printf("watched=%d\\n", watched);
    return 3;
}
"""
EXIT_STATUS = 3


def source_line(marker: str) -> int:
    for number, text in enumerate(GDBTEST_C.splitlines(), 1):
        if marker in text:
            return number
    raise KeyError(marker)


def build_test_firmware() -> Path:
    # plain RV32IMC: the program needs no custom instruction
    return build_c("gdbserver", "gdbtest", GDBTEST_C, isa="rv32imc", extra_args=["-O0"])


def elf_symbols(path: Path) -> dict[str, tuple[int, int]]:
    """name -> (value, size) of the ELF's function and object symbols."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        table = elf.get_section_by_name(".symtab")
        return {s.name: (s["st_value"], s["st_size"]) for s in table.iter_symbols()
                if s["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT")}


def elf_entry_and_bytes(path: Path, address: int, size: int) -> tuple[int, bytes]:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= address and \
                    address + size <= seg["p_vaddr"] + seg["p_filesz"]:
                off = address - seg["p_vaddr"]
                return elf.header["e_entry"], seg.data()[off:off + size]
    raise KeyError(hex(address))


@pytest.fixture(scope="session")
def gdbtest_elf() -> Path:
    return build_test_firmware()


@pytest.fixture(scope="session")
def syms(gdbtest_elf):
    return elf_symbols(gdbtest_elf)


# ---------------------------------------------------------------- a tiny RSP client

class RspClient:
    """Minimal GDB remote-protocol client (acks, checksums, O packets)."""

    def __init__(self, port: int, timeout: float = 20.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.ack = True

    def close(self) -> None:
        self.sock.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            payload = payload.encode("latin-1")
        self.sock.sendall(b"$" + payload + b"#%02x" % checksum(payload))
        if self.ack:
            assert self._byte() == b"+"

    def _byte(self) -> bytes:
        while not self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.buf += data
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def read_packet(self) -> bytes:
        while self._byte() != b"$":
            pass
        data = b""
        while (b := self._byte()) != b"#":
            data += b
        cs = self._byte() + self._byte()
        assert int(cs, 16) == checksum(data), (data, cs)
        if self.ack:
            self.sock.sendall(b"+")
        return data

    def cmd(self, payload: bytes | str) -> str:
        self.send(payload)
        return self.read_packet().decode("latin-1")

    def monitor(self, command: str) -> tuple[str, str]:
        """qRcmd: (console output from O packets, final reply)."""
        self.send("qRcmd," + command.encode().hex())
        out = ""
        while True:
            reply = self.read_packet().decode("latin-1")
            if reply.startswith("O") and reply != "OK":
                out += bytes.fromhex(reply[1:]).decode()
                continue
            return out, reply

    def no_ack(self) -> None:
        assert self.cmd("QStartNoAckMode") == "OK"
        self.ack = False

    def closed_by_server(self, timeout: float = 10.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(4096)
                if not data:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False


def reg(value_hex: str) -> int:
    return int.from_bytes(bytes.fromhex(value_hex), "little")


def stop_fields(reply: str) -> dict[str, str]:
    """T packet 'TAAn1:r1;n2:r2;...' -> {'signal': AA, n1: r1, ...}."""
    assert reply.startswith("T"), reply
    fields = {"signal": reply[1:3]}
    for item in reply[3:].split(";"):
        if item:
            key, _, value = item.partition(":")
            fields[key] = value
    return fields


@contextmanager
def served(elf: Path, keep_alive: bool = False):
    """A GdbServer on a free port in a thread; yields (server, firmware output)."""
    output = io.StringIO()
    target = DebugTarget(elf, output=output)
    server = GdbServer(target, port=0, keep_alive=keep_alive, announce=False)
    errors: list[BaseException] = []

    def run():
        try:
            server.serve()
        except BaseException as e:      # noqa: BLE001 - reported by the test
            errors.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield server, output
    finally:
        server.shutdown()
        thread.join(10)
        assert not thread.is_alive(), "server thread did not end"
        assert not errors, errors
        assert not server.internal_errors, server.internal_errors


def run_to_main(client: RspClient, syms) -> int:
    main = syms["main"][0]
    assert client.cmd(f"Z0,{main:x},2") == "OK"
    fields = stop_fields(client.cmd("vCont;c"))
    # no swbreak: without qSupported the client did not say it understands it
    assert fields["signal"] == "05" and "swbreak" not in fields and fields["thread"] == "1"
    assert reg(client.cmd("p20")) == main
    assert client.cmd(f"z0,{main:x},2") == "OK"
    return main


# ---------------------------------------------------------------- raw protocol tests

def test_handshake_and_queries(gdbtest_elf):
    with served(gdbtest_elf) as (server, _):
        c = RspClient(server.port)
        features = c.cmd("qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+")
        for f in ("PacketSize=", "qXfer:features:read+", "QStartNoAckMode+", "vContSupported+",
                  "swbreak+", "hwbreak+"):
            assert f in features
        assert c.cmd("vMustReplyEmpty") == ""
        c.no_ack()
        # target description, read in small chunks like gdb does with big ones
        xml, offset = "", 0
        while True:
            part = c.cmd(f"qXfer:features:read:target.xml:{offset:x},40")
            assert part[0] in "ml"
            xml += part[1:]
            offset += len(part) - 1
            if part[0] == "l":
                break
        root = ET.fromstring(xml)
        assert root.find("architecture").text == "riscv:rv32"
        feature = root.find("feature")
        assert feature.get("name") == "org.gnu.gdb.riscv.cpu"
        regs = feature.findall("reg")
        assert len(regs) == 33 and regs[0].get("name") == "zero" and regs[31].get("name") == "t6"
        assert regs[32].get("name") == "pc" and regs[32].get("regnum") == "32"
        assert all(r.get("bitsize") == "32" for r in regs)
        assert c.cmd("qXfer:features:read:other.xml:0,100").startswith("E")
        assert c.cmd("qAttached") == "1"
        assert c.cmd("qC") == "QC1"
        assert c.cmd("qfThreadInfo") == "m1,2,3,4,5,6,7,8"     # the platform's 8 cores
        assert c.cmd("qsThreadInfo") == "l"
        assert "hart 0" in bytes.fromhex(c.cmd("qThreadExtraInfo,1")).decode()
        assert c.cmd("Hg1") == "OK" and c.cmd("Hc-1") == "OK" and c.cmd("Hg0") == "OK"
        assert c.cmd("Hg9").startswith("E")
        assert c.cmd("T1") == "OK" and c.cmd("T8") == "OK" and c.cmd("T9").startswith("E")
        assert c.cmd("?") == "T05thread:1;"
        assert c.cmd("vCont?") == "vCont;c;C;s;S;r"
        assert c.cmd("qSomethingUnknown") == "" and c.cmd("j") == ""
        out, reply = c.monitor("help")
        assert reply == "OK" and "stats" in out
        c.close()


def test_registers_and_memory(gdbtest_elf, syms):
    with served(gdbtest_elf) as (server, _):
        c = RspClient(server.port)          # stays in ack mode: acks are checked throughout
        main, main_size = syms["main"]
        entry, code = elf_entry_and_bytes(gdbtest_elf, main, 8)
        g = c.cmd("g")
        assert len(g) == 33 * 8 and re.fullmatch("[0-9a-f]+", g)
        assert reg(g[32 * 8:]) == entry and reg(c.cmd("p20")) == entry
        assert reg(g[:8]) == 0 and reg(c.cmd("p0")) == 0
        assert c.cmd("p21").startswith("E")
        # P / p / G round trips
        assert c.cmd("Pa=78563412") == "OK"
        assert c.cmd("pa") == "78563412"
        assert c.cmd("P0=ffffffff") == "OK" and c.cmd("p0") == "00000000"    # x0 stays 0
        regs = [c.cmd(f"p{n:x}") for n in range(33)]
        regs[11] = "efbeadde"
        assert c.cmd("G" + "".join(regs)) == "OK"
        assert reg(c.cmd("pb")) == 0xDEADBEEF and c.cmd("g") == "".join(regs)
        # memory: code as in the ELF, M/X writes, errors
        assert bytes.fromhex(c.cmd(f"m{main:x},8")) == code
        spin = syms["spin"][0]
        assert c.cmd(f"M{spin:x},4:0a0b0c0d") == "OK"
        assert c.cmd(f"m{spin:x},4") == "0a0b0c0d"
        payload = b"}#$*\x00\x03"
        escaped = b"".join(b"}" + bytes([b ^ 0x20]) if b in b"}#$*" else bytes([b])
                           for b in payload)
        c.send(b"X%x,%x:" % (spin, len(payload)) + escaped)
        assert c.read_packet() == b"OK"
        assert bytes.fromhex(c.cmd(f"m{spin:x},{len(payload):x}")) == payload
        assert c.cmd(f"X{spin:x},0:") == "OK"                  # gdb's X probe
        assert c.cmd("m0,4") == "E14"
        assert c.cmd("mfffffffc,8") == "E14"
        assert c.cmd("M0,4:00000000") == "E14"
        assert c.cmd("M10,4:00") == "E01"                      # length mismatch
        assert c.cmd("mzz,4") == "E01"
        c.send("k")
        assert c.closed_by_server()


def test_break_at_main_continue_and_step(gdbtest_elf, syms):
    with served(gdbtest_elf) as (server, _):
        c = RspClient(server.port)
        c.no_ack()
        assert c.cmd("qSupported:swbreak+;hwbreak+").startswith("PacketSize")
        main = syms["main"][0]
        assert c.cmd(f"Z0,{main:x},2") == "OK"
        fields = stop_fields(c.cmd("c"))
        assert fields["signal"] == "05" and "swbreak" in fields and fields["thread"] == "1"
        assert reg(fields["20"]) == main and reg(c.cmd("p20")) == main
        assert c.cmd("?").startswith("T05")
        # single steps: stepping off a breakpoint, then on through main's prologue
        pcs = [main]
        for action in ("s", "vCont;s:1", "vCont;s:1;c", "vCont;S05"):
            fields = stop_fields(c.cmd(action))
            assert fields["signal"] == "05" and "swbreak" not in fields
            pcs.append(reg(c.cmd("p20")))
        assert all(b - a in (2, 4) for a, b in zip(pcs, pcs[1:], strict=False)), [hex(p) for p in pcs]
        # a hardware breakpoint (same mechanism) on an instruction ahead
        here = pcs[-1]
        ahead = here + (4 if int(c.cmd(f"m{here:x},1"), 16) & 3 == 3 else 2)
        assert c.cmd(f"z0,{main:x},2") == "OK"
        assert c.cmd(f"Z1,{ahead:x},2") == "OK"
        fields = stop_fields(c.cmd("vCont;c:1"))
        assert "hwbreak" in fields and reg(fields["20"]) == ahead
        assert c.cmd(f"z1,{ahead:x},2") == "OK"
        assert c.cmd("Z0,4,2") == "E01"                       # outside the code
        assert c.cmd("c").startswith(f"W{EXIT_STATUS:02x}")  # nothing left in the way
        c.send("k")
        assert c.closed_by_server()


def test_watchpoints(gdbtest_elf, syms):
    with served(gdbtest_elf) as (server, output):
        c = RspClient(server.port)
        c.no_ack()
        run_to_main(c, syms)
        watched = syms["watched"][0]
        assert c.cmd(f"m{watched:x},4") == (5).to_bytes(4, "little").hex()
        assert c.cmd(f"Z2,{watched:x},4") == "OK"
        # stops after the store retired: the new value is in memory
        for value in (7, 11):
            fields = stop_fields(c.cmd("c"))
            assert fields["signal"] == "05" and int(fields["watch"], 16) == watched
            assert c.cmd(f"m{watched:x},4") == value.to_bytes(4, "little").hex()
        assert c.cmd(f"z2,{watched:x},4") == "OK"
        # printf's argument load reads it: a read watchpoint, then an access watchpoint
        assert c.cmd(f"Z3,{watched:x},4") == "OK"
        fields = stop_fields(c.cmd("c"))
        assert int(fields["rwatch"], 16) == watched
        assert c.cmd(f"z3,{watched:x},4") == "OK"
        out, _ = c.monitor("stats")
        assert "Stop reason: watchpoint" in out
        assert c.cmd("Z2,0,0").startswith("E")                 # zero length
        assert c.cmd("c") == f"W{EXIT_STATUS:02x}"
        assert c.cmd("?") == f"W{EXIT_STATUS:02x}"
        assert "watched=11" in output.getvalue()
        c.send("k")
        assert c.closed_by_server()


def test_access_watchpoint_reports_awatch(gdbtest_elf, syms):
    with served(gdbtest_elf) as (server, _):
        c = RspClient(server.port)
        c.no_ack()
        run_to_main(c, syms)
        watched = syms["watched"][0]
        assert c.cmd(f"Z4,{watched:x},4") == "OK"
        fields = stop_fields(c.cmd("c"))
        assert int(fields["awatch"], 16) == watched
        assert c.cmd(f"m{watched:x},4") == (7).to_bytes(4, "little").hex()
        c.send("k")
        assert c.closed_by_server()


def test_ctrl_c_interrupts_a_long_run(gdbtest_elf, syms):
    with served(gdbtest_elf) as (server, _):
        c = RspClient(server.port)
        c.no_ack()
        main = run_to_main(c, syms)
        mode = syms["mode"][0]
        assert c.cmd(f"M{mode:x},4:01000000") == "OK"            # spin forever
        c.send("vCont;c")
        time.sleep(0.5)
        t0 = time.perf_counter()
        c.send_raw(b"\x03")
        fields = stop_fields(c.read_packet().decode())
        latency = time.perf_counter() - t0
        assert fields["signal"] == "02" and fields["thread"] == "1"
        assert latency < 5, latency
        pc = reg(c.cmd("p20"))
        assert main <= pc < main + syms["main"][1]
        assert int.from_bytes(bytes.fromhex(c.cmd(f"m{syms['spin'][0]:x},4")), "little") > 0
        out, reply = c.monitor("stats")
        assert reply == "OK"
        instructions = int(re.search(r"^Instructions: ([\d,]+)$", out, re.M).group(1)
                           .replace(",", ""))
        assert instructions > 100_000
        assert re.search(rf"^\* hart 0 .*, pc 0x{pc:08x} <main(\+\d+)?>$", out, re.M), out
        assert "Stop reason: interrupted" in out
        # and it resumes: a second interrupt
        c.send("c")
        time.sleep(0.2)
        c.send_raw(b"\x03")
        assert c.read_packet().startswith(b"T02")
        c.send("k")
        assert c.closed_by_server()


def test_fault_then_terminated(gdbtest_elf, syms):
    with served(gdbtest_elf) as (server, _):
        c = RspClient(server.port)
        c.no_ack()
        run_to_main(c, syms)
        assert c.cmd(f"M{syms['mode'][0]:x},4:02000000") == "OK"
        fields = stop_fields(c.cmd("c"))
        assert fields["signal"] == "04"                        # SIGILL
        pc = reg(c.cmd("p20"))
        assert c.cmd(f"m{pc:x},4") == "00000000"               # the .word 0
        assert c.cmd("?").startswith("T04")
        assert c.cmd("c") == "X04"                             # terminated with SIGILL
        assert c.cmd("s") == "X04" and c.cmd("?") == "X04"
        c.close()
        # the program no longer exists and the client left: the server ends
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            except OSError:
                break
            time.sleep(0.1)
        else:
            pytest.fail("server still listening after the terminated program's client left")


def test_dropped_connection_keeps_state_then_detach_ends(gdbtest_elf, syms):
    with served(gdbtest_elf) as (server, _):
        c = RspClient(server.port)
        main = run_to_main(c, syms)
        assert c.cmd(f"Z2,{syms['watched'][0]:x},4") == "OK"   # left behind by this client
        c.sock.close()                                          # abrupt
        c = RspClient(server.port)                              # next client, same state
        assert c.cmd("?").startswith("T05")
        assert reg(c.cmd("p20")) == main
        c.send_raw(b"$c#6")                                     # half a packet, then gone
        c.sock.close()
        c = RspClient(server.port)
        assert reg(c.cmd("p20")) == main
        assert c.cmd("c") == f"W{EXIT_STATUS:02x}"              # the old watchpoint is gone
        assert c.cmd("D") == "OK"
        assert c.closed_by_server()


def test_bad_checksum_is_nacked_and_retransmit(gdbtest_elf):
    with served(gdbtest_elf) as (server, _):
        c = RspClient(server.port)
        c.send_raw(b"$?#00")
        assert c._byte() == b"-"
        c.send("qC")
        assert c.read_packet() == b"QC1"
        c.send_raw(b"-")                                        # we NAK: server resends
        c.ack = False
        assert c.read_packet() == b"QC1"
        c.ack = True
        c.send_raw(b"+")
        assert c.cmd("?").startswith("T05")
        c.close()


# ---------------------------------------------------------------- command-line entry points

def start_server_process(args: list[str], env: dict | None = None) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, *args, "--port", "0"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=None if env is None else {**os.environ, **env})
    line = proc.stderr.readline()
    m = re.match(r"Listening on 127\.0\.0\.1:(\d+)$", line.strip())
    if not m:
        proc.kill()
        pytest.fail(f"unexpected first stderr line {line!r}: {proc.communicate()}")
    return proc, int(m.group(1))


@pytest.mark.parametrize("entry", [["-m", "iss.debugger.gdbserver"], ["-m", "iss.cli", "gdbserver"]])
def test_command_line_kill_ends_process(gdbtest_elf, entry):
    proc, port = start_server_process([*entry, str(gdbtest_elf)])
    try:
        c = RspClient(port)
        assert c.cmd("qfThreadInfo") == "m1,2,3,4,5,6,7,8"
        assert c.cmd("vKill;a410") == "OK"
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- a real gdb

GDB = shutil.which("gdb-multiarch")


def run_gdb(elf: Path, commands: list[str], timeout: float = 120,
            cores: int = 1, packets: list[str] | None = None) -> tuple[str, str]:
    """Start `python -m iss.debugger.gdbserver` (one core by default: gdb then words its
    reports for a single-threaded program), run gdb-multiarch in batch mode against it;
    returns (gdb's stdout+stderr, the server's stdout). The server must end. `packets`
    receives the packets gdb sent (the server's log)."""
    if GDB is None:
        pytest.skip("gdb-multiarch is not installed (apt-get install -y gdb-multiarch)")
    proc, port = start_server_process(["-m", "iss.debugger.gdbserver", "--cores", str(cores), str(elf)],
                                      env={"ISS_GDBSERVER_LOG": "1"} if packets is not None else None)
    try:
        args = [GDB, "-q", "-batch", "-nx", "-ex", "set architecture riscv:rv32",
                "-ex", f"target remote 127.0.0.1:{port}"]
        for command in commands:
            args += ["-ex", command]
        gdb = subprocess.run([*args, str(elf)], capture_output=True, text=True,
                             timeout=timeout, stdin=subprocess.DEVNULL)
        out = gdb.stdout + gdb.stderr
        server_out, server_err = proc.communicate(timeout=30)
        assert proc.returncode == 0, (server_err, out)
        if packets is not None:
            packets += re.findall(r"^gdbserver: <- b'(.*)'$", server_err, re.M)
        return out, server_out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_gdb_multiarch_session(gdbtest_elf, syms):
    out, _ = run_gdb(gdbtest_elf, ["break main", "continue", "info registers", "x/4xw $sp",
                                   "stepi", "watch watched", "continue", "continue",
                                   "info threads", "monitor stats", "kill"])
    main, main_size = syms["main"]
    first, second = source_line("LINE_FIRST_STORE"), source_line("LINE_SECOND_STORE")
    m = re.search(r"Breakpoint 1 at (0x[0-9a-f]+): file .*gdbtest\.c, line (\d+)\.", out)
    assert m, out
    bp = int(m.group(1), 16)
    assert main <= bp < main + main_size and int(m.group(2)) == first
    assert re.search(rf"Breakpoint 1, main \(\) at .*gdbtest\.c:{first}\n", out), out
    # the register dump: pc is the breakpoint; sp is shown and x/4xw $sp reads it
    m = re.search(r"^pc\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+ <main\+?\d*>", out, re.M)
    assert m and int(m.group(1), 16) == bp, out
    sp = int(re.search(r"^sp\s+(0x[0-9a-f]+)", out, re.M).group(1), 16)
    assert re.search(rf"^0x{sp:x}:(\s+0x[0-9a-f]{{8}}){{4}}$", out, re.M), out
    # the watchpoint: both stores, with the values from the source
    assert re.search(r"Hardware watchpoint 2: watched\s+Old value = 5\s+New value = 7\s", out), out
    assert re.search(r"Hardware watchpoint 2: watched\s+Old value = 7\s+New value = 11\s", out), out
    assert out.index("New value = 7") < out.index("New value = 11")
    assert re.search(rf"main \(\) at .*gdbtest\.c:({second}|{second + 1})", out), out
    # threads: one hart
    assert re.search(r"^\*\s+1\s+Thread 1 \"core 0\" \(hart 0 \(hartid 0x0\)\)\s+0x[0-9a-f]+ in main \(\)",
                     out, re.M), out
    assert "Stop reason:" in out and "Instructions:" in out
    assert "[Inferior 1 (Remote target) killed]" in out


def test_gdb_multiarch_fault_and_exit(gdbtest_elf):
    out, _ = run_gdb(gdbtest_elf, ["break main", "continue", "set var mode = 2", "continue",
                                   "info registers pc", "continue"])
    assert "Program received signal SIGILL, Illegal instruction." in out, out
    assert re.search(rf"main \(\) at .*gdbtest\.c:{source_line('all-zero word')}\n", out), out
    assert "Program terminated with signal SIGILL, Illegal instruction." in out, out
    # a read watchpoint stops in front of printf's load of the argument; the load then
    # runs normally (the firmware prints 11) and the program exits with main's status
    out, server_out = run_gdb(gdbtest_elf, ["break main", "continue", "rwatch watched",
                                            "continue", "delete", "continue"])
    assert re.search(r"Hardware read watchpoint 2: watched\s+Value = 11\s", out), out
    assert f"[Inferior 1 (Remote target) exited with code {EXIT_STATUS:02o}]" in out, out
    assert "watched=11" in server_out


def test_gdb_multiarch_ctrl_c(gdbtest_elf):
    """gdb's own interrupt: a SIGINT to gdb while it waits for `continue` becomes the
    0x03 byte; the server stops the run with SIGINT."""
    if GDB is None:
        pytest.skip("gdb-multiarch is not installed (apt-get install -y gdb-multiarch)")
    proc, port = start_server_process(["-m", "iss.debugger.gdbserver", "--cores", "1",
                                       str(gdbtest_elf)])
    try:
        gdb = subprocess.Popen(
            [GDB, "-q", "-batch", "-nx", "-ex", "set architecture riscv:rv32",
             "-ex", f"target remote 127.0.0.1:{port}", "-ex", "break main", "-ex", "continue",
             "-ex", "set var mode = 1", "-ex", "delete", "-ex", "continue",
             "-ex", "print spin > 0", "-ex", "kill", str(gdbtest_elf)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            stdin=subprocess.DEVNULL)
        time.sleep(3)
        gdb.send_signal(2)
        out, _ = gdb.communicate(timeout=60)
        assert "Program received signal SIGINT" in out, out
        assert "$1 = 1" in out, out
        assert proc.wait(timeout=30) == 0
    finally:
        for p in (proc,):
            if p.poll() is None:
                p.kill()
                p.wait()
