"""Cluster DMA (plugins/cluster_dma.py): the MCHAN v7 register protocol, data movement,
timing and errors with a fake simulator; then firmware runs (1-D and 2-D copies checked by
the firmware and against numpy here, a waiting core woken by the completion event)."""
from __future__ import annotations

import io

import numpy as np
import pytest

from iss.testing import FakeSim
from iss.code_tables import PAGE_CODE
from iss.errors import PeripheralError
from iss_plugins.cluster_dma import ClusterDma

BASE, ALIAS = 0x10201800, 0x10204400
L1, L2 = 0x10000000, 0x1C100000
CMD, STATUS = 0x0, 0x4
EXT2LOC, INC, TWO_D, ELE, ILE, BLE, TWO_D_TCDM = (1 << b for b in range(17, 24))


def make(**params):
    sim = FakeSim()
    dma = ClusterDma(sim, "cluster_dma", BASE, 0x400, {"alias": ALIAS, **params})
    return sim, dma


def fill(sim, address, n, seed=1):
    data = np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8)
    sim.memory.write(address, data.tobytes())
    return data


def push(dma, hart, *words, offset=CMD):
    for w in words:
        dma.write(hart, offset, 4, w)


def cmd(size, *flags):
    return size | INC | ELE | BLE | sum(flags)


# ---------------------------------------------------------------- protocol and data

def test_1d_l2_to_l1_moves_data_at_completion_and_raises_the_dma_event():
    sim, dma = make()
    h = sim.harts[0]
    h.t = 100
    src = fill(sim, L2, 100)
    tid = dma.read(h, CMD, 4)
    assert tid == 0 and dma.read(h, STATUS, 4) == 1 << 16          # allocated, nothing moving
    push(dma, h, cmd(100, EXT2LOC), L1 + 0x40, L2)
    assert dma.read(h, STATUS, 4) == (1 << 16) | 1                 # TID 0 busy
    end = 100 + 10 + 100 // 8 + 1                                   # latency + ceil(100 / 8)
    sim.run_until(end - 1)
    assert not sim.memory.read(L1 + 0x40, 100).strip(b"\0") and not sim.raised
    sim.run_until(end)
    assert sim.memory.read(L1 + 0x40, 100) == src.tobytes()
    assert sim.raised == [(8, 0xFF, end)]
    assert dma.read(h, STATUS, 4) == 1 << 16                        # done, still allocated
    dma.write(h, STATUS, 4, 1 << tid)                               # plp_dma_counter_free
    assert dma.read(h, STATUS, 4) == 0
    assert dma.stats() == {"transfers": 1, "transfers_2d": 0, "bytes": 100, "busy_cycles": 13}


def test_1d_l1_to_l2_through_the_core_private_alias():
    sim, dma = make()
    h = sim.harts[3]
    src = fill(sim, L1 + 8, 64)
    alias = ALIAS - BASE                                            # offsets are relative to base
    tid = dma.read(h, alias + CMD, 4)
    push(dma, h, cmd(64), L1 + 8, L2 + 4, offset=alias + CMD)
    assert dma.read(h, alias + STATUS, 4) & (1 << tid)
    sim.run_until(10 + 8)
    assert sim.memory.read(L2 + 4, 64) == src.tobytes()
    assert dma.read(h, STATUS, 4) & 0xFFFF == 0


def test_2d_l2_to_l1_gathers_strided_lines_and_a_short_last_line():
    sim, dma = make()
    h = sim.harts[0]
    src = fill(sim, L2, 200)
    tid = dma.read(h, CMD, 4)
    size, length, stride = 30, 8, 20                # lines of 8, 8, 8 and 6 bytes, 20 apart
    push(dma, h, cmd(size, EXT2LOC, TWO_D), L1, L2 + 3, length, stride)
    sim.run_until(1000)
    expected = np.concatenate([src[3 + i * stride:3 + i * stride + min(length, size - i * length)]
                               for i in range(4)])
    assert sim.memory.read(L1, size) == expected.tobytes()
    assert dma.stats()["transfers_2d"] == 1 and tid == 0


def test_2d_l1_to_l2_scatters_lines():
    sim, dma = make()
    h = sim.harts[1]
    src = fill(sim, L1 + 0x100, 48)
    dma.read(h, CMD, 4)
    push(dma, h, cmd(48, TWO_D), L1 + 0x100, L2, 16, 64)
    sim.run_until(1000)
    out = np.frombuffer(sim.memory.read(L2, 3 * 64), dtype=np.uint8)
    for i in range(3):
        assert (out[i * 64:i * 64 + 16] == src[i * 16:i * 16 + 16]).all()
        assert not out[i * 64 + 16:(i + 1) * 64].any()


def test_queued_transfers_serialize_and_a_tid_groups_its_transfers():
    sim, dma = make()
    h = sim.harts[0]
    tid = dma.read(h, CMD, 4)
    push(dma, h, cmd(800, EXT2LOC), L1, L2)                 # 100 cycles, ends at 110
    push(dma, h, cmd(80, EXT2LOC), L1 + 800, L2 + 800)      # starts at 110, ends at 120
    sim.run_until(110)
    assert not sim.raised and dma.read(h, STATUS, 4) & 1    # TID still has 80 bytes to move
    sim.run_until(120)
    assert sim.raised == [(8, 0xFF, 120)] and tid == 0
    assert dma.stats()["busy_cycles"] == 110


def test_the_next_transfer_starts_after_its_own_programming_latency():
    sim, dma = make()
    h = sim.harts[0]
    dma.read(h, CMD, 4)
    push(dma, h, cmd(8, EXT2LOC), L1, L2)                   # 10 + 1: ends at 11
    sim.run_until(11)
    h.t = 500
    push(dma, h, cmd(8, EXT2LOC), L1, L2)                   # idle engine: 500 + 10 + 1
    sim.run_until(10_000)
    assert [t for _, _, t in sim.raised] == [11, 511]


def test_event_goes_to_the_pushing_core_without_broadcast_and_irq_uses_line_9():
    sim, dma = make()
    h = sim.harts[5]
    dma.read(h, CMD, 4)
    push(dma, h, 16 | INC | EXT2LOC | ELE, L1, L2)
    dma.read(h, CMD, 4)
    push(dma, h, 16 | INC | EXT2LOC | ILE | BLE, L1, L2)
    dma.read(h, CMD, 4)
    push(dma, h, 16 | INC | EXT2LOC, L1, L2)                # neither: silent completion
    sim.run_until(1000)
    assert sim.raised == [(8, 1 << 5, 12), (9, 0xFF, 14)]
    assert dma.stats()["transfers"] == 3


def test_commands_of_different_cores_do_not_mix_and_tids_are_per_core():
    sim, dma = make()
    a, b = sim.harts[0], sim.harts[1]
    fill(sim, L2, 64)
    ta, tb = dma.read(a, CMD, 4), dma.read(b, CMD, 4)
    assert (ta, tb) == (0, 1)
    dma.write(a, CMD, 4, cmd(32, EXT2LOC))
    dma.write(b, CMD, 4, cmd(32, EXT2LOC))
    dma.write(a, CMD, 4, L1)
    dma.write(b, CMD, 4, L1 + 32)
    dma.write(b, CMD, 4, L2 + 32)
    dma.write(a, CMD, 4, L2)
    assert dma.read(a, STATUS, 4) & 0xFFFF == 0b11
    sim.run_until(1000)
    assert sim.memory.read(L1, 64) == sim.memory.read(L2, 64)
    assert dma.read(a, STATUS, 4) == 0b11 << 16


def test_allocation_takes_the_lowest_free_tid():
    sim, dma = make()
    h = sim.harts[0]
    assert [dma.read(h, CMD, 4) for _ in range(3)] == [0, 1, 2]
    dma.write(h, STATUS, 4, 0b010)
    assert dma.read(h, CMD, 4) == 1


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("words, message", [
    ((0 | INC | EXT2LOC, L1, L2), "zero-length transfer"),
    ((cmd(16, EXT2LOC), L2, L2), "L1 address range 0x1c100000+16"),
    ((cmd(16, EXT2LOC), 0x1007FFF8, L2), "L1 address range 0x1007fff8+16"),
    ((cmd(16, EXT2LOC), L1, L1 + 0x1000), "external address range 0x10001000-0x10001010"),
    ((cmd(16, EXT2LOC), L1, 0x20000000), "external address range 0x20000000"),
    ((cmd(16, EXT2LOC), L1, 0x1C3FFFF8), "external address range 0x1c3ffff8-0x1c400008"),
    ((cmd(64, EXT2LOC, TWO_D), L1, 0x1C3FFF00, 16, 0x80), "0x1c3fff00-0x1c400090"),
    ((cmd(64, EXT2LOC, TWO_D), L1, L2, 0, 16), "zero line length"),
    ((cmd(16, EXT2LOC, TWO_D_TCDM), L1, L2), "2-D on the TCDM side"),
    ((16 | ELE, L1, L2), "INC=0"),
])
def test_invalid_commands_name_the_peripheral_and_register(words, message):
    sim, dma = make()
    h = sim.harts[2]
    dma.read(h, CMD, 4)
    with pytest.raises(PeripheralError) as e:
        push(dma, h, *words)
    assert str(e.value).startswith("cluster_dma: CMD (core 2): ")
    assert message in str(e.value)
    assert e.value.exit_code == 3


def test_copy_onto_code_pages_is_an_error():
    sim, dma = make()
    sim.memory.page_flags[L2 >> 12] |= PAGE_CODE
    h = sim.harts[0]
    dma.read(h, CMD, 4)
    with pytest.raises(PeripheralError, match="copy onto code pages"):
        push(dma, h, cmd(8), L1, L2 + 0xFFC)
    push(dma, h, cmd(8, EXT2LOC), L1, L2)                         # reading code is fine


def test_push_without_an_allocated_tid_is_an_error():
    sim, dma = make()
    with pytest.raises(PeripheralError, match="before any transfer id was allocated"):
        push(dma, sim.harts[0], cmd(8, EXT2LOC), L1, L2)


def test_queue_overflow_and_tid_exhaustion_are_errors():
    sim, dma = make(queue_depth=4)
    h = sim.harts[0]
    dma.read(h, CMD, 4)
    for _ in range(4):
        push(dma, h, cmd(8, EXT2LOC), L1, L2)
    with pytest.raises(PeripheralError, match=r"CMD \(core 0\): command queue full \(4 transfers"):
        push(dma, h, cmd(8, EXT2LOC), L1, L2)
    for _ in range(15):
        dma.read(h, CMD, 4)
    with pytest.raises(PeripheralError, match="CMD read: no free transfer id"):
        dma.read(h, CMD, 4)


@pytest.mark.parametrize("offset, size", [(0x8, 4), (0x0, 2), (0x4, 1)])
def test_other_registers_and_sizes_are_errors(offset, size):
    sim, dma = make()
    with pytest.raises(PeripheralError, match="MCHAN has 32-bit registers CMD"):
        dma.read(sim.harts[0], offset, size)


def test_2d_lines_take_whole_bus_cycles():
    sim, dma = make()
    h = sim.harts[0]
    dma.read(h, CMD, 4)
    push(dma, h, cmd(16, EXT2LOC, TWO_D), L1, L2, 4, 64)    # 4 lines of 4 bytes: 4 cycles, not 2
    sim.run_until(1000)
    assert sim.raised == [(8, 0xFF, 14)] and dma.stats()["busy_cycles"] == 4


# ---------------------------------------------------------------- firmware

def run_app(firmware_elf, name, isa="corev", cores=None):
    from iss.elf import load_elf
    from iss.simulator import Simulator
    elf = firmware_elf(name, isa=isa)
    out = io.StringIO()
    sim = Simulator(elf, output=out, cores=cores)
    result = sim.run(max_instructions=50_000_000)
    return sim, result, out.getvalue(), load_elf(elf).symbols


def expected_dma_copy_buffers(cores):
    """The L1/L2 buffers of firmware/apps/dma_copy after its run, from its documented data."""
    src = (np.arange(1000) * 7 + 3).astype(np.uint8)
    r, c = np.meshgrid(np.arange(20), np.arange(50), indexing="ij")
    big = (r * 31 + c * 5 + 1).astype(np.uint8)
    out = np.zeros_like(big)
    out[3:13, 5:22] = big[3:13, 5:22] ^ 0x5A
    chunks = np.zeros(16 * 256, dtype=np.uint8)
    for core in range(cores):
        chunks[core * 256:(core + 1) * 256] = (core * 16 + np.arange(256)).astype(np.uint8)
    i = np.arange(4096)
    tile = big[3:13, 5:22].ravel()
    return {"l1_buf": src, "back": src ^ 0x5A, "out": out.ravel(), "tile": tile ^ 0x5A,
            "tile2": tile, "chunks_l1": chunks, "big_l1": (i ^ (i >> 8)).astype(np.uint8)}


@pytest.mark.parametrize("isa, cores", [("corev", 8), ("rv32imc", 8), ("corev", 1)])
def test_dma_copy_app_moves_1d_and_2d_data(firmware_elf, isa, cores):
    sim, result, out, symbols = run_app(firmware_elf, "dma_copy", isa, cores)
    assert result.stop.reason == "exit" and result.exit_code == 0, (result.stop, out)
    assert "dma_copy: OK" in out
    for name, expected in expected_dma_copy_buffers(cores).items():      # checked here too
        got = np.frombuffer(sim.memory.read(symbols[name], expected.size), dtype=np.uint8)
        assert (got == expected).all(), name
    stats = result.stats["peripherals"]["cluster_dma"]
    assert stats["transfers"] == 7 + cores and stats["transfers_2d"] == 3
    assert stats["bytes"] == 1000 * 3 + 170 * 3 + 256 * cores + 4096


def test_completion_event_wakes_the_waiting_core_when_the_transfer_ends(firmware_elf):
    sim, result, out, _ = run_app(firmware_elf, "dma_copy")
    cycles = int(out.split("dma wait: ")[1].split()[0])
    transfer = 10 + 4096 // 8                   # programming latency + 8 bytes per cycle
    assert transfer <= cycles <= transfer + 40, cycles
    hart0 = result.stats["harts"][0]
    assert hart0["sleep_cycles"] >= 4096 // 8 - 10      # it slept through the transfer
    assert result.stats["peripherals"]["event_unit"]["events"] > 0


def test_a_misprogrammed_transfer_stops_the_run_with_one_line(tmp_path):
    import subprocess
    import sys
    src = tmp_path / "bad.c"
    src.write_text("#include <dma.h>\nint main(void) {\n"
                   "    plp_dma_wait(plp_dma_extToL1(0x10000000, 0x1c100000, 0));\n"
                   "    return 0;\n}\n")
    elf = tmp_path / "bad.elf"
    subprocess.run([sys.executable, "-m", "iss.cli", "cc", "-o", str(elf), str(src)], check=True)
    r = subprocess.run([sys.executable, "-m", "iss.cli", "run", str(elf)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 3
    assert "cluster_dma: CMD (core 0): zero-length transfer" in r.stderr
    assert "Traceback" not in r.stderr
