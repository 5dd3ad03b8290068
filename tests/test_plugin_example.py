"""The worked plugin example of docs/plugins.md (examples/plugins/crc32_unit.py), written
only against the documented host API: unit tests on iss.testing.FakeSim, then a firmware
that uses it in a real simulation. Expected checksums come from zlib.crc32."""
from __future__ import annotations

import importlib.util
import io
import re
import zlib
from pathlib import Path

import pytest

from iss import Simulator, load_platform, register_plugin, toolchain
from iss.errors import PeripheralError, PlatformError
from iss.testing import FakeSim

REPO = Path(__file__).resolve().parent.parent
BASE = 0x1A300000
TEXT = b"The quick brown fox jumps over the lazy dog."          # 44 bytes: 11 words


def load_example():
    spec = importlib.util.spec_from_file_location(
        "crc32_unit", REPO / "examples" / "plugins" / "crc32_unit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


crc = load_example()
WORDS = [int.from_bytes(TEXT[i:i + 4], "little") for i in range(0, len(TEXT), 4)]


def test_checksums_match_zlib():
    sim = FakeSim()
    unit = crc.Crc32Unit(sim, "crc", BASE, 0x1000, {})
    hart = sim.harts[0]
    for data in (TEXT, b"", b"\x00\x00\x00\x00", bytes(range(256))):
        hart.t += 1000
        unit.write(hart, crc.CTRL, 4, 1)
        for i in range(0, len(data), 4):
            unit.write(hart, crc.DATA, 4, int.from_bytes(data[i:i + 4], "little"))
        hart.t += 1000
        assert unit.read(hart, crc.RESULT, 4) == zlib.crc32(data)


def test_words_queue_and_a_read_while_busy_waits():
    sim = FakeSim()
    unit = crc.Crc32Unit(sim, "crc", BASE, 0x1000, {"cycles_per_word": 10, "event": 5})
    hart = sim.harts[2]
    hart.t = 100
    unit.write(hart, crc.CTRL, 4, 1)
    for word in WORDS[:3]:                       # at 100, 101, 102: done at 110, 120, 130
        unit.write(hart, crc.DATA, 4, word)
        hart.t += 1
    assert unit.read(hart, crc.STATUS, 4) == 1
    assert unit.read(hart, crc.RESULT, 4) == 0 and sim.sleeps == [2]   # waits
    sim.run_until(129)
    assert sim.wakes == [] and sim.raised == []
    sim.run_until(130)
    assert sim.wakes == [(2, 130)]
    assert sim.raised == [(5, 1 << 2, 130)]     # once: when the queue ran empty
    hart.t = 130
    assert unit.read(hart, crc.STATUS, 4) == 0
    assert unit.read(hart, crc.RESULT, 4) == zlib.crc32(TEXT[:12])
    assert unit.stats() == {"words": 3}


def test_bad_parameters_and_accesses_are_one_line_errors():
    sim = FakeSim()
    with pytest.raises(PlatformError, match=r"peripheral\.crc\.cycles_per_word = 0"):
        crc.Crc32Unit(sim, "crc", BASE, 0x1000, {"cycles_per_word": 0})
    unit = crc.Crc32Unit(sim, "crc", BASE, 0x1000, {})
    with pytest.raises(PeripheralError, match="1-byte store"):
        unit.write(sim.harts[0], crc.DATA, 1, 0x41)


FIRMWARE_C = """\
#include <stdint.h>
#include <stdio.h>

#define CRC ((volatile uint32_t *)0x1A300000)
static const char text[] = "The quick brown fox jumps over the lazy dog.";

static inline unsigned cycles(void)
{
    unsigned c;
    __asm__ volatile("csrr %0, mcycle" : "=r"(c));
    return c;
}

int main(void)
{
    CRC[0] = 1;
    for (unsigned i = 0; i + 4 <= sizeof text - 1; i += 4)
        CRC[1] = *(const uint32_t *)(text + i);
    unsigned t0 = cycles();
    uint32_t result = CRC[2];
    unsigned waited = cycles() - t0;
    printf("crc %08x waited %u\\n", (unsigned)result, waited);
    return 0;
}
"""


def test_firmware_uses_the_unit_in_a_real_simulation(tmp_path):
    src = tmp_path / "crc_main.c"
    src.write_text(FIRMWARE_C)
    elf = toolchain.build_cached([src], tmp_path / "crc_main.elf")
    register_plugin("crc32_unit", crc.Crc32Unit)
    platform = load_platform(None, {"peripheral.crc": {
        "plugin": "crc32_unit", "base": BASE, "size": 0x1000, "cycles_per_word": 30}})
    out = io.StringIO()
    result = Simulator(elf, platform, output=out, cores=1).run()
    assert result.exit_code == 0, out.getvalue()
    m = re.search(r"crc ([0-9a-f]{8}) waited (\d+)", out.getvalue())
    assert m and int(m.group(1), 16) == zlib.crc32(TEXT), out.getvalue()
    # 11 words at 30 cycles each keep the unit busy 330 cycles from the first store; the
    # stores themselves take far less, so the RESULT load waits most of that time
    assert 11 * 30 // 2 < int(m.group(2)) <= 11 * 30
    assert result.stats["peripherals"]["crc"]["words"] == 11


def test_plugins_found_from_the_checkout_without_package_metadata(monkeypatch):
    """Without installed entry points (a checkout on sys.path), the plugins are those the
    checkout's pyproject.toml declares: the core names none of them itself."""
    import tomllib
    from pathlib import Path

    import pytest

    from iss import plugin
    from iss.errors import PlatformError
    monkeypatch.setattr(plugin, "_registered_plugins", lambda: {})
    declared = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml")
                             .read_text())["project"]["entry-points"]["iss.plugins"]
    for name, target in declared.items():
        cls = plugin.find_plugin(name)
        assert f"{cls.__module__}:{cls.__name__}" == target
    with pytest.raises(PlatformError, match="unknown peripheral plugin 'nope'.*ima"):
        plugin.find_plugin("nope")
