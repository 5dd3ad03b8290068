"""The code `iss cc` generates computes right (issue 14, item 3).

The clang of the ``ziglang`` wheel lowers ``llvm.ctlz`` to a bare ``cv.fl1`` when XCVbitmanip
is enabled (llvm/llvm-project#197006, fixed upstream by PR #197288): ``__builtin_clz(0x10000)``
gave 16, ``printf("%f", 1.5)`` printed ``1.000000`` and 64-bit division looped forever in
compiler-rt's ``__udivmoddi4``.  Here a C program generated from a fixed seed is compiled with
the DEFAULT ``iss cc`` (through the command line, as a user would) and run with
``iss run --max-instructions`` (a hang becomes exit 4).  It prints, one line per check,

* 64-bit unsigned and signed division and modulo (compiler-rt ``__udivdi3`` ... ``__moddi3``),
* ``__builtin_clz/ctz/popcount/ffs/parity`` and their ``ll`` variants, ``31 - clz``, a
  zero-guarded clz and a bit-length loop (which LLVM turns into ``ctlz`` itself),
* soft-float arithmetic and conversions (compiler-rt ``__adddf3`` ... ``__fixunsdfdi``), as
  IEEE bit patterns, including subnormal results (normalised with clz),
* our libc's ``printf("%f")`` with several precisions, widths and flags,

and every line is compared with the value Python computes independently (integer arithmetic
with C's truncating division, Python floats for IEEE double, ``struct`` for single precision,
``%``-formatting for printf).  Values are printed as hex of 32-bit halves so printing needs no
64-bit division itself.
"""

from __future__ import annotations

import math
import random
import struct
import subprocess
import sys
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest

SEED = 197006
M64 = (1 << 64) - 1
M32 = (1 << 32) - 1
MAX_INSTRUCTIONS = 20_000_000      # the passing program needs ~2.2 M; a hang stops here (exit 4)

pytest.importorskip("ziglang")


# ---------------------------------------------------------------------------------- operands

def _rand_bits(rng: random.Random, lo: int = 1, hi: int = 64) -> int:
    """A random value of a random bit length in [lo, hi] (top bit set)."""
    n = rng.randint(lo, hi)
    return (1 << (n - 1)) | rng.getrandbits(n - 1) if n > 1 else 1


def div_cases(rng: random.Random) -> tuple[list, list]:
    u = [(0, 1), (1, 1), (M64, 1), (M64, M64), (M64, 1 << 32), (M64, M32), (1 << 63, 3),
         (1 << 32, (1 << 32) - 1), ((1 << 32) - 1, 1 << 32), (1 << 63, 1 << 63), (12345, 67890),
         (0x0123456789ABCDEF, 0x10), (0xFEDCBA9876543210, 0x100000001), (10 ** 19, 10 ** 9),
         (10 ** 18, 7), (M64 - 1, M64)]
    u += [(_rand_bits(rng, 33, 64), 1 << rng.randrange(64)) for _ in range(12)]
    u += [(_rand_bits(rng), _rand_bits(rng)) for _ in range(80)]
    u += [(_rand_bits(rng, 33, 64), _rand_bits(rng, 1, 32)) for _ in range(30)]
    u += [(_rand_bits(rng, 33, 64), _rand_bits(rng, 33, 64)) for _ in range(30)]
    i64min, i64max = -(1 << 63), (1 << 63) - 1
    s = [(i64min, 1), (i64min, 2), (i64min, i64max), (i64max, -1), (i64max, i64min), (-7, 2),
         (7, -2), (-7, -2), (0, -5), (-1, 1 << 40), (i64min + 1, -1), (-(10 ** 18), 3)]
    for _ in range(120):
        a = _rand_bits(rng, 1, 63) * rng.choice((1, -1))
        b = _rand_bits(rng, 1, 63) * rng.choice((1, -1))
        s.append((a, b))
    return u, s


def c_div(a: int, b: int) -> tuple[int, int]:
    """C99 truncating division and remainder."""
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    return q, a - b * q


def bit_values(rng: random.Random, width: int) -> list[int]:
    m = (1 << width) - 1
    vals = [1 << k for k in range(width)] + [(1 << k) - 1 for k in range(2, width + 1)]
    vals += [m ^ (1 << k) for k in range(0, width, 3)] + [1 << (width - 1) | 1, 0x10000, 0x8001]
    vals += [_rand_bits(rng, 1, width) for _ in range(60)]
    vals += [rng.getrandbits(width) | 1 << rng.randrange(width) for _ in range(20)]
    return [v & m for v in vals if v & m]          # non-zero: clz/ctz(0) are undefined


def clz(v: int, width: int) -> int:
    return width - v.bit_length()


def ctz(v: int) -> int:
    return (v & -v).bit_length() - 1


def f64(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def bits64(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f32r(x: float) -> float:
    """Round a double to single precision (round to nearest even; overflow gives inf)."""
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def bits32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def float_cases(rng: random.Random) -> list[tuple[float, float]]:
    """Finite operand pairs whose +, -, *, / stay finite (no NaN/inf bit-pattern questions)."""
    def rnd(lo=-200, hi=200):
        return rng.choice((1, -1)) * rng.uniform(1, 2) * 2.0 ** rng.randint(lo, hi)
    cases = [(1.5, 2.25), (1.0, 3.0), (0.1, 0.2), (-2.5, 0.5), (1e-310, 3.0), (5e-324, 5e-324),
             (1e-300, 1e-20), (2.0 ** -1022, 0.75), (123456789.0, 1e-9), (0.0, -7.25),
             (-0.0, 0.0), (2.0 ** 52 + 1, 2.0 ** -1), (3.0, 3.0), (1.0, -1.0)]
    cases += [(rnd(), rnd()) for _ in range(40)]
    cases += [(rnd(-30, 30), rnd(-30, 30)) for _ in range(20)]
    return cases


def _near_tie(x: float, prec: int) -> bool:
    frac = (abs(Fraction(x)) * 10 ** prec) % 1
    return abs(frac - Fraction(1, 2)) < Fraction(1, 10 ** 5)


def printf_cases(rng: random.Random) -> list[tuple[str, float]]:
    """(format, value) pairs for our libc's %f (precision <= 9, |x| < 1.8e19), away from
    decimal rounding ties so that correct rounding is the only right answer."""
    cases = [("%f", 1.5), ("%f", -1.5), ("%f", 0.0), ("%f", -0.0), ("%f", 3.25), ("%.2f", 2.675),
             ("%f", 1234567.125), ("%.0f", 2.75), ("%.3f", 0.0625), ("%f", 1e-7),
             ("%.9f", 0.1), ("%f", 123456789012.5), ("%f", 2.0 ** 62), ("%.1f", 0.25 + 2 ** -20),
             ("%8.3f", -3.0625), ("%-10.2f", 7.125), ("%+.4f", 9.5), ("%012.5f", -1.75),
             ("% .1f", 42.75), ("%#.0f", 5.0), ("%f", 1.0 / 3.0), ("%.9f", 2.0 / 3.0)]
    fmts = ["%f", "%.0f", "%.1f", "%.2f", "%.3f", "%.4f", "%.5f", "%.7f", "%.9f", "%14.6f",
            "%-14.3f", "%+.2f", "%010.3f"]
    while len(cases) < 110:
        x = rng.choice((1, -1)) * rng.getrandbits(rng.randint(1, 52)) / 2.0 ** rng.randint(0, 30)
        if rng.random() < 0.2:
            x = rng.choice((1, -1)) * rng.uniform(0, 10 ** rng.randint(0, 12))
        cases.append((rng.choice(fmts), x))
    return [(f, x) for f, x in cases
            if not _near_tie(x, int(f.split(".")[1][0]) if "." in f else 6)]


# ---------------------------------------------------------------------------------- program

def _u64s(vals) -> str:
    return ", ".join(f"0x{v & M64:016x}ull" for v in vals)


def _c_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@cache
def build_program(seed: int = SEED) -> tuple[str, list[str]]:
    """The C source and the exact lines it must print."""
    rng = random.Random(seed)
    divu, divs = div_cases(rng)
    b32 = bit_values(rng, 32)
    b64 = bit_values(rng, 64)
    guarded = [0] + b32[::4]
    flt = float_cases(rng)
    conv_u = [0, 1, M64, 1 << 63, (1 << 53) + 1, (1 << 54) + 3, (1 << 64) - (1 << 11)]
    conv_u += [_rand_bits(rng) for _ in range(30)]
    conv_s = [-(1 << 63), -(1 << 63) + 1, (1 << 63) - 1, (1 << 63) - 1024, -1, -((1 << 53) + 1)]
    conv_s += [_rand_bits(rng, 1, 63) * rng.choice((1, -1)) for _ in range(30)]
    pf = printf_cases(rng)

    exp: list[str] = []
    for i, (a, b) in enumerate(divu):
        exp.append(f"du {i} {a // b:016x} {a % b:016x}")
    for i, (a, b) in enumerate(divs):
        q, r = c_div(a, b)
        exp.append(f"ds {i} {q & M64:016x} {r & M64:016x}")
    for i, v in enumerate(b32):
        exp.append(f"b32 {i} {clz(v, 32)} {ctz(v)} {bin(v).count('1')} {31 - clz(v, 32)} "
                   f"{ctz(v) + 1} {bin(v).count('1') & 1} {v.bit_length()}")
    for i, v in enumerate(guarded):
        exp.append(f"g32 {i} {clz(v, 32) if v else 32} {bin(v).count('1')} {v.bit_length()}")
    for i, v in enumerate(b64):
        exp.append(f"b64 {i} {clz(v, 64)} {ctz(v)} {bin(v).count('1')} {63 - clz(v, 64)} "
                   f"{ctz(v) + 1} {v.bit_length()}")
    for i, (a, b) in enumerate(flt):
        res = [a + b, a - b, a * b, a / b if b else None]
        txt = " ".join(f"{bits64(r):016x}" if r is not None else "-" for r in res)
        fa, fb = f32r(a) if abs(a) < 3e38 else 0.0, f32r(b) if abs(b) < 3e38 else 0.0
        sres = [f32r(fa + fb), f32r(fa * fb), f32r(fa / fb) if fb else None]
        stxt = " ".join(f"{bits32(r):08x}" if r is not None else "-" for r in sres)
        exp.append(f"fp {i} {txt} {stxt} {bits32(fa):08x} {bits64(float(fa)):016x}")
    for i, v in enumerate(conv_u):
        d = float(v)
        back = int(d) if d < 2.0 ** 64 else None
        exp.append(f"cu {i} {bits64(d):016x} " + (f"{back:016x}" if back is not None else "-")
                   + f" {bits32(f32r(float(v & M32))):08x}")
    for i, v in enumerate(conv_s):
        d = float(v)
        back = f"{int(d) & M64:016x}" if d < 2.0 ** 63 else "-"     # (int64_t)2^63 is UB
        exp.append(f"cs {i} {bits64(d):016x} {back}")
    for i, (fmt, x) in enumerate(pf):
        exp.append(f"pf {i} [{fmt % x}]")
    exp.append("done")

    # single-precision operands are computed by the firmware from the double ones with the
    # same guard as above (|x| >= 3e38 -> 0) so the C and Python sides agree
    src = f"""\
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* volatile: keep the compiler from folding the checks at compile time */
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
volatile const uint64_t divu_a[] = {{{_u64s(a for a, _ in divu)}}};
volatile const uint64_t divu_b[] = {{{_u64s(b for _, b in divu)}}};
volatile const uint64_t divs_a[] = {{{_u64s(a for a, _ in divs)}}};
volatile const uint64_t divs_b[] = {{{_u64s(b for _, b in divs)}}};
volatile const uint32_t b32[] = {{{", ".join(f"0x{v:08x}u" for v in b32)}}};
volatile const uint32_t g32[] = {{{", ".join(f"0x{v:08x}u" for v in guarded)}}};
volatile const uint64_t b64[] = {{{_u64s(b64)}}};
volatile const uint64_t fa_bits[] = {{{_u64s(bits64(a) for a, _ in flt)}}};
volatile const uint64_t fb_bits[] = {{{_u64s(bits64(b) for _, b in flt)}}};
volatile const uint64_t conv_u[] = {{{_u64s(conv_u)}}};
volatile const uint64_t conv_s[] = {{{_u64s(conv_s)}}};
volatile const uint64_t pf_bits[] = {{{_u64s(bits64(x) for _, x in pf)}}};
const char *const pf_fmt[] = {{{", ".join(_c_str(f) for f, _ in pf)}}};

static void h64(uint64_t v) {{ printf(" %08x%08x", (unsigned)(v >> 32), (unsigned)v); }}
static void h32(uint32_t v) {{ printf(" %08x", (unsigned)v); }}
static double d_of(uint64_t b) {{ double d; memcpy(&d, &b, 8); return d; }}
static uint64_t b_of(double d) {{ uint64_t b; memcpy(&b, &d, 8); return b; }}
static uint32_t bf_of(float f) {{ uint32_t b; memcpy(&b, &f, 4); return b; }}
static float to_f32(double d) {{ return (d < 3e38 && d > -3e38) ? (float)d : 0.0f; }}
static int bitlen32(uint32_t x) {{ int n = 0; while (x) {{ x >>= 1; n++; }} return n; }}
static int bitlen64(uint64_t x) {{ int n = 0; while (x) {{ x >>= 1; n++; }} return n; }}

int main(void)
{{
    for (int i = 0; i < N(divu_a); i++) {{
        uint64_t a = divu_a[i], b = divu_b[i];
        printf("du %d", i); h64(a / b); h64(a % b); printf("\\n");
    }}
    for (int i = 0; i < N(divs_a); i++) {{
        int64_t a = (int64_t)divs_a[i], b = (int64_t)divs_b[i];
        printf("ds %d", i); h64((uint64_t)(a / b)); h64((uint64_t)(a % b)); printf("\\n");
    }}
    for (int i = 0; i < N(b32); i++) {{
        uint32_t v = b32[i];
        printf("b32 %d %d %d %d %d %d %d %d\\n", i, __builtin_clz(v), __builtin_ctz(v),
               __builtin_popcount(v), 31 - __builtin_clz(v), __builtin_ffs((int)v),
               __builtin_parity(v), bitlen32(v));
    }}
    for (int i = 0; i < N(g32); i++) {{
        uint32_t v = g32[i];
        printf("g32 %d %d %d %d\\n", i, v ? __builtin_clz(v) : 32, __builtin_popcount(v),
               bitlen32(v));
    }}
    for (int i = 0; i < N(b64); i++) {{
        uint64_t v = b64[i];
        printf("b64 %d %d %d %d %d %d %d\\n", i, __builtin_clzll(v), __builtin_ctzll(v),
               __builtin_popcountll(v), 63 - __builtin_clzll(v), __builtin_ffsll((long long)v),
               bitlen64(v));
    }}
    for (int i = 0; i < N(fa_bits); i++) {{
        double a = d_of(fa_bits[i]), b = d_of(fb_bits[i]);
        float fa = to_f32(a), fb = to_f32(b);
        printf("fp %d", i);
        h64(b_of(a + b)); h64(b_of(a - b)); h64(b_of(a * b));
        if (b != 0.0) h64(b_of(a / b)); else printf(" -");
        h32(bf_of(fa + fb)); h32(bf_of(fa * fb));
        if (fb != 0.0f) h32(bf_of(fa / fb)); else printf(" -");
        h32(bf_of(fa)); h64(b_of((double)fa));
        printf("\\n");
    }}
    for (int i = 0; i < N(conv_u); i++) {{
        uint64_t v = conv_u[i];
        double d = (double)v;
        printf("cu %d", i); h64(b_of(d));
        if (d < 18446744073709551616.0) h64((uint64_t)d); else printf(" -");
        h32(bf_of((float)(uint32_t)v));
        printf("\\n");
    }}
    for (int i = 0; i < N(conv_s); i++) {{
        int64_t v = (int64_t)conv_s[i];
        double d = (double)v;
        printf("cs %d", i); h64(b_of(d));
        if (d < 9223372036854775808.0) h64((uint64_t)(int64_t)d); else printf(" -");
        printf("\\n");
    }}
    for (int i = 0; i < N(pf_bits); i++) {{
        printf("pf %d [", i); printf(pf_fmt[i], d_of(pf_bits[i])); printf("]\\n");
    }}
    printf("done\\n");
    return 0;
}}
"""
    return src, exp


# ---------------------------------------------------------------------------------- running

def _iss(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iss.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


def compile_program(out_dir: Path, cc_args: tuple[str, ...] = ()) -> Path:
    src, _ = build_program()
    c = out_dir / "correctness.c"
    c.write_text(src)
    elf = out_dir / "correctness.elf"
    r = _iss("cc", *cc_args, "-o", str(elf), str(c))
    assert r.returncode == 0, r.stderr
    return elf


def run_program(elf: Path) -> tuple[int, list[str], str]:
    run = _iss("run", str(elf), "--max-instructions", str(MAX_INSTRUCTIONS))
    return run.returncode, run.stdout.splitlines(), run.stderr


def compile_and_run(tmp_path: Path, cc_args: tuple[str, ...] = ()) -> tuple[int, list[str], str]:
    return run_program(compile_program(tmp_path, cc_args))


@pytest.fixture(scope="module")
def default_elf(tmp_path_factory) -> Path:
    """The program built by the default `iss cc` (no --isa)."""
    return compile_program(tmp_path_factory.mktemp("default"))


def _mismatches(got: list[str], expected: list[str]) -> list[str]:
    bad = [f"expected {e!r}\n     got {g!r}" for g, e in zip(got, expected, strict=False) if g != e]
    if len(got) != len(expected):
        bad.append(f"{len(got)} lines printed, {len(expected)} expected "
                   f"(last printed: {got[-1] if got else None!r})")
    return bad


def test_expected_values_are_sane():
    """The Python side of the checks, on the values quoted in the issue."""
    _, exp = build_program()
    assert clz(0x10000, 32) == 15 and ctz(0x10000) == 16
    assert "%f" % 1.5 == "1.500000"  # noqa: UP031  the % operator is the model of C printf here
    assert c_div(-7, 2) == (-3, -1) and c_div(7, -2) == (-3, 1)
    assert exp[-1] == "done" and len(exp) > 900
    assert any(line.startswith("pf ") and line.endswith("[1.500000]") for line in exp)


def test_default_cc_computes_right(default_elf):
    """The default `iss cc` (no --isa): every check right, no hang (exit 4), exit status 0."""
    rc, got, err = run_program(default_elf)
    _, expected = build_program()
    bad = _mismatches(got, expected)
    assert not bad, f"{len(bad)} wrong lines (exit {rc}), first ones:\n" + "\n".join(bad[:12])
    assert rc == 0, err


def test_rv32imc_cc_computes_right(tmp_path):
    rc, got, err = compile_and_run(tmp_path, ("--isa", "rv32imc"))
    _, expected = build_program()
    bad = _mismatches(got, expected)
    assert not bad, f"{len(bad)} wrong lines (exit {rc}), first ones:\n" + "\n".join(bad[:12])
    assert rc == 0, err


def test_full_corev_opt_in_still_miscompiles(tmp_path):
    """--isa corev-bitmanip is the old default -mcpu: the same checks catch the bug there (the
    first 64-bit division hangs in __udivmoddi4 until --max-instructions: exit 4).  When the
    ziglang wheel ships a clang with the fix (PR #197288) this test fails to say so."""
    rc, got, err = compile_and_run(tmp_path, ("--isa", "corev-bitmanip"))
    _, expected = build_program()
    if rc == 0 and not _mismatches(got, expected):
        pytest.fail("this clang no longer miscompiles ctlz with +xcvbitmanip "
                    "(llvm/llvm-project#197006 fixed): put xcvbitmanip back into "
                    "ISA_MCPU['corev'] (iss/toolchain.py) and update README/this test")
    assert rc == 4 and "instruction limit" in err, (rc, err)      # the hang, not a crash
    assert got[0] == expected[0] and len(got) < len(expected)


BITMANIP = ("cv.ff1", "cv.fl1", "cv.clb", "cv.cnt", "cv.ror", "cv.bitrev", "cv.extract ",
            "cv.extractu ", "cv.insert ", "cv.bset", "cv.bclr", "cv.extractr", "cv.extractur",
            "cv.insertr")


def test_default_build_has_no_compiler_generated_bitmanip(default_elf):
    """Neither the C code nor zig's compiler_rt (built for the same -mcpu) use XCVbitmanip in
    the default build, while the other CORE-V extensions are still generated."""
    dis = _iss("disasm", str(default_elf))
    assert dis.returncode == 0, dis.stderr
    assert "__udivmoddi4" in dis.stdout and "__divdf3" in dis.stdout
    used = [m for m in BITMANIP if m in dis.stdout]
    assert not used, used
    assert "cv.beqimm" in dis.stdout or "cv.bneimm" in dis.stdout     # XCVbi still on


# ------------------------------------------------------------- hand-written bitmanip assembly

BITMANIP_S = """\
    .text
    .globl asm_bitmanip
# asm_bitmanip(x, out): out[0..4] = cv.ff1, cv.fl1, cv.clb, cv.cnt, cv.ror(x, 7)
asm_bitmanip:
    cv.ff1 t0, a0
    sw t0, 0(a1)
    cv.fl1 t0, a0
    sw t0, 4(a1)
    cv.clb t0, a0
    sw t0, 8(a1)
    cv.cnt t0, a0
    sw t0, 12(a1)
    li t1, 7
    cv.ror t0, a0, t1
    sw t0, 16(a1)
    cv.bitrev t0, a0, 0, 0
    sw t0, 20(a1)
    ret
"""

BITMANIP_C = """\
#include <stdio.h>
#include <stdint.h>
#include <xpulp.h>
void asm_bitmanip(uint32_t x, uint32_t *out);
volatile const uint32_t vals[] = {VALS};
int main(void)
{
    for (int i = 0; i < (int)(sizeof(vals) / sizeof(vals[0])); i++) {
        uint32_t x = vals[i], o[6];
        asm_bitmanip(x, o);
        printf("%u %u %u %u %08x %08x | %u %u %u %u %08x\\n", (unsigned)o[0], (unsigned)o[1],
               (unsigned)o[2], (unsigned)o[3], (unsigned)o[4], (unsigned)o[5],
               (unsigned)xp_ff1(x), (unsigned)xp_fl1(x), (unsigned)xp_clb(x),
               (unsigned)xp_cnt(x), (unsigned)xp_ror(x, 7));
    }
    return 0;
}
"""


def _ref_bitmanip(x: int) -> str:
    """CV32E40P semantics, written out independently of iss/isa/semantics.py."""
    ff1 = ctz(x) if x else 32
    fl1 = x.bit_length() - 1 if x else 32
    if x == 0:
        clb = 0
    else:
        s = x ^ M32 if x >> 31 else x          # leading sign copies -> leading zeros
        clb = clz(s, 32) - 1 if s else 31
    cnt = bin(x).count("1")
    ror = (x >> 7 | x << 25) & M32
    rev = int(f"{x:032b}"[::-1], 2)
    return f"{ff1} {fl1} {clb} {cnt} {ror:08x} {rev:08x} | {ff1} {fl1} {clb} {cnt} {ror:08x}"


def test_bitmanip_assembly_and_inline_asm_still_work(tmp_path):
    """A .S file with cv.* bit-manipulation instructions and xpulp.h's XP_BITMANIP_ASM
    wrappers build with the default `iss cc` and compute the CV32E40P results."""
    rng = random.Random(SEED)
    vals = [0, 1, 0x80000000, M32, 0x10000, 0x7FFFFFFF, 0xFFFF0000, 0x00F0F000]
    vals += [rng.getrandbits(32) for _ in range(12)]
    (tmp_path / "bm.S").write_text(BITMANIP_S)
    (tmp_path / "main.c").write_text(
        BITMANIP_C.replace("VALS", ", ".join(f"0x{v:08x}u" for v in vals)))
    elf = tmp_path / "bm.elf"
    r = _iss("cc", "-o", str(elf), str(tmp_path / "main.c"), str(tmp_path / "bm.S"))
    assert r.returncode == 0, r.stderr
    run = _iss("run", str(elf), "--max-instructions", "2000000")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [_ref_bitmanip(v) for v in vals]


def test_raw_assembly_and_plain_inline_asm(tmp_path):
    """.s files are not preprocessed: assembled alone (-c) they get every extension; linked,
    they need `.option arch, +xcvbitmanip`, and a failure says so (as for plain inline asm)."""
    s = tmp_path / "bm.s"
    s.write_text(BITMANIP_S)
    r = _iss("cc", "-c", "-o", str(tmp_path / "bm.o"), str(s))
    assert r.returncode == 0, r.stderr
    main = tmp_path / "main.c"
    main.write_text("void asm_bitmanip(unsigned, unsigned *);\n"
                    "int main(void) { unsigned o[6]; asm_bitmanip(5, o); return o[3]; }\n")
    r = _iss("cc", "-o", str(tmp_path / "x.elf"), str(main), str(s))
    assert r.returncode == 1 and "XCVbitmanip" in r.stderr
    assert ".option arch, +xcvbitmanip" in r.stderr and "XP_BITMANIP_ASM" in r.stderr
    s.write_text("    .option arch, +xcvbitmanip\n" + BITMANIP_S)
    r = _iss("cc", "-o", str(tmp_path / "x.elf"), str(main), str(s))
    assert r.returncode == 0, r.stderr
    assert _iss("run", str(tmp_path / "x.elf")).returncode == 2       # popcount(5)
    main.write_text("int main(void) { unsigned r; __asm__(\"cv.cnt %0, %1\" : \"=r\"(r) : "
                    "\"r\"(5u)); return r; }\n")
    r = _iss("cc", "-o", str(tmp_path / "y.elf"), str(main))
    assert r.returncode == 1 and "XP_BITMANIP_ASM" in r.stderr


# ------------------------------------------------------------------------------ build cache

def test_cached_builds_follow_the_compiler_flags(tmp_path, monkeypatch):
    """tests/.fwcache and build_firmware.py reuse an ELF only if it was built with the same
    compiler command: a change of -mcpu (like this fix) rebuilds it."""
    from iss import toolchain
    elf = toolchain.build_app("hello", tmp_path)
    stamp = elf.with_name(elf.name + ".cmd").read_text()
    assert f"-mcpu={toolchain.ISA_MCPU['corev']}" in stamp and "ziglang=" in stamp
    mtime = elf.stat().st_mtime_ns
    assert toolchain.build_app("hello", tmp_path).stat().st_mtime_ns == mtime
    monkeypatch.setitem(toolchain.ISA_MCPU, "corev", toolchain.ISA_MCPU["corev"] + "+xcvbitmanip")
    toolchain.build_app("hello", tmp_path)
    assert elf.stat().st_mtime_ns != mtime
    assert "+xcvbitmanip" in elf.with_name(elf.name + ".cmd").read_text()
