"""The GDB Remote Serial Protocol's packet layer: $data#cs frames and their checksums, '}'
escapes of binary data, little-endian register hex, and Connection - one client socket
with +/- acknowledgements (a '-' retransmits our last packet), no-ack mode, bad checksums
NAKed and dropped, truncated and overlong frames dropped, Ctrl-C (0x03) while running.

What the packets mean is gdbserver.py's business.  Set ISS_GDBSERVER_LOG=1 to log
packets on stderr.
"""
from __future__ import annotations

import os
import re
import select
import socket
import sys

PACKET_SIZE = 0x4000              # announced in qSupported (bytes of packet data)
_MAX_FRAME = 2 * PACKET_SIZE + 64 # longest frame we buffer before dropping it (escapes)
_HEX = re.compile(rb"^[0-9a-fA-F]{2}$")
_SYNC = re.compile(rb"[$\x03-]")  # bytes that mean something outside a packet


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def frame(data: bytes) -> bytes:
    return b"$" + data + b"#" + b"%02x" % checksum(data)


def escape(data: bytes) -> bytes:
    """Binary data in a packet: '#', '$', '}' and '*' become '}' + (byte ^ 0x20)."""
    out = bytearray()
    for b in data:
        if b in (0x23, 0x24, 0x7D, 0x2A):
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == 0x7D:
            nxt = next(it, None)
            if nxt is None:
                raise ValueError("escape at end of data")
            out.append(nxt ^ 0x20)
        else:
            out.append(b)
    return bytes(out)


def le32(value: int) -> str:
    return (value & 0xFFFFFFFF).to_bytes(4, "little").hex()


def hexint(text: str) -> int:
    if not text or not re.fullmatch(r"[0-9a-fA-F]+", text):
        raise ValueError(f"not a hex number: {text!r}")
    return int(text, 16)


def log(message: str) -> None:
    if os.environ.get("ISS_GDBSERVER_LOG"):
        print(f"gdbserver: {message}", file=sys.stderr, flush=True)


class Disconnected(Exception):
    """The client went away."""


class Connection:
    """Framing, checksums, acks and the interrupt byte over one client socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()
        self.ack = True
        self.closed = False
        self.last_sent: bytes | None = None
        sock.settimeout(60.0)         # sends to a client that never reads give up

    # ---- output --------------------------------------------------------------------
    def _send_raw(self, data: bytes) -> None:
        if self.closed:
            raise Disconnected()
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True
            raise Disconnected() from None

    def send(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            payload = payload.encode("latin-1")
        data = frame(payload)
        self.last_sent = data
        log(f"-> {payload[:200]!r}")
        self._send_raw(data)

    # ---- input ---------------------------------------------------------------------
    def _recv(self, timeout: float | None) -> bool:
        """Wait up to `timeout` (None: forever) for bytes; False when none came."""
        if self.closed:
            raise Disconnected()
        try:
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                return False
            data = self.sock.recv(65536)
        except (OSError, ValueError):
            data = b""
        if not data:
            self.closed = True
            raise Disconnected()
        self.buf += data
        return True

    def next_packet(self) -> bytes:
        """The next valid packet's data (unescaping is left to the command)."""
        while True:
            packet = self._parse()
            if packet is not None:
                return packet
            self._recv(None)

    def poll_interrupt(self, timeout: float = 0) -> bool:
        """While the target runs: True when the client sent Ctrl-C (0x03); waits up to
        `timeout` seconds for bytes."""
        if self._recv(timeout):
            while self._recv(0):
                pass
        i = self.buf.find(b"\x03")
        if i < 0:
            return False
        del self.buf[i]
        return True

    def _nak(self) -> None:
        if self.ack:
            self._send_raw(b"-")

    def _parse(self) -> bytes | None:
        buf = self.buf
        while buf:
            c = buf[0]
            if c == 0x24:                                   # '$'
                end = buf.find(b"#", 1)
                nxt = buf.find(b"$", 1, end if end >= 0 else len(buf))
                if nxt >= 0:                                # truncated by a new packet
                    del buf[:nxt]
                    self._nak()
                    continue
                if end < 0:
                    if len(buf) > _MAX_FRAME:               # too long: drop what we have
                        del buf[:]
                        self._nak()
                    return None
                if len(buf) < end + 3:
                    return None
                data, cs = bytes(buf[1:end]), bytes(buf[end + 1:end + 3])
                del buf[:end + 3]
                if not _HEX.match(cs) or int(cs, 16) != checksum(data):
                    log(f"bad checksum {data[:80]!r}#{cs!r}")
                    self._nak()
                    continue
                if self.ack:
                    self._send_raw(b"+")
                log(f"<- {data[:200]!r}")
                return data
            if c == 0x2D:                                   # '-': resend our last packet
                del buf[0]
                if self.ack and self.last_sent is not None:
                    self._send_raw(self.last_sent)
                continue
            if c == 0x03:                                   # Ctrl-C while stopped: ignore
                del buf[0]
                continue
            m = _SYNC.search(buf, 1)                        # '+' and garbage
            del buf[:m.start() if m else len(buf)]
        return None

    def close(self) -> None:
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
