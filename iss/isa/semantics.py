"""The ONE semantic core of the custom (XpulpV2 / CORE-V v2) ALU instructions.

Every operation is a small ``@njit`` function below.  ``OPS`` is the table
(name, implementation, argument expression) and ``alu_execute`` is GENERATED
from it as a binary if-tree (no hand-written switch).  Both flavours decode
to the same op ids, so semantics exist exactly once.

Conventions: all values are handled as int64 holding uint32 bit patterns;
every function masks its result to 32 bits.  ``a`` = rs1 value, ``b`` = rs2
value, ``d`` = old rD value (passed only to the ops whose result depends on it: the
timing model reads it as the third operand, ``reads_rd``), ``imm``/``imm2`` = decoded immediates
(bit-manip: imm = Is2, imm2 = Is3; N/RN ops: imm2 = Is3; SIMD .sci: imm =
already sign/zero-extended 6-bit value; extract/insert: imm = element index;
shufflei: imm = selector, imm2 = k; add/sub.divN and complex: imm2 = N shift).

Op id layout: ``base | W8 | mode<<10`` where base indexes OPS, W8 (0x200)
selects 8-bit lanes (else 16-bit) and mode is MODE_VV / MODE_SC (rs2 element 0
replicated) / MODE_SCI (imm replicated).  ``op_id()`` builds ids.
"""
import hashlib
import re

import numpy as np  # noqa: F401 - used by the functions this module generates with exec
from numba import njit

M32 = 0xFFFFFFFF
W8 = 0x200
MODE_VV, MODE_SC, MODE_SCI = 0, 1, 2
MODE_SHIFT = 10
BASE_MASK = 0x1FF


# ---------------------------------------------------------------- helpers
@njit(cache=True, inline='always')
def _s32(x):
    # sign extension without a branch: SIMD lanes hold random data, and a mispredicted
    # branch per lane costs more than the whole operation
    return ((x & M32) ^ 0x80000000) - 0x80000000


@njit(cache=True, inline='always')
def _sext(x, n):
    half = 1 << (n - 1)
    return ((x & ((1 << n) - 1)) ^ half) - half


@njit(cache=True, inline='always')
def _lane(x, i, w, sgn):
    v = (x >> (i * w)) & ((1 << w) - 1)
    if sgn:
        half = 1 << (w - 1)
        v = (v ^ half) - half
    return v


@njit(cache=True, inline='always')
def _repl(v, w):
    v = v & ((1 << w) - 1)
    if w == 16:
        return v | (v << 16)
    return v * 0x01010101


@njit(cache=True, inline='always')
def _mul32lo(a, b):
    # low 32 bits of a*b without int64 overflow
    return (a * (b & 0xFFFF) + (((a * (b >> 16)) & 0xFFFF) << 16)) & M32


@njit(cache=True, inline='always')
def _shr(v, sh, sgn):
    """32-bit shift right of bit pattern v, arithmetic if sgn."""
    if sgn:
        return (_s32(v) >> sh) & M32
    return (v & M32) >> sh


@njit(cache=True, inline='always')
def _clamp(x, lo, hi):
    if x > hi:
        return hi & M32
    if x < lo:
        return lo & M32
    return x & M32


# ---------------------------------------------------------------- scalar ALU
@njit(cache=True, inline='always')
def s_abs(a):
    x = _s32(a)
    return (-x if x < 0 else x) & M32


@njit(cache=True, inline='always')
def s_slet(a, b, sgn):
    if sgn:
        return 1 if _s32(a) <= _s32(b) else 0
    return 1 if a <= b else 0


@njit(cache=True, inline='always')
def s_minmax(a, b, sgn, mx):
    x, y = (_s32(a), _s32(b)) if sgn else (a, b)
    r = (x if x > y else y) if mx else (x if x < y else y)
    return r & M32


@njit(cache=True, inline='always')
def s_ff1(a):
    for i in range(32):
        if (a >> i) & 1:
            return i
    return 32


@njit(cache=True, inline='always')
def s_fl1(a):
    for i in range(31, -1, -1):
        if (a >> i) & 1:
            return i
    return 32


@njit(cache=True, inline='always')
def s_clb(a):
    """RI5CY/CV32E40P RTL: leading redundant sign bits (clrsb), 0 -> 0."""
    if a == 0:
        return 0
    x = (~a & M32) if a & 0x80000000 else a
    n = 0
    while n < 32 and not (x >> (31 - n)) & 1:
        n += 1
    return n - 1


@njit(cache=True, inline='always')
def s_cnt(a):
    n = 0
    for i in range(32):
        n += (a >> i) & 1
    return n


@njit(cache=True, inline='always')
def s_ror(a, sh):
    sh = sh & 31
    return ((a >> sh) | (a << (32 - sh))) & M32


@njit(cache=True, inline='always')
def s_ext(a, n, sgn):
    v = a & ((1 << n) - 1)
    return (_sext(v, n) if sgn else v) & M32


# ---- bit manipulation: width Is3+1, lsb Is2, truncated at bit 31
@njit(cache=True, inline='always')
def _bmask(is2, is3):
    return (((1 << (is3 + 1)) - 1) << is2) & M32


@njit(cache=True, inline='always')
def s_extract(a, is2, is3, sgn):
    n = is3 + 1
    if is2 + n > 32:
        n = 32 - is2
    v = (a >> is2) & ((1 << n) - 1)
    return (_sext(v, n) if sgn else v) & M32


@njit(cache=True, inline='always')
def s_insert(d, a, is2, is3):
    m = _bmask(is2, is3)
    return ((d & ~m) | ((a << is2) & m)) & M32


@njit(cache=True, inline='always')
def s_bclr(a, is2, is3):
    return a & ~_bmask(is2, is3) & M32


@njit(cache=True, inline='always')
def s_bset(a, is2, is3):
    return (a | _bmask(is2, is3)) & M32


@njit(cache=True, inline='always')
def s_bitrev(a, is2, radix):
    """Bit-reverse of (a << Is2) in groups of 1/2/3 bits (radix 0/1/2)."""
    x = (a << is2) & M32
    r = 0
    if radix == 1:
        for j in range(16):
            r |= ((x >> (30 - 2 * j)) & 3) << (2 * j)
    elif radix == 2:
        for j in range(10):
            r |= ((x >> (29 - 3 * j)) & 7) << (3 * j)
    else:
        for j in range(32):
            r |= ((x >> (31 - j)) & 1) << j
    return r


# ---- clip
@njit(cache=True, inline='always')
def s_clip_imm(a, is2, uns):
    hi = ((1 << is2) - 1) >> 1           # Is2=0 -> [-1, 0] / [0, 0]
    return _clamp(_s32(a), 0 if uns else -(hi + 1), hi)


@njit(cache=True, inline='always')
def s_clip_reg(a, b, uns):
    hi = _s32(b)
    return _clamp(_s32(a), 0 if uns else -(hi + 1), hi)


# ---- add/sub with normalisation (+rounding): 32-bit wrap, +2^(sh-1) if rnd and sh>0, shift
@njit(cache=True, inline='always')
def s_addsub_norm(x, y, sh, sub, rnd, uns):
    s = ((x - y) if sub else (x + y)) & M32
    if rnd and sh > 0:
        s = (s + (1 << (sh - 1))) & M32
    return _shr(s, sh, not uns)


# ---- 16x16 multiply(/accumulate) with normalisation and rounding
@njit(cache=True, inline='always')
def s_mul16(a, b, d, sh, hh, sgn, rnd, acc):
    x = (a >> 16) & 0xFFFF if hh else a & 0xFFFF
    y = (b >> 16) & 0xFFFF if hh else b & 0xFFFF
    if sgn:
        x = _sext(x, 16)
        y = _sext(y, 16)
    p = x * y
    if acc:
        p += d
    p &= M32
    if rnd and sh > 0:
        p = (p + (1 << (sh - 1))) & M32
    return _shr(p, sh, sgn)


@njit(cache=True, inline='always')
def s_mac32(a, b, d, sub):
    m = _mul32lo(a, b)
    return ((d - m) if sub else (d + m)) & M32


# ---------------------------------------------------------------- SIMD
@njit(cache=True, inline='always')
def v_add(a, b, w, sub):
    r = 0
    for i in range(32 // w):
        x = _lane(a, i, w, False)
        y = _lane(b, i, w, False)
        r |= (((x - y) if sub else (x + y)) & ((1 << w) - 1)) << (i * w)
    return r


@njit(cache=True, inline='always')
def v_addsh(a, b, w, sub, sgn, n):
    """(x +/- y) truncated to the element, then shifted right by n
    (arithmetic if sgn): pv.avg(u) (n=1) and pv.add/sub.h.divN."""
    r = 0
    for i in range(32 // w):
        x = _lane(a, i, w, False)
        y = _lane(b, i, w, False)
        s = ((x - y) if sub else (x + y)) & ((1 << w) - 1)
        if sgn:
            s = _sext(s, w)
        r |= ((s >> n) & ((1 << w) - 1)) << (i * w)
    return r


@njit(cache=True, inline='always')
def v_minmax(a, b, w, sgn, mx):
    r = 0
    for i in range(32 // w):
        x = _lane(a, i, w, sgn)
        y = _lane(b, i, w, sgn)
        v = (x if x > y else y) if mx else (x if x < y else y)
        r |= (v & ((1 << w) - 1)) << (i * w)
    return r


@njit(cache=True, inline='always')
def v_shr(a, b, w, arith):
    r = 0
    for i in range(32 // w):
        sh = _lane(b, i, w, False) & (w - 1)
        r |= ((_lane(a, i, w, arith) >> sh) & ((1 << w) - 1)) << (i * w)
    return r


@njit(cache=True, inline='always')
def v_sll(a, b, w):
    r = 0
    for i in range(32 // w):
        sh = _lane(b, i, w, False) & (w - 1)
        r |= ((_lane(a, i, w, False) << sh) & ((1 << w) - 1)) << (i * w)
    return r


@njit(cache=True, inline='always')
def v_or(a, b):
    return (a | b) & M32


@njit(cache=True, inline='always')
def v_xor(a, b):
    return (a ^ b) & M32


@njit(cache=True, inline='always')
def v_and(a, b):
    return a & b & M32


@njit(cache=True, inline='always')
def v_abs(a, w):
    r = 0
    for i in range(32 // w):
        x = _lane(a, i, w, True)
        r |= ((-x if x < 0 else x) & ((1 << w) - 1)) << (i * w)
    return r


# compare condition = set of outcomes that are "true": LT=1, EQ=2, GT=4
C_EQ, C_NE, C_GT, C_GE, C_LT, C_LE = 2, 5, 4, 6, 1, 3


@njit(cache=True, inline='always')
def v_cmp(a, b, w, sgn, cond):
    r = 0
    for i in range(32 // w):
        x = _lane(a, i, w, sgn)
        y = _lane(b, i, w, sgn)
        outcome = 1 if x < y else (2 if x == y else 4)
        if outcome & cond:
            r |= ((1 << w) - 1) << (i * w)
    return r


@njit(cache=True, inline='always')
def v_dot(a, b, d, w, sa, sb, acc):
    s = d if acc else 0
    for i in range(32 // w):
        s += _lane(a, i, w, sa) * _lane(b, i, w, sb)
    return s & M32


@njit(cache=True, inline='always')
def v_extract(a, idx, w, sgn):
    return _lane(a, idx & (32 // w - 1), w, sgn) & M32


@njit(cache=True, inline='always')
def v_insert(d, a, idx, w):
    sh = (idx & (32 // w - 1)) * w
    m = ((1 << w) - 1) << sh
    return ((d & ~m) | ((a << sh) & m)) & M32


@njit(cache=True, inline='always')
def v_shuffle(a, b, d, w, two):
    """pv.shuffle (two=False) / pv.shuffle2 (two=True: selector bit log2(n)
    picks rs1 (1) or old rD (0))."""
    n = 32 // w
    r = 0
    for i in range(n):
        sel = _lane(b, i, w, False)
        src = a if (not two or (sel & n)) else d
        r |= _lane(src, sel & (n - 1), w, False) << (i * w)
    return r


@njit(cache=True, inline='always')
def v_shuffle_h_imm(a, imm):
    return _lane(a, imm & 1, 16, False) | (_lane(a, (imm >> 1) & 1, 16, False) << 16)


@njit(cache=True, inline='always')
def v_shufflei_b(a, imm, k):
    return (_lane(a, imm & 3, 8, False) | (_lane(a, (imm >> 2) & 3, 8, False) << 8)
            | (_lane(a, (imm >> 4) & 3, 8, False) << 16) | (_lane(a, k & 3, 8, False) << 24))


@njit(cache=True, inline='always')
def v_pack_h(a, b, hi):
    if hi:
        return (a & 0xFFFF0000) | ((b >> 16) & 0xFFFF)
    return ((a & 0xFFFF) << 16) | (b & 0xFFFF)


@njit(cache=True, inline='always')
def v_pack_b(a, b, d, hi):
    if hi:
        return (d & 0xFFFF) | ((a & 0xFF) << 24) | ((b & 0xFF) << 16)
    return (d & 0xFFFF0000) | ((a & 0xFF) << 8) | (b & 0xFF)


# ---- complex (pulpv3 / xcvsimd) -- [I] semantics per V1 docs
@njit(cache=True, inline='always')
def v_cplxmul(a, b, d, imag, n):
    ar, ai = _lane(a, 0, 16, True), _lane(a, 1, 16, True)
    br, bi = _lane(b, 0, 16, True), _lane(b, 1, 16, True)
    if imag:
        v = (ar * bi + ai * br) >> (15 + n)
        return (d & 0xFFFF) | ((v & 0xFFFF) << 16)
    v = (ar * br - ai * bi) >> (15 + n)
    return (d & 0xFFFF0000) | (v & 0xFFFF)


@njit(cache=True, inline='always')
def v_subrotmj(a, b, n):
    lo = _sext((_lane(a, 1, 16, False) - _lane(b, 1, 16, False)) & 0xFFFF, 16) >> n
    hi = _sext((_lane(b, 0, 16, False) - _lane(a, 0, 16, False)) & 0xFFFF, 16) >> n
    return (lo & 0xFFFF) | ((hi & 0xFFFF) << 16)


@njit(cache=True, inline='always')
def v_cplxconj(a):
    return (a & 0xFFFF) | (((-_lane(a, 1, 16, True)) & 0xFFFF) << 16)


# ---------------------------------------------------------------- the table
def _gen_ops():
    t = [
        ('abs', s_abs, 'a'),
        ('slet', s_slet, 'a, b, True'), ('sletu', s_slet, 'a, b, False'),
        ('min', s_minmax, 'a, b, True, False'), ('minu', s_minmax, 'a, b, False, False'),
        ('max', s_minmax, 'a, b, True, True'), ('maxu', s_minmax, 'a, b, False, True'),
        ('ff1', s_ff1, 'a'), ('fl1', s_fl1, 'a'), ('clb', s_clb, 'a'), ('cnt', s_cnt, 'a'),
        ('ror', s_ror, 'a, b'),
        ('exths', s_ext, 'a, 16, True'), ('exthz', s_ext, 'a, 16, False'),
        ('extbs', s_ext, 'a, 8, True'), ('extbz', s_ext, 'a, 8, False'),
        ('bitrev', s_bitrev, 'a, imm, imm2 & 3'),
        ('mac', s_mac32, 'a, b, d, False'), ('msu', s_mac32, 'a, b, d, True'),
        ('clip', s_clip_imm, 'a, imm, False'), ('clipu', s_clip_imm, 'a, imm, True'),
        ('clipr', s_clip_reg, 'a, b, False'), ('clipur', s_clip_reg, 'a, b, True'),
    ]
    # bit manipulation: immediate form (Is2=imm, Is3=imm2) and register form (rs2[4:0], rs2[9:5])
    for name, fn, pre, post in (('extract', s_extract, 'a', ', True'), ('extractu', s_extract, 'a', ', False'),
                                ('insert', s_insert, 'd, a', ''), ('bclr', s_bclr, 'a', ''),
                                ('bset', s_bset, 'a', '')):
        t.append((name, fn, f'{pre}, imm, imm2{post}'))
        t.append((name + 'r', fn, f'{pre}, b & 31, (b >> 5) & 31{post}'))
    # add/sub with normalisation: {add,sub}[u][r]n (imm: rs1,rs2,Is3) and ...nr (reg: rD,rs1,rs2[4:0])
    for op in ('add', 'sub'):
        for u in ('', 'u'):
            for r in ('', 'r'):
                flags = f"{op == 'sub'}, {r == 'r'}, {u == 'u'}"
                t.append((f'{op}{u}{r}n', s_addsub_norm, f'a, b, imm2, {flags}'))
                t.append((f'{op}{u}{r}nr', s_addsub_norm, f'd, a, b & 31, {flags}'))
    # 16x16 mul / mac: {mul,mac}[hh]{s,u}[r]n
    for kind in ('mul', 'mac'):
        for hh in ('', 'hh'):
            for s in ('s', 'u'):
                for r in ('', 'r'):
                    acc = kind == 'mac'
                    t.append((f'{kind}{hh}{s}{r}n', s_mul16,
                              f"a, b, {'d' if acc else '0'}, imm2, {hh == 'hh'}, {s == 's'}, {r == 'r'}, {acc}"))
    # SIMD (lane width w comes from the op id, .sc/.sci operand already replicated in b)
    t += [
        ('v.add', v_add, 'a, b, w, False'), ('v.sub', v_add, 'a, b, w, True'),
        ('v.avg', v_addsh, 'a, b, w, False, True, 1'), ('v.avgu', v_addsh, 'a, b, w, False, False, 1'),
        ('v.adddiv', v_addsh, 'a, b, w, False, True, imm2'), ('v.subdiv', v_addsh, 'a, b, w, True, True, imm2'),
        ('v.min', v_minmax, 'a, b, w, True, False'), ('v.minu', v_minmax, 'a, b, w, False, False'),
        ('v.max', v_minmax, 'a, b, w, True, True'), ('v.maxu', v_minmax, 'a, b, w, False, True'),
        ('v.srl', v_shr, 'a, b, w, False'), ('v.sra', v_shr, 'a, b, w, True'), ('v.sll', v_sll, 'a, b, w'),
        ('v.or', v_or, 'a, b'), ('v.xor', v_xor, 'a, b'), ('v.and', v_and, 'a, b'),
        ('v.abs', v_abs, 'a, w'),
        ('v.extract', v_extract, 'a, imm, w, True'), ('v.extractu', v_extract, 'a, imm, w, False'),
        ('v.insert', v_insert, 'd, a, imm, w'),
        ('v.shuffle', v_shuffle, 'a, b, 0, w, False'), ('v.shuffle2', v_shuffle, 'a, b, d, w, True'),
        ('v.shuffle.sci.h', v_shuffle_h_imm, 'a, imm'), ('v.shufflei.sci.b', v_shufflei_b, 'a, imm, imm2'),
        ('v.pack', v_pack_h, 'a, b, False'), ('v.pack.h', v_pack_h, 'a, b, True'),
        ('v.packhi.b', v_pack_b, 'a, b, d, True'), ('v.packlo.b', v_pack_b, 'a, b, d, False'),
        ('v.cplxmul.r', v_cplxmul, 'a, b, d, False, imm2'), ('v.cplxmul.i', v_cplxmul, 'a, b, d, True, imm2'),
        ('v.subrotmj', v_subrotmj, 'a, b, imm2'), ('v.cplxconj', v_cplxconj, 'a'),
    ]
    for name, sa, sb, acc in (('dotup', False, False, False), ('dotusp', False, True, False),
                              ('dotsp', True, True, False), ('sdotup', False, False, True),
                              ('sdotusp', False, True, True), ('sdotsp', True, True, True)):
        t.append(('v.' + name, v_dot, f"a, b, {'d' if acc else '0'}, w, {sa}, {sb}, {acc}"))
    for name, cond in (('eq', C_EQ), ('ne', C_NE), ('gt', C_GT), ('ge', C_GE), ('lt', C_LT), ('le', C_LE)):
        t.append((f'v.cmp{name}', v_cmp, f'a, b, w, True, {cond}'))
        if name not in ('eq', 'ne'):
            t.append((f'v.cmp{name}u', v_cmp, f'a, b, w, False, {cond}'))
    return t


OPS = _gen_ops()
OP_INDEX = {name: i for i, (name, _, _) in enumerate(OPS)}
assert len(OP_INDEX) == len(OPS) and len(OPS) <= BASE_MASK


def op_id(name: str, width: int = 16, mode: int = MODE_VV) -> int:
    """Op id for semantic op ``name`` (lane width 16/8 for SIMD, mode)."""
    return OP_INDEX[name] | (W8 if width == 8 else 0) | (mode << MODE_SHIFT)


def op_name(op: int) -> str:
    return OPS[op & BASE_MASK][0]


def reads_rd(name: str) -> bool:
    """Whether op `name` takes the old rD as an operand (`d` in its arguments: only the
    ops whose result depends on it pass it)."""
    return re.search(r'\bd\b', OPS[OP_INDEX[name]][2]) is not None


# ---------------------------------------------------------------- generated dispatcher
_LANE_WIDTH = re.compile(r'\bw\b')   # the lane-width argument in OPS argument lists


def _gen_switch(ops, indent):
    """One `if base == k` per op: LLVM turns the chain into a jump table (one indirect
    branch, where a binary if-tree costs ~7 data-dependent branches per instruction).
    SIMD ops get the lane width as a literal, so their lane loops unroll."""
    pad = ' ' * indent
    out = []
    for k, (_, _, args) in enumerate(ops):
        out.append(f'{pad}{"if" if k == 0 else "elif"} base == {k}:\n')
        if re.search(_LANE_WIDTH, args):
            w8, w16 = re.sub(_LANE_WIDTH, '8', args), re.sub(_LANE_WIDTH, '16', args)
            out.append(f'{pad}    if w == 8:\n{pad}        return _f{k}({w8})\n'
                       f'{pad}    return _f{k}({w16})\n')
        else:
            out.append(f'{pad}    return _f{k}({args})\n')
    return ''.join(out)


def _gen_source(ops):
    body = _gen_switch(ops, 4)
    return (
        'def alu_execute(op, a, b, d, imm, imm2):\n'
        '    op = np.int64(op)\n'
        '    a = np.int64(a) & 0xFFFFFFFF\n'
        '    b = np.int64(b) & 0xFFFFFFFF\n'
        '    d = np.int64(d) & 0xFFFFFFFF\n'
        '    imm = np.int64(imm)\n'
        '    imm2 = np.int64(imm2)\n'
        f'    base = op & {BASE_MASK}\n'
        f'    w = 8 if op & {W8} else 16\n'
        f'    mode = op >> {MODE_SHIFT}\n'
        f'    if mode == {MODE_SC}:\n'
        '        b = _repl(b, w)\n'
        f'    elif mode == {MODE_SCI}:\n'
        '        b = _repl(imm, w)\n'
        + body +
        '    return np.int64(0)\n')


ALU_SOURCE = _gen_source(OPS)


def build_alu_execute(ops, namespace=None):
    """(python, numba) dispatchers generated from an op table. The shipped one (`OPS`) is
    compiled with this file's name and cached on disk (numba's cache rebuilds the env from
    the module's globals); another table, e.g. a test's, gets a namespace of its own."""
    cached = namespace is None
    ns = globals() if cached else namespace
    if not cached:
        ns.update({k: v for k, v in globals().items() if k.startswith('_') or k == 'np'})
    for i, (_, fn, _) in enumerate(ops):
        ns[f'_f{i}'] = fn
    source = _gen_source(ops)
    # the function name carries a hash of the generated source (cache key)
    tag = hashlib.sha1(source.encode()).hexdigest()[:10]
    src = source.replace('def alu_execute(', f'def alu_execute_{tag}(', 1)
    exec(compile(src, __file__ if cached else '<alu_execute>', 'exec'), ns)
    py = ns[f'alu_execute_{tag}']
    return py, njit(cache=cached)(py)


alu_execute_py, alu_execute = build_alu_execute(OPS)
"""alu_execute(op, a, b, d, imm, imm2) -> int (uint32 range); numba-compiled.
alu_execute_py is the same generated function, uncompiled (debugging)."""
