"""Robustness of the GDB remote-protocol server against hostile or broken clients.

Random and malformed byte streams (bad checksums, truncated and huge packets, random packet
contents, unknown commands, abrupt disconnects) go to one server running in a thread; after
each batch a well-behaved client must still get a valid answer to `?`. Deterministic (fixed
seeds) and bounded in time.
"""
from __future__ import annotations

import random
import re
import socket
import struct
import time

import pytest

from iss.debugger.rsp import checksum
from test_gdbserver import build_test_firmware, elf_symbols, served

ANY = re.compile(rb"")
STOP_REPLY = re.compile(rb"^(T[0-9a-f]{2}.*|S[0-9a-f]{2}|W[0-9a-f]{2}|X[0-9a-f]{2})$")


@pytest.fixture(scope="module")
def fuzz_server():
    elf = build_test_firmware()
    with served(elf, keep_alive=True) as (server, _):
        yield server, elf_symbols(elf)
        assert not server.internal_errors, server.internal_errors[:5]


def frame(payload: bytes) -> bytes:
    return b"$" + payload + b"#%02x" % checksum(payload)


class Client:
    """A forgiving raw client: reconnects when the server closed the connection."""

    def __init__(self, port: int):
        self.port = port
        self.sock = None
        self.connect()

    def connect(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self, abrupt: bool = False) -> None:
        if abrupt:     # RST instead of FIN
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
        self.sock = None

    def send(self, data: bytes) -> bool:
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def packets(self, wait: float, until=None) -> list[bytes] | None:
        """Packets that arrive within `wait` s (acked), returning early once one matches
        `until` (a regex); None when the server closed the connection."""
        out = []
        deadline = time.monotonic() + wait
        while True:
            while True:
                i = self.buf.find(b"$")
                j = self.buf.find(b"#", i + 1) if i >= 0 else -1
                if i < 0 or j < 0 or len(self.buf) < j + 3:
                    break
                out.append(self.buf[i + 1:j])
                self.buf = self.buf[j + 3:]
                self.send(b"+")
                if until is not None and until.match(out[-1]):
                    return out
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return out
            except OSError:
                return None
            if not data:
                return None
            self.buf += data

    def ask_stop_reason(self) -> bytes:
        """`?` until a valid stop reply comes back (resend after a NAK'd or lost frame,
        interrupt a run that random commands started, reconnect if closed)."""
        for _attempt in range(20):
            if self.sock is None or not self.send(b"+" + frame(b"?")):
                self.connect()
                continue
            got = self.packets(0.5, until=STOP_REPLY)
            if got is None:
                self.connect()
                continue
            if got and STOP_REPLY.match(got[-1]):
                return got[-1]
            self.send(b"\x03")              # maybe still running `c`: interrupt it
        raise AssertionError("server stopped answering '?'")


def check_alive(client: Client) -> None:
    reply = client.ask_stop_reason()
    assert STOP_REPLY.match(reply), reply


def test_random_byte_streams(fuzz_server):
    server, _ = fuzz_server
    rng = random.Random(1234)
    c = Client(server.port)
    alphabet = b"$#}*+-\x03" + bytes(range(256))
    for _ in range(40):
        n = rng.choice([1, 3, 17, 100, 1000, 5000])
        junk = bytes(rng.choice(alphabet) for _ in range(n))
        if not c.send(junk):
            c.connect()
        c.packets(0.02)
        check_alive(c)
    c.close()


def test_bad_checksums_truncated_and_huge_packets(fuzz_server):
    server, _ = fuzz_server
    c = Client(server.port)
    # bad checksums: each is NAKed, nothing runs
    for payload in (b"?", b"g", b"c", b"k", b"D", b"m0,4"):
        bad = (checksum(payload) + 1) & 0xFF
        c.send(b"$" + payload + b"#%02x" % bad)
        c.send(b"$" + payload + b"#zz")
    c.packets(0.2)
    check_alive(c)
    # truncated: no '#', '#' with one digit, a new '$' in the middle
    for raw in (b"$m1c000000,4", b"$qSupported:xyz#4", b"$g$", b"$$$$", b"#00", b"$#",
                b"$}", b"$}#7d"):
        c.send(raw)
        check_alive(c)
    # huge: beyond PacketSize with a valid checksum, and a megabyte of garbage
    huge = b"M1c000000,8000:" + b"00" * 0x8000
    c.send(frame(huge))
    check_alive(c)
    c.send(frame(b"X1c050000,10000:" + b"\x55" * 0x10000))
    check_alive(c)
    c.send(b"$" + b"A" * 1_000_000)
    check_alive(c)
    c.send(b"q" * 1_000_000)
    check_alive(c)
    # the largest packet we announce is accepted
    big = b"m1c000000,2000"
    c.send(b"+" + frame(big))
    replies = c.packets(5, until=re.compile(rb"^[0-9a-f]{16384}$"))
    assert replies and len(replies[-1]) == 0x4000
    c.close()


UNKNOWN = [b"vRun;", b"vFile:open:6a7573742070726f62696e67,0,1c0", b"vAttach;1",
           b"qXfer:libraries:read::0,100", b"qXfer:features:read:target.xml:zz,10",
           b"qXfer:features:read:target.xml:0", b"qXfer:memory-map:read::0,100", b"QNonStop:1",
           b"!", b"R00", b"bc", b"bs", b"i", b"t1000:0;0", b"A10,0,66",
           b"qGetTLSAddr:1,0,0", b"Z5,0,0", b"Z9", b"z", b"Z", b"vStopped", b"QPassSignals:0e",
           b"qTfV", b"jThreadsInfo", b"vCont;r1000,2000", b"vCont;x", b"vCont;", b"vCont",
           b"H", b"Hx", b"Hg", b"Hcz", b"T", b"Tzz", b"p", b"pzz", b"p999999999999", b"P",
           b"P1=", b"P1=zz", b"P1=12", b"G", b"G123", b"Gzzzzzzzz", b"m", b"m,", b"m1c000000",
           b"m-1,4", b"mffffffff,ffffffff", b"M", b"M0,1", b"M0,1:zz", b"X", b"X0,1", b"X0,2:}",
           b"C", b"Czz", b"S", b"c zz", b"szz", b"qRcmd,", b"qRcmd,zz", b"qRcmd,6e6f7065",
           b"qThreadExtraInfo,99", b"qThreadExtraInfo,", b"qC1", b"qAttached:zz",
           b"qSupported:" + b"x+;" * 300, b"\x00\xff\x80", b"}", b"qXfer:::::::",
           b"Z0,ffffffff,2", b"Z2,fffffffe,8", b"Z2,1c050000,ffffffff", b"z2,0,4",
           b"Z0,1c000001,2", b"qRcmd," + b"help".hex().encode() * 50]


def test_unknown_and_malformed_commands(fuzz_server):
    server, _ = fuzz_server
    c = Client(server.port)
    for payload in UNKNOWN:
        assert c.send(b"+" + frame(payload)), payload
        got = c.packets(2.0, until=re.compile(rb"^(?!O[0-9a-f])"))   # not monitor output
        assert got is not None, f"server closed on {payload!r}"
        assert got, f"no reply to {payload!r}"
    check_alive(c)
    c.close()


def random_payload(rng: random.Random, syms) -> bytes:
    addresses = [syms["main"][0], syms["watched"][0], syms["spin"][0], 0, 0xFFFFFFF0,
                 0x1A10F000, 0x10000000, rng.getrandbits(32)]
    hexnum = lambda: f"{rng.choice(addresses):x}"                      # noqa: E731
    length = lambda: f"{rng.choice([0, 1, 2, 4, 7, 0x100, 0x10000]):x}"  # noqa: E731
    kind = rng.random()
    if kind < 0.15:   # pure random bytes (no frame characters)
        return bytes(rng.choice(b"0123456789abcdefgzZ:;,=.-pPxX?qQvV \x00\x7f\xfe")
                     for _ in range(rng.randint(0, 40)))
    choices = [
        lambda: "?", lambda: "g", lambda: f"p{rng.randint(0, 40):x}",
        lambda: f"P{rng.randint(0, 40):x}={rng.getrandbits(32):08x}",
        lambda: f"m{hexnum()},{length()}",
        lambda: f"M{hexnum()},4:{rng.getrandbits(32):08x}",
        lambda: f"Z{rng.randint(0, 5)},{hexnum()},{length()}",
        lambda: f"z{rng.randint(0, 5)},{hexnum()},{length()}",
        lambda: "s", lambda: "vCont;s:1", lambda: f"vCont;c:{rng.randint(-1, 3)}",
        lambda: "c", lambda: f"H{rng.choice('gcx')}{rng.randint(-1, 4)}",
        lambda: f"T{rng.randint(0, 4)}", lambda: "qfThreadInfo", lambda: "qC",
        lambda: "qRcmd," + rng.choice(["stats", "help", "bogus", "reset"]).encode().hex(),
        lambda: f"qXfer:features:read:target.xml:{rng.randint(0, 2000):x},{rng.randint(0, 99):x}",
        lambda: "G" + "".join(f"{rng.getrandbits(32):08x}" for _ in range(rng.randint(0, 34))),
        lambda: rng.choice(["k", "D", "vKill;1", "QStartNoAckMode"]),
    ]
    weights = [4, 3, 3, 1, 4, 1, 3, 3, 2, 2, 1, 1, 2, 2, 1, 1, 1, 2, 1, 0.3]
    text = rng.choices(choices, weights)[0]()
    data = text.encode()
    if rng.random() < 0.2 and data:      # mutate a byte
        i = rng.randrange(len(data))
        data = data[:i] + bytes([rng.getrandbits(8) & 0x7F]) + data[i + 1:]
    return data


def test_random_packet_contents(fuzz_server):
    server, syms = fuzz_server
    rng = random.Random(42)
    c = Client(server.port)
    started = time.monotonic()
    for i in range(300):
        payload = random_payload(rng, syms).replace(b"$", b"").replace(b"#", b"")
        if c.sock is None or not c.send(b"+" + frame(payload)):
            c.connect()
            continue
        runs = payload[:1] in (b"c", b"s", b"C", b"S", b"v")
        got = c.packets(1.0, until=ANY)    # the reply (stop reply, error, ...)
        if got is None:                    # k / D / vKill closed the session: fine
            c.connect()
        elif runs and not got:
            c.send(b"\x03")                # a run may still be going: stop it
            if c.packets(1.0, until=STOP_REPLY) is None:
                c.connect()
        if i % 25 == 0:
            check_alive(c)
        assert time.monotonic() - started < 60
    check_alive(c)
    c.close()


def test_abrupt_disconnects(fuzz_server):
    server, syms = fuzz_server
    main, spin = syms["main"][0], syms["spin"][0]
    rng = random.Random(7)
    for i in range(12):
        c = Client(server.port)
        what = i % 4
        if what == 0:                       # in the middle of a packet
            c.send(b"$m1c000000,")
        elif what == 1:                     # right after a request, before the reply
            c.send(frame(b"qXfer:features:read:target.xml:0,fff"))
        elif what == 2:                     # while the target runs forever
            c.send(b"+" + frame(b"qRcmd," + b"reset".hex().encode()))
            c.packets(2, until=re.compile(rb"^OK$"))
            c.send(frame(f"Z0,{main:x},2".encode()) + frame(b"c"))
            c.packets(2, until=STOP_REPLY)
            c.send(frame(f"z0,{main:x},2".encode()))
            c.send(frame(f"M{syms['mode'][0]:x},4:01000000".encode()) + frame(b"c"))
            time.sleep(0.2)
        else:                               # random junk
            c.send(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300))))
        c.close(abrupt=bool(i % 2))
    c = Client(server.port)
    reply = c.ask_stop_reason()
    assert STOP_REPLY.match(reply)
    # still consistent: memory and registers answer
    c.send(b"+" + frame(f"m{spin:x},4".encode()))
    got = c.packets(2, until=re.compile(rb"^[0-9a-f]{8}$"))
    assert got and re.fullmatch(rb"[0-9a-f]{8}", got[-1])
    c.send(b"+" + frame(b"g"))
    got = c.packets(2, until=re.compile(rb"^[0-9a-f]{264}$"))
    assert got and len(got[-1]) == 33 * 8
    c.close()
