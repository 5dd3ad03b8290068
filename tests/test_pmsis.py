"""The pulp-sdk (PMSIS) API of the runtime (firmware/runtime/include/pmsis.h, pmsis.c) and the
two pulp-sdk-style apps written against it (firmware/apps/pmsis_matmul,
firmware/apps/pmsis_dma_double_buffer): they build with `iss cc` from pmsis.h alone,
self-check on 8 cores and on 1, and their results match numpy; the pi_perf counts match the
simulator's per-function profile; pi_l1_malloc / pi_l2_malloc hand out correct memory."""
from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from iss.elf import load_elf

REPO = Path(__file__).resolve().parent.parent
APPS = REPO / "firmware" / "apps"
L1_BASE, L1_SIZE = 0x10000000, 0x80000          # platform memory map (README)
L2_BASE, L2_SIZE = 0x1C000000, 0x400000
STACKS = 8 * 0x1000                             # link.ld: per-core stacks at the top of L1


def iss(*args, check_rc=None):
    r = subprocess.run([sys.executable, "-m", "iss.cli", *map(str, args)], capture_output=True,
                       text=True, timeout=900, check=False)
    if check_rc is not None:
        assert r.returncode == check_rc, (r.returncode, r.stdout, r.stderr)
    return r


def run_app(elf, cores, *flags, tmp_path):
    """iss run with the stats in JSON: (firmware output, stats)."""
    js = tmp_path / f"stats{cores}.json"
    r = iss("run", elf, "--cores", cores, "--quiet", "--json", js, *flags)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r.stdout, json.loads(js.read_text())


def checksum(values) -> int:
    """sum over idx of (uint32)v[idx] * (idx + 1) mod 2^32, as the apps print it."""
    v = np.asarray(values, dtype=np.int64).ravel() & 0xFFFFFFFF
    return int((v * np.arange(1, v.size + 1, dtype=np.int64)).sum()) & 0xFFFFFFFF


# ---------------------------------------------------------------- written for the pulp-sdk

@pytest.mark.parametrize("app", ["pmsis_matmul", "pmsis_dma_double_buffer"])
def test_apps_use_pmsis_only_and_build_with_iss_cc(tmp_path, app):
    sources = sorted((APPS / app).glob("*.c"))
    includes = {inc for src in sources
                for inc in re.findall(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', src.read_text(), re.MULTILINE)}
    assert includes == {"pmsis.h"}
    iss("cc", "-Wall", "-Wextra", "-Werror", "-o", tmp_path / f"{app}.elf", *sources, check_rc=0)


# ---------------------------------------------------------------- pmsis_matmul

M, K, N = 64, 48, 40


def matmul_golden():
    i, k = np.meshgrid(np.arange(M), np.arange(K), indexing="ij")
    a = (i * 7 + k * 13) % 31 - 15
    k, j = np.meshgrid(np.arange(K), np.arange(N), indexing="ij")
    b = (k * 11 + j * 5) % 29 - 14
    return a.astype(np.int64) @ b.astype(np.int64)


_matmul_runs: dict = {}


def matmul_run(firmware_elf, tmp_path_factory, cores):
    if cores not in _matmul_runs:
        elf = firmware_elf("pmsis_matmul")
        out, stats = run_app(elf, cores, "--profile", tmp_path=tmp_path_factory.mktemp("mm"))
        _matmul_runs[cores] = elf, out, stats
    return _matmul_runs[cores]


def per_core_lines(out):
    return [tuple(int(x) for x in m) for m in
            re.findall(r"^core (\d+): rows (\d+)-(\d+) cycles=(\d+) instr=(\d+)$", out, re.MULTILINE)]


@pytest.mark.parametrize("cores", [8, 1])
def test_matmul_self_checks_and_matches_numpy(firmware_elf, tmp_path_factory, cores):
    _, out, stats = matmul_run(firmware_elf, tmp_path_factory, cores)
    assert stats["exit_code"] == 0 and "pmsis_matmul: OK" in out and "FAILED" not in out, out
    assert f"on {cores} cores: 0 of {M * N} elements differ" in out
    assert int(re.search(r"checksum=([0-9a-f]{8})", out).group(1), 16) == checksum(matmul_golden())
    rows = per_core_lines(out)
    assert [(c, r0, r1) for c, r0, r1, _, _ in rows] == \
           [(c, c * M // cores, (c + 1) * M // cores) for c in range(cores)]


# The cycles and instructions a pi_perf_start() f() pi_perf_stop() region adds to f's own:
# the caller's instructions after pi_perf_start's csrc up to and including pi_perf_stop's
# csrs, timed by the rules of docs/cluster.md (derived here from the disassembly, not from
# the simulator).
LOADS = {"lw", "lh", "lhu", "lb", "lbu", "c.lw", "c.lwsp"}
SIMPLE = {"mv", "c.mv", "li", "c.li", "addi", "c.addi", "c.addi4spn", "c.addi16sp", "lui",
          "c.lui", "auipc", "slli", "c.slli", "add", "c.add", "sub", "c.sub", "and", "c.and",
          "or", "c.or", "andi", "c.andi"}
CALLS = {"jal", "jalr", "c.jal", "c.jalr"}
WRITE_ONLY_FIRST = {"mv", "c.mv", "li", "c.li", "lui", "c.lui", "auipc", "c.addi4spn", *LOADS}
REG = r"\b(zero|ra|sp|gp|tp|t[0-6]|s[0-9]|s1[01]|a[0-7])\b"


def disasm(elf, function):
    r = iss("disasm", elf, "--function", function, check_rc=0)
    rows = []
    for line in r.stdout.splitlines():
        m = re.match(r"^\s*([0-9a-f]+):\s+([0-9a-f]+)\s+(\S+)\s*(.*)$", line)
        if m:
            rows.append((int(m.group(1), 16), m.group(2), m.group(3), m.group(4)))
    return rows


def region_overhead(elf, caller, callee):
    """(cycles, instructions) of the counted instructions around the call to the callee."""
    code = disasm(elf, caller)
    callee_address, callee_word = disasm(elf, callee)[0][:2]
    start = next(i for i, row in enumerate(code) if row[2] == "csrc" and "mcountinhibit" in row[3])
    stop = next(i for i in range(start + 1, len(code))
                if code[i][2] == "csrs" and "mcountinhibit" in code[i][3])
    region = code[start + 1:stop]
    cycles = 4                                      # the stop's csrs: a 4-cycle CSR
    for n, (_, _word, op, operands) in enumerate(region):
        regs = re.findall(REG, operands)
        prev = region[n - 1] if n else code[start]
        prev_written = re.findall(REG, prev[3])[:1] if prev[2] not in CALLS else []
        if op in LOADS or op in SIMPLE:
            cycles += 1
            nxt = region[n + 1] if n + 1 < len(region) else code[stop]
            nxt_regs = re.findall(REG, nxt[3])
            reads = nxt_regs[1:] if nxt[2] in WRITE_ONLY_FIRST or not nxt[2].startswith("c.") \
                else nxt_regs
            if op in LOADS and regs[0] in reads:
                cycles += 1                         # load-use
        elif op in CALLS:
            cycles += 2
            rs1 = re.findall(r"\((\w+)\)", operands) if op == "jalr" else regs[-1:]
            if op in ("jalr", "c.jalr") and rs1 and rs1[0] in prev_written:
                cycles += 1                         # jalr hazard
            if callee_address % 4 and len(callee_word) == 8:   # 32-bit target, not word-aligned
                cycles += 1
        else:
            raise AssertionError(f"no timing rule here for {op} {operands}")
    return cycles, len(region) + 1


@pytest.mark.parametrize("cores", [8, 1])
def test_pi_perf_counts_match_the_simulators_profile(firmware_elf, tmp_path_factory, cores):
    elf, out, stats = matmul_run(firmware_elf, tmp_path_factory, cores)
    extra_cycles, extra_instr = region_overhead(elf, "cluster_matmul", "matmul_rows")
    rows = per_core_lines(out)
    assert len(rows) == cores
    for core, _, _, cycles, instr in rows:
        hart = stats["profile"]["harts"][core]
        f = next(f for f in hart["functions"] if f["function"] == "matmul_rows")
        assert f["sleep_cycles"] == 0
        assert (cycles, instr) == (f["cycles"] + extra_cycles, f["instructions"] + extra_instr), \
            f"core {core}"
    # the work splits evenly: every core runs the same rows' worth of instructions
    assert len({instr for *_, instr in rows}) == 1


# ---------------------------------------------------------------- pmsis_dma_double_buffer

TILE, NT = 512, 16
DMA_BANDWIDTH = 8          # bytes per cycle (plugins/cluster_dma.py default, MCHAN user manual)


def stream_golden():
    i = np.arange(NT * TILE, dtype=np.int64)
    x = (((i * 2654435761) & 0xFFFFFFFF) >> 16) - 32768
    return ((x * x) >> 7) - 3 * x + 11


@pytest.mark.parametrize("cores", [8, 1])
def test_double_buffer_self_checks_matches_numpy_and_hides_the_dma(firmware_elf, tmp_path, cores):
    out, stats = run_app(firmware_elf("pmsis_dma_double_buffer"), cores, tmp_path=tmp_path)
    assert stats["exit_code"] == 0 and "pmsis_dma_double_buffer: OK" in out and "FAILED" not in out
    assert f"on {cores} cores: 0 + 0 elements differ" in out
    assert int(re.search(r"checksum=([0-9a-f]{8})", out).group(1), 16) == checksum(stream_golden())
    serial, double = map(int, re.search(r"serial: (\d+) cycles, double-buffered: (\d+) cycles",
                                        out).groups())
    dma = stats["peripherals"]["cluster_dma"]
    tile_bytes = TILE * 4
    assert dma["transfers"] == 2 * 2 * NT and dma["bytes"] == 2 * 2 * NT * tile_bytes
    # each pass keeps the DMA busy for the same time; double buffering can hide all of it
    # but the first tile's input and the last tile's output
    busy = dma["busy_cycles"] / 2
    assert busy == 2 * NT * tile_bytes / DMA_BANDWIDTH
    hideable = busy - 2 * tile_bytes / DMA_BANDWIDTH
    assert 0.9 * hideable <= serial - double, (serial, double, hideable)


# ---------------------------------------------------------------- allocators and the device

ALLOC_SOURCE = r"""
#include "pmsis.h"

#define NB 8
static const int sizes[NB] = {1, 3, 8, 13, 64, 100, 1000, 4096};
static void *ptrs[16][3];

static void each_core(void *arg)
{
    (void)arg;
    int c = pi_core_id();
    for (int i = 0; i < 3; i++)
        ptrs[c][i] = pi_l1_malloc(0, (c + 1) * 24 + i);    /* pulpos form: cluster id */
}

static void in_task(void *arg)
{
    *(int *)arg = (int)pi_is_fc();
    pi_cl_team_fork(pi_cl_cluster_nb_cores(), each_core, 0);
}

static void entry(void)
{
    struct pi_device dev;
    struct pi_cluster_conf conf;
    struct pi_cluster_task task;
    void *p[NB];
    int fc_in_task = -1;

    pi_cluster_conf_init(&conf);
    pi_open_from_conf(&dev, &conf);
    printf("unopened %d\n", pi_cluster_send_task_to_cl(&dev, pi_cluster_task(&task, in_task, &fc_in_task)));
    conf.id = 1;                                         /* no cluster 1 */
    printf("badid %d\n", pi_cluster_open(&dev));
    conf.id = 0;
    printf("open %d\n", pi_cluster_open(&dev));
    printf("fc_outside %d\n", (int)pi_is_fc());
    for (int i = 0; i < NB; i++) {
        p[i] = pi_l1_malloc(&dev, sizes[i]);
        printf("a %u %d\n", (unsigned)p[i], sizes[i]);
    }
    void *g1 = pi_l1_malloc_align(&dev, 40, 64), *g2 = pi_l1_malloc_align(&dev, 24, 256);
    printf("g %u 40 64\ng %u 24 256\n", (unsigned)g1, (unsigned)g2);
    printf("too big %u\n", (unsigned)pi_l1_malloc(&dev, 0x80000));
    pi_l1_free(&dev, p[5], sizes[5]);
    void *again = pi_l1_malloc(&dev, sizes[5]);
    printf("reuse %u %u\n", (unsigned)p[5], (unsigned)again);
    p[5] = again;
    for (int i = 0; i < NB; i++)
        pi_l1_free(&dev, p[i], sizes[i]);
    pi_l1_free(&dev, g1, 40);
    pi_l1_free(&dev, g2, 24);
    unsigned whole = HEAP_BYTES;
    void *all = pi_l1_malloc(&dev, whole);
    printf("whole %u %u\n", (unsigned)all, whole);
    printf("then %u\n", (unsigned)pi_l1_malloc(&dev, 1));
    pi_l1_free(&dev, all, whole);

    printf("sent %d\n", pi_cluster_send_task(&dev, pi_cluster_task(&task, in_task, &fc_in_task)));
    printf("fc_inside %d\n", fc_in_task);
    for (int c = 0; c < pi_cl_cluster_nb_cores(); c++)
        for (int i = 0; i < 3; i++)
            printf("c %u %d\n", (unsigned)ptrs[c][i], (c + 1) * 24 + i);

    void *l2a = pi_l2_malloc(1000), *m = malloc(1000), *l2b = pi_l2_malloc(5000);
    void *l2c = pi_l2_malloc_align(100, 128);
    printf("l2 %u 1000\nl2 %u 1000\nl2 %u 5000\nl2 %u 100\n", (unsigned)l2a, (unsigned)m,
           (unsigned)l2b, (unsigned)l2c);
    printf("l2big %u\n", (unsigned)pi_l2_malloc(0x400000));
    pi_l2_free(l2a, 1000);
    printf("l2reuse %u %u\n", (unsigned)l2a, (unsigned)pi_l2_malloc(1000));
    printf("close %d %d\n", pi_cluster_close(&dev), pi_cluster_close(&dev));
    pmsis_exit(7);
}

int main(void)
{
    return pmsis_kickoff((void *)entry);
}
"""


def alloc_run(tmp_path, cores):
    # the whole L1 heap of this program (link.ld: from __l1_heap_start, 16-aligned, to the
    # stacks); .l1_bss is empty here, so the heap starts at the L1 base
    heap_bytes = L1_SIZE - STACKS
    src = tmp_path / "alloc.c"
    src.write_text(ALLOC_SOURCE)
    elf = tmp_path / "alloc.elf"
    iss("cc", "-Wall", "-Werror", f"-DHEAP_BYTES={heap_bytes}", "-o", elf, src, check_rc=0)
    syms = load_elf(elf).symbols
    assert (syms["__l1_heap_start"], syms["__l1_heap_end"]) == (L1_BASE, L1_BASE + heap_bytes)
    r = iss("run", elf, "--cores", cores, "--quiet")
    assert r.returncode == 7, (r.stdout, r.stderr)                   # pmsis_exit(7)
    return r.stdout, heap_bytes, syms


def field(out, name):
    return [tuple(int(v) for v in m.split()) for m in re.findall(rf"^{name} (.*)$", out, re.MULTILINE)]


def assert_disjoint(blocks):
    blocks = sorted(blocks)
    for (p, n), (q, _) in itertools.pairwise(blocks):
        assert p + n <= q, f"{p:#x}+{n} overlaps {q:#x}"


@pytest.mark.parametrize("cores", [8, 1])
def test_l1_and_l2_allocators(tmp_path, cores):
    out, heap_bytes, syms = alloc_run(tmp_path, cores)
    heap = (L1_BASE, L1_BASE + heap_bytes)
    assert field(out, "unopened") == [(-1,)] and field(out, "badid") == [(-1,)]
    assert field(out, "open") == [(0,)]
    # live L1 blocks: in the L1 heap, 8-byte aligned (pmsis promises 4), disjoint
    live = field(out, "a") + [(p, n) for p, n, _ in field(out, "g")]
    for p, n in live:
        assert heap[0] <= p and p + n <= heap[1] and p % 8 == 0
    for p, _, align in field(out, "g"):
        assert p % align == 0
    assert_disjoint(live)
    assert field(out, "too big") == [(0,)]                            # NULL
    (old, new), = field(out, "reuse")
    assert old == new                                                 # first fit
    # everything freed: the free list merged back into one block of the whole heap
    assert field(out, "whole") == [(heap[0], heap_bytes)] and field(out, "then") == [(0,)]
    # allocations of all the cores at once inside a cluster task
    assert field(out, "sent") == [(0,)]
    assert field(out, "fc_outside") == [(1,)] and field(out, "fc_inside") == [(0,)]
    team = field(out, "c")
    assert len(team) == 3 * cores
    for p, n in team:
        assert heap[0] <= p and p + n <= heap[1] and p % 8 == 0
    assert_disjoint(team)
    # L2: after the program's data (the libc heap), inside L2, disjoint from malloc's block
    l2 = field(out, "l2")
    for p, n in l2:
        assert syms["__heap_start"] <= p and p + n <= L2_BASE + L2_SIZE and p % 8 == 0
    assert l2[3][0] % 128 == 0
    assert_disjoint(l2)
    assert field(out, "l2big") == [(0,)]
    (old, new), = field(out, "l2reuse")
    assert old == new
    assert field(out, "close") == [(0, -1)]


# ---------------------------------------------------------------- DMA: 2-D and merged copies

DMA_SOURCE = r"""
#include "pmsis.h"

#define R 12
#define C 40
#define R0 3
#define C0 5
#define TR 6
#define TC 17

static uint8_t big[R][C], back[R][C], merged[2 * C];

static void task(void *arg)
{
    (void)arg;
    uint8_t *tile = pi_l1_malloc(0, TR * TC), *rows = pi_l1_malloc(0, 2 * C);
    /* 2-D in, structure form: the TR x TC tile at (R0, C0), lines C bytes apart in L2 */
    pi_cl_dma_copy_2d_t in = {.ext = (uint32_t)&big[R0][C0], .loc = (uint32_t)tile,
                              .size = TR * TC, .stride = C, .length = TC,
                              .dir = PI_CL_DMA_DIR_EXT2LOC, .merge = 0};
    pi_cl_dma_memcpy_2d(&in);
    pi_cl_dma_wait(&in);
    for (int i = 0; i < TR * TC; i++)
        tile[i] ^= 0x5A;
    /* 2-D out, command form, to the same place of `back` */
    pi_cl_dma_cmd_t out;
    pi_cl_dma_cmd_2d((uint32_t)&back[R0][C0], (uint32_t)tile, TR * TC, C, TC,
                     PI_CL_DMA_DIR_LOC2EXT, &out);
    pi_cl_dma_cmd_wait(&out);
    /* two 1-D copies on one id (merge), one wait for both */
    pi_cl_dma_copy_t m = {.ext = (uint32_t)&big[1][0], .loc = (uint32_t)rows, .size = C,
                          .dir = PI_CL_DMA_DIR_EXT2LOC, .merge = 0};
    pi_cl_dma_memcpy(&m);
    m.ext = (uint32_t)&big[R - 1][0];
    m.loc = (uint32_t)(rows + C);
    m.merge = 1;
    pi_cl_dma_memcpy(&m);
    pi_cl_dma_wait(&m);
    for (int i = 0; i < 2 * C; i++)
        merged[i] = rows[i];             /* read right after the wait */
    /* and out again with pi_cl_dma_cmd, then pi_cl_dma_flush */
    pi_cl_dma_cmd_t flushed;
    pi_cl_dma_cmd((uint32_t)&back[0][0], (uint32_t)rows, 2 * C, PI_CL_DMA_DIR_LOC2EXT, &flushed);
    pi_cl_dma_flush();
}

static void entry(void)
{
    struct pi_device dev;
    struct pi_cluster_conf conf;
    struct pi_cluster_task t;
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
            big[r][c] = (uint8_t)(r * 31 + c * 5 + 1);
    pi_cluster_conf_init(&conf);
    pi_open_from_conf(&dev, &conf);
    if (pi_cluster_open(&dev))
        pmsis_exit(-1);
    pi_cluster_send_task_to_cl(&dev, pi_cluster_task(&t, task, NULL));
    pi_cluster_close(&dev);
    for (int r = 0; r < R; r++) {
        printf("back");
        for (int c = 0; c < C; c++)
            printf(" %d", back[r][c]);
        printf("\n");
    }
    printf("merged");
    for (int i = 0; i < 2 * C; i++)
        printf(" %d", merged[i]);
    printf("\n");
    pmsis_exit(0);
}

int main(void)
{
    return pmsis_kickoff((void *)entry);
}
"""


def test_dma_2d_merged_and_flush(tmp_path):
    R, C, R0, C0, TR, TC = 12, 40, 3, 5, 6, 17
    src = tmp_path / "dma.c"
    src.write_text(DMA_SOURCE)
    elf = tmp_path / "dma.elf"
    iss("cc", "-Wall", "-Werror", "-o", elf, src, check_rc=0)
    r = iss("run", elf, "--quiet", check_rc=0)
    r_, c_ = np.meshgrid(np.arange(R), np.arange(C), indexing="ij")
    big = (r_ * 31 + c_ * 5 + 1) & 0xFF
    back = np.zeros((R, C), dtype=np.int64)
    back[R0:R0 + TR, C0:C0 + TC] = big[R0:R0 + TR, C0:C0 + TC] ^ 0x5A
    rows = np.concatenate([big[1], big[R - 1]])
    back.ravel()[:2 * C] = rows                  # the flushed copy, over rows 0 and 1
    assert np.array_equal(np.array(field(r.stdout, "back")), back)
    assert field(r.stdout, "merged") == [tuple(rows)]
