"""The MobileNetV2 bottleneck block of the paper (Sec. V) in its five
mappings: dimensions, deterministic synthetic data, the numpy golden model, the firmware's
data header, and building and running the firmware (firmware/bottleneck/bottleneck.c).
Why these dimensions and these arithmetic rules: docs/bottleneck.md.

    expand 1x1  C -> CH   IMA ADC rule, range [0, R1] (the ADC's clip at 0 is the ReLU)
    depth-wise 3x3, pad 1 "shift" rule (DW accelerator, cores):  clip(relu(acc) >> S2)
                          "adc" rule (IMA, cjob mappings):        IMA ADC, range [0, R2]
    project 1x1 CH -> C   IMA ADC rule, range [-R3, R3]
    residual              sat8(x + y3)
"""
from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

# ---- dimensions (docs/bottleneck.md "Dimensions") ---------------------------------------
H = W = 16          # PULP-NN's benchmark layer size (pulp-nn layer_parameters); uses ~55 % of L1
C = 120             # block input = output channels: fixed by the paper's device counts
CH = 240            # expanded channels (t = 2): the projection's CH inputs fit 256 crossbar rows
N = H * W
SEED = 2201_01089   # the paper's arXiv number

MAPPINGS = ("cores", "ima-cjob8", "ima-cjob16", "hybrid", "ima-dw")
# paper Sec. V: speed-up and energy efficiency vs the 8-core software
PAPER_SPEEDUP = {"cores": 1.0, "ima-cjob8": 1.23, "ima-cjob16": 2.27, "hybrid": 4.6,
                 "ima-dw": 11.5}
PAPER_ENERGY_RATIO = {"cores": 1.0, "ima-cjob8": 1 / 1.23, "ima-cjob16": 1.0, "hybrid": 3.4,
                      "ima-dw": 9.2}
DW_RULE = {m: "adc" if m.startswith("ima-cjob") else "shift" for m in MAPPINGS}
IMA_ARRAYS = 3      # expand, project, depth-wise diagonal blocks: one crossbar each

# ---- the IMA's ideal ADC (GVSoC ima_v1, docs/ima.md) -----------------------------------------
DAC_FULL, W_FULL, ADC_FULL = 127, 7, 127
SCALE = DAC_FULL * W_FULL          # 889: v = acc / 889
WMAX = 7                           # 4-bit crossbar codes in [-7, 7]
CLIP_SIGMAS = 3                    # calibration: clip each layer at 3 std of its sums

M32 = 0xFFFFFFFF


def adc(acc, low: int, high: int) -> np.ndarray:
    """IMA output codes for column sums acc = sum in*w: v = acc/889 clipped to [-low, high],
    scaled by 127/(low + high), rounded half away from zero, saturated to [-127, 127];
    exactly, on integers (the rule of plugins/ima_kernels.py)."""
    a = np.clip(np.asarray(acc, np.int64), -SCALE * low, SCALE * high)
    num = ADC_FULL * a
    den = SCALE * (low + high)
    q = np.minimum((2 * np.abs(num) + den) // (2 * den), ADC_FULL)
    return np.where(num < 0, -q, q).astype(np.int8)


def dw_shift(acc, shift: int) -> np.ndarray:
    """The DW accelerator's output rule (docs/dw.md): clip(relu(acc) >> shift, -128, 127)."""
    return np.clip(np.maximum(np.asarray(acc, np.int64), 0) >> shift, -128, 127).astype(np.int8)


# ---- crossbar device counts (docs/bottleneck.md: the 4 %, +25 %, +54 %) -------------------
def device_counts(c_in: int = C, c_out: int = C, ch: int = CH) -> dict:
    """Weights of the block and the crossbar cells the diagonal mapping of the depth-wise
    layer adds: a job of k channels is a 9k-row x k-column block whose only non-zero cell
    in row (tap, j) is in column j, so each channel costs 9k cells for its 9 weights."""
    pw, dw = ch * (c_in + c_out), 9 * ch
    out = {"pointwise_weights": pw, "dw_weights": dw, "dw_fraction": dw / (pw + dw)}
    for k in (8, 16):
        out[f"cjob{k}_extra_devices"] = (9 * k - 9) * ch / (pw + dw)
    return out


# ---- deterministic synthetic data -------------------------------------------------------
def _fmix32(x):
    """MurmurHash3's 32-bit finaliser (uint64 arrays holding 32-bit values)."""
    x = np.asarray(x, np.uint64) & M32
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & M32
    x ^= x >> 13
    x = (x * 0xC2B2AE35) & M32
    return x ^ (x >> 16)


def uniform_int(seed: int, stream: int, shape, lo: int, hi: int) -> np.ndarray:
    """Integers in [lo, hi], a pure function of (seed, stream, index): no RNG library whose
    stream could change between numpy versions."""
    key = _fmix32(np.uint64((seed * 0x9E3779B1 + stream) & M32))
    h = _fmix32(np.arange(int(np.prod(shape)), dtype=np.uint64) + key)
    return (lo + ((h * np.uint64(hi - lo + 1)) >> np.uint64(32)).astype(np.int64)).reshape(shape)


def clip_range(acc) -> int:
    """ADC range (in units of v = acc/889) whose clip level is CLIP_SIGMAS std of acc."""
    return max(1, round(CLIP_SIGMAS * float(np.std(acc)) / SCALE))


def dw_acc(y1, w2) -> np.ndarray:
    """Depth-wise 3x3 sums, zero padding 1, stride 1: y1 [H, W, CH], w2 [3, 3, CH]."""
    p = np.pad(np.asarray(y1, np.int64), ((1, 1), (1, 1), (0, 0)))
    h, w = y1.shape[:2]
    return sum(p[ky:ky + h, kx:kx + w] * w2[ky, kx] for ky in range(3) for kx in range(3))


@dataclass(frozen=True)
class Block:
    """Inputs, weights and per-layer quantization of the block."""
    x: np.ndarray       # int8 [H, W, C]
    w1: np.ndarray      # expand codes [CH, C] (output channel, input channel)
    w2: np.ndarray      # depth-wise codes [3, 3, CH] (the DW accelerator's layout)
    w3: np.ndarray      # project codes [C, CH]
    r1: int             # expand ADC range [0, r1]
    s2: int             # depth-wise shift ("shift" rule)
    r2: int             # depth-wise ADC range [0, r2] ("adc" rule: the IMA cjob mappings)
    r3: int             # project ADC range [-r3, r3]


@functools.cache
def make_block(seed: int = SEED) -> Block:
    """The synthetic block: uniform int8 input, uniform 4-bit weights (the crossbar's
    codes, so every engine holds the same weights), ranges calibrated on the data."""
    x = uniform_int(seed, 1, (H, W, C), -128, 127)
    w1 = uniform_int(seed, 2, (CH, C), -WMAX, WMAX)
    w2 = uniform_int(seed, 3, (3, 3, CH), -WMAX, WMAX)
    w3 = uniform_int(seed, 4, (C, CH), -WMAX, WMAX)
    acc1 = x @ w1.T
    r1 = clip_range(acc1)
    acc2 = dw_acc(adc(acc1, 0, r1), w2)
    # the same clip level for both depth-wise rules: 127 << s2, or 889 r2
    s2 = max(0, round(float(np.log2(CLIP_SIGMAS * np.std(acc2) / 127))))
    r2 = clip_range(acc2)
    acc3 = dw_shift(acc2, s2).astype(np.int64) @ w3.T
    return Block(x.astype(np.int8), w1, w2, w3, r1, s2, r2, clip_range(acc3))


def golden(block: Block, dw_rule: str) -> dict:
    """Every layer's output (int8, HWC) of the block; dw_rule 'shift' or 'adc'."""
    b = block
    x = b.x.astype(np.int64)
    y1 = adc(x @ b.w1.T, 0, b.r1)
    acc2 = dw_acc(y1, b.w2)
    y2 = dw_shift(acc2, b.s2) if dw_rule == "shift" else adc(acc2, 0, b.r2)
    y3 = adc(y2.astype(np.int64) @ b.w3.T, b.r3, b.r3)
    out = np.clip(x + y3, -128, 127).astype(np.int8)
    return {"expand": y1, "dw": y2, "project": y3, "out": out}


def checksum(t) -> int:
    """Position-weighted sum over the HWC order: sum (uint8)v * (index + 1) mod 2^32
    (what the firmware computes)."""
    v = np.asarray(t).astype(np.uint8).ravel().astype(np.uint64)
    return int((v * np.arange(1, v.size + 1, dtype=np.uint64)).sum() & np.uint64(M32))


# ---- the cores' version of the ADC rule ----------------------------------------------------
def _magic(d: int, xmax: int) -> tuple[int, int]:
    """(m, s) with (x * m) >> s == x // d for every 0 <= x <= xmax and x * m < 2^31:
    division by a constant as one 32-bit multiply and a shift."""
    x = np.arange(xmax + 1, dtype=np.int64)
    for s in range(31, 0, -1):
        m = -(-(1 << s) // d)
        if xmax * m < 1 << 31 and np.array_equal((x * m) >> s, x // d):
            return m, s
    raise ValueError(f"no 32-bit multiplier divides by {d} up to {xmax}")


def core_requant(r_low: int, r_high: int) -> dict:
    """Constants for the cores to compute adc(acc, r_low, r_high) with a clip, a multiply,
    an add and a shift (docs/bottleneck.md "The ADC rule on the cores"). Two cases:
      [0, R]:  a = clip(acc, 0, 889R);  q = (a*mul + add) >> shift
               (q = floor((2a + 7R) / 14R): round half up of a / 7R)
      [-R, R]: a = clip(acc, -889R-1, 889R) - (acc < 0);  q = (a*mul + add) >> shift
               (round half away from zero of a / 14R = floor((a + 7R - [a<0]) / 14R),
               made non-negative by + 64*14R before the division, - 64 after)"""
    if r_low == 0:
        r = r_high
        m, s = _magic(14 * r, 2 * SCALE * r + 7 * r)
        return {"hi": SCALE * r, "mul": 2 * m, "add": 7 * r * m, "shift": s}
    if r_low != r_high:
        raise ValueError("the cores implement the [0, R] and [-R, R] ranges")
    r = r_low
    m, s = _magic(14 * r, SCALE * r + 903 * r)
    return {"hi": SCALE * r, "mul": m, "add": 903 * r * m - (64 << s), "shift": s}


def core_adc(acc, r_low: int, r_high: int) -> np.ndarray:
    """What the firmware's requantization computes (int32 arithmetic, checked to never
    overflow): must equal adc(acc, r_low, r_high) for every reachable acc."""
    k = core_requant(r_low, r_high)
    acc = np.asarray(acc, np.int64)
    if r_low == 0:
        a = np.clip(acc, 0, k["hi"])
    else:
        a = np.clip(acc, -k["hi"] - 1, k["hi"])
        a = a - (a < 0)
    t = a * k["mul"] + k["add"]
    assert t.min() >= -(1 << 31) and t.max() < 1 << 31, "int32 overflow"
    return (t >> k["shift"]).astype(np.int8)


# ---- the firmware's data header -------------------------------------------------------------
def _c_array(decl: str, values, per_line: int = 24, fmt=str) -> str:
    v = [fmt(int(x)) for x in np.asarray(values).ravel()]
    lines = [", ".join(v[i:i + per_line]) for i in range(0, len(v), per_line)]
    return f"{decl} = {{\n    " + ",\n    ".join(lines) + "\n};\n"


def _xbar_words(codes) -> np.ndarray:
    """Crossbar rows packed for SUBMIT_PLOT / .ima_weights: nibble i = column x + i."""
    codes = np.asarray(codes, np.int64)
    rows, cols = codes.shape
    padded = np.zeros((rows, -(-cols // 8) * 8), np.int64)
    padded[:, :cols] = codes & 0xF
    nib = padded.reshape(rows, -1, 8) << (4 * np.arange(8))
    return nib.sum(axis=2)


def diagonal_blocks(w2, k: int) -> np.ndarray:
    """The depth-wise layer on the crossbar (9k rows x CH columns): channel group g (k
    channels) in columns g*k..g*k+k-1; row (ky*3 + kx)*k + j holds w2[ky][kx][g*k + j] in
    column g*k + j and zeros elsewhere, matching the job's input order (3 lines of 3 pixels
    of k channels, from the channel-blocked tensor)."""
    ch = w2.shape[2]
    out = np.zeros((9 * k, ch), np.int64)
    for g in range(ch // k):
        for tap in range(9):
            for j in range(k):
                out[tap * k + j, g * k + j] = w2[tap // 3, tap % 3, g * k + j]
    return out


def _record(name: str, array: int, codes) -> str:
    codes = np.asarray(codes)
    rows, cols = codes.shape
    words = _xbar_words(codes)
    body = ", ".join(f"0x{int(w):08x}u" for w in words.ravel())
    return (f"IMA_IMAGE_SECTION const IMA_IMAGE_T({cols}, {rows}) {name} = {{\n"
            f"    IMA_IMAGE_MAGIC, {array}, 0, 0, {cols}, {rows},\n    {{{body}}}\n}};\n")


def header_text(seed: int = SEED) -> str:
    b = make_block(seed)
    g = {rule: golden(b, rule) for rule in ("shift", "adc")}
    exp, prj = core_requant(0, b.r1), core_requant(b.r3, b.r3)
    # every sum the layers can produce, not only the ones this data does
    assert np.array_equal(core_adc(np.arange(-128 * WMAX * C, 128 * WMAX * C + 1), 0, b.r1),
                          adc(np.arange(-128 * WMAX * C, 128 * WMAX * C + 1), 0, b.r1))
    span = np.arange(-127 * WMAX * CH, 127 * WMAX * CH + 1)
    assert np.array_equal(core_adc(span, b.r3, b.r3), adc(span, b.r3, b.r3))
    # cores' depth-wise weights: per channel three words {w[ky][0], w[ky][1], w[ky][2], 0}
    rows = np.zeros((CH, 3, 4), np.int64)
    rows[:, :, :3] = np.transpose(b.w2, (2, 0, 1))
    rows = (rows & 0xFF) << (8 * np.arange(4))
    parts = [
        "/* Generated by experiments/paper/bottleneck.py (header_text): do not edit. */\n",
        "#ifndef BN_DATA_H\n#define BN_DATA_H\n#include <stdint.h>\n#include <pulp.h>\n"
        "#include <ima.h>\n\n",
        f"#define BN_H {H}\n#define BN_W {W}\n#define BN_C {C}\n#define BN_CH {CH}\n",
        f"#define BN_SEED {seed}u\n",
        f"#define BN_R1 {b.r1}   /* expand ADC range [0, R1] */\n",
        f"#define BN_S2 {b.s2}   /* depth-wise shift (DW accelerator, cores) */\n",
        f"#define BN_R2 {b.r2}   /* depth-wise ADC range [0, R2] (IMA, cjob mappings) */\n",
        f"#define BN_R3 {b.r3}   /* project ADC range [-R3, R3] */\n",
    ]
    for p, k in (("EXP", exp), ("PRJ", prj)):
        parts += [f"#define BN_{p}_{n.upper()} ({v})\n" for n, v in k.items()]
    for rule in ("shift", "adc"):
        for layer, t in g[rule].items():
            parts.append(f"#define BN_CK_{rule.upper()}_{layer.upper()} 0x{checksum(t):08x}u\n")
    parts.append("\n/* all in L1 (paper Sec. V: the block fits 512 kB without tiling) */\n")
    a4 = "__attribute__((aligned(4)))"
    parts.append(_c_array(f"L1_DATA static const int8_t bn_x[{N * C}] {a4}", b.x))
    parts.append(_c_array(f"L1_DATA static const int8_t bn_w2[{9 * CH}] {a4}", b.w2))
    parts.append("#if BN_PW_ON_CORES\n")
    parts.append(_c_array(f"L1_DATA static const int8_t bn_w1[{CH * C}] {a4}", b.w1))
    parts.append(_c_array(f"L1_DATA static const int8_t bn_w3[{C * CH}] {a4}", b.w3))
    parts.append("#endif\n#if BN_DW_ON_CORES\n")
    parts.append(_c_array(f"L1_DATA static const uint32_t bn_w2_rows[{CH * 3}]",
                          rows.sum(axis=2), 8, lambda v: f"0x{v:08x}u"))
    parts.append("#endif\n\n/* the expected block output (L2) */\n")
    parts.append(_c_array(f"static const int8_t bn_expected_shift[{N * C}]", g["shift"]["out"]))
    parts.append(_c_array(f"static const int8_t bn_expected_adc[{N * C}]", g["adc"]["out"]))
    parts.append("\n/* crossbar contents, programmed by the loader (PCM is non-volatile) */\n"
                 "#if BN_PW_ON_IMA\n")
    parts.append(_record("bn_xbar_expand", 0, b.w1.T))
    parts.append(_record("bn_xbar_project", 1, b.w3.T))
    parts.append("#endif\n")
    for k in (8, 16):
        parts.append(f"#if BN_CJOB == {k}\n{_record(f'bn_xbar_dw{k}', 2, diagonal_blocks(b.w2, k))}"
                     "#endif\n")
    parts.append("#endif\n")
    return "".join(parts)


def write_header(out_dir: Path, seed: int = SEED) -> Path:
    """bn_data.h in out_dir, rewritten only when its text changes (keeps builds cached)."""
    path = Path(out_dir) / "bn_data.h"
    text = header_text(seed)
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return path


# ---- build and run --------------------------------------------------------------------------
def default_out_dir() -> Path:
    from iss import toolchain
    return toolchain.firmware_dir() / "build" / "bottleneck"


def build(mapping: str, out_dir: Path | None = None) -> Path:
    """firmware/bottleneck/bottleneck.c for one mapping -> out_dir/bottleneck_<mapping>.elf
    (CORE-V build only: the kernels are XpulpV2 assembly)."""
    from iss import toolchain
    if mapping not in MAPPINGS:
        raise ValueError(f"unknown mapping {mapping!r} (known: {', '.join(MAPPINGS)})")
    out_dir = Path(out_dir or default_out_dir())
    hdr = write_header(out_dir)
    src_dir = toolchain.firmware_dir() / "bottleneck"
    macro = "BN_" + mapping.upper().replace("-", "_")
    return toolchain.build_cached(
        [src_dir / "bottleneck.c"], out_dir / f"bottleneck_{mapping}.elf", isa="corev",
        extra_args=["-I", str(out_dir), f"-DBN_MAPPING={macro}"],
        extra_deps=[hdr, *sorted(src_dir.glob("*"))])


def platform(arrays: int = IMA_ARRAYS):
    """The default platform with an `arrays`-crossbar IMA (docs/bottleneck.md)."""
    from iss import load_platform
    base = load_platform()
    periph = tuple(replace(p, params={**p.params, "arrays": arrays}) if p.plugin == "ima" else p
                   for p in base.peripherals)
    return replace(base, peripherals=periph, name=f"{base.name}+{arrays}xbar")


def write_platform(out_dir: Path | None = None, arrays: int = IMA_ARRAYS) -> Path:
    """That platform as a TOML file, for `iss run --platform`."""
    from importlib import resources
    text = resources.files("iss.platforms").joinpath("pulp_imc_cluster.toml").read_text()
    text, n = re.subn(r"(?m)^arrays\s*=\s*\d+", f"arrays = {arrays}", text)
    assert n == 1, "the default platform's IMA has no 'arrays' line"
    path = Path(out_dir or default_out_dir()) / "platform.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@dataclass
class Result:
    mapping: str
    layers: dict                       # layer -> cycles, in execution order
    total: int                         # cycles of the whole block (timer)
    checks: dict                       # layer -> (firmware checksum, golden checksum)
    errors: int                        # output bytes the firmware found wrong
    exit_code: int | None
    output: str
    stats: dict = field(default_factory=dict)
    mismatches: dict = field(default_factory=dict)   # layer -> wrong bytes (read from L1)
    energy: dict = field(default_factory=dict)       # the block's energy (uJ) per component

    @property
    def ok(self) -> bool:
        return (self.exit_code == 0 and self.errors == 0
                and all(a == b for a, b in self.checks.values())
                and not any(self.mismatches.values()))


def parse(mapping: str, text: str, exit_code=None, stats=None) -> Result:
    layers = {m[1]: int(m[2]) for m in re.finditer(r"^bn layer=(\S+) cycles=(\d+)$", text, re.M)}
    total = re.search(r"^bn total cycles=(\d+)$", text, re.M)
    errors = re.search(r"^bn errors=(\d+)$", text, re.M)
    gold = golden(make_block(), DW_RULE[mapping])
    checks = {m[1]: (int(m[2], 16), checksum(gold[m[1]]))
              for m in re.finditer(r"^bn check=(\S+) checksum=([0-9a-f]{8})", text, re.M)}
    return Result(mapping, layers, int(total[1]) if total else 0, checks,
                  int(errors[1]) if errors else -1, exit_code, text, stats or {})


def _tensor(sim, name: str, shape) -> np.ndarray:
    data = sim.memory.read(sim.image.symbols[name], int(np.prod(shape)))
    return np.frombuffer(bytes(data), np.int8).reshape(shape)


def read_layers(sim, mapping: str) -> dict:
    """Every layer's output as the firmware left it in L1, in HWC."""
    if "bn_y1" in sim.image.symbols:
        y1 = _tensor(sim, "bn_y1", (H, W, CH))
    else:       # the cores' expand writes zero-padded CHW planes
        y1 = _tensor(sim, "bn_y1p", (CH, H + 2, W + 2))[:, 1:-1, 1:-1].transpose(1, 2, 0)
    return {"expand": y1, "dw": _tensor(sim, "bn_y2", (H, W, CH)),
            "project": _tensor(sim, "bn_y3", (H, W, C)), "out": _tensor(sim, "bn_out", (H, W, C))}


def _simulate(elf, timing, cores, stop=0, max_instructions=200_000_000):
    from iss import Simulator
    out = io.StringIO()
    sim = Simulator(elf, platform=platform(), output=out, timing=timing, cores=cores)
    sim.memory.write(sim.image.symbols["bn_stop"], stop.to_bytes(4, "little"))
    return sim, sim.run(max_instructions=max_instructions), out.getvalue()


def run(mapping: str, out_dir: Path | None = None, timing: str = "fast",
        cores: int | None = None, energy: bool = False) -> Result:
    """Build and run one mapping; check every layer against the golden model; with
    `energy`, two more runs (ended before and right after the block) give its energy."""
    elf = build(mapping, out_dir)
    sim, res, text = _simulate(elf, timing, cores)
    r = parse(mapping, text, res.exit_code, res.stats)
    gold = golden(make_block(), DW_RULE[mapping])
    if res.stop.reason == "exit":
        r.mismatches = {k: int((v != gold[k]).sum()) for k, v in read_layers(sim, mapping).items()}
    if energy:
        from iss.energy import energy as energy_of
        e = [energy_of(_simulate(elf, timing, cores, stop)[1].stats, sim.platform)
             for stop in (1, 2)]
        r.energy = {k: e[1]["components"][k] - e[0]["components"][k] for k in e[0]["components"]}
        r.energy["total"] = e[1]["total_uj"] - e[0]["total_uj"]
    return r
