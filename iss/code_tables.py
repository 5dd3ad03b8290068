"""The tables the load-time scan of the code gives the native hooks: per-page flags,
per-halfword timing flags, and the instruction-count potentials (a leaf module: the cost
models build their tables with it without depending on the hooks that read them).

Instruction counting: a block hook adds the number of instructions of the
translated block it is about to run (iss/hooks.py). Counts come from a prefix table built at
load time over the executable segments, so a sub-range costs two loads; blocks
outside it are counted by scanning the halfwords in guest memory (length bits
[1:0] == 3 -> 32-bit).

The tables cover both ways of decoding the code (build_prefix_table): the linear
decode from the start of the code, and the decode from any halfword that the linear
one sees as the second half of a 32-bit instruction (a jump into the middle of a
word). Decoding is deterministic from a given halfword and each halfword starts one
instruction, so next(k) = k + length(k) is a function on halfwords; the decode from
a "mid" halfword stays on mid halfwords until it lands on a linear start and from
there on is the linear decode. A table value per halfword with
table[next(k)] = table[k] + value(k) for every halfword k (a potential) gives every
block on either decode its exact sum as table[end] - table[start], at no cost in the
hook. The block's last instruction, which the next block's transfer penalty needs,
is ambiguous only where a mid-entry branch or jump ends at the same halfword as a
linear instruction of another kind (F_AMBIG, ~1 % of the branch ends of compiled
code): there the hook decides from the last block's start.
"""
from __future__ import annotations

import numpy as np
from numba import njit

PAGE_BITS = 12
PAGE_CODE = 1          # page flag: holds code, needs execute permission

# per-halfword timing flags (timing.StaticTiming). Of the instruction that STARTS at the
# halfword (every halfword starts one: the linear decode's or a mid-entry decode's):
F_IS32 = 1
F_BRANCH = 32           # a conditional branch
F_JUMP = 64             # jal, jalr
# of the instruction that ENDS at the halfword (the linear one where both decodes end):
F_ENDS_BRANCH = 2
F_ENDS_JUMP = 4
F_AMBIG = 8             # a mid-entry branch or jump ends here too (other F_ENDS_* bits)
# of the halfword itself:
F_MID = 16              # not an instruction start of the linear decode


def build_prefix_table(code: bytes, base: int) -> np.ndarray:
    """Instruction-count potential over the halfwords of code (module docstring):
    idx[k] = instructions of the linear decode before halfword k at its instruction
    starts; at mid halfwords the value that makes idx[end] - idx[start] exact for the
    decode entered there."""
    halfwords = np.frombuffer(code[: len(code) & ~1], dtype=np.uint16)
    nxt, linear = decode_graph(halfwords)
    phi = potentials(nxt, linear, np.ones((len(halfwords), 1), np.int64))
    return phi[:, 0].astype(np.uint32)


@njit(cache=True)
def decode_graph(halfwords):
    """(next, linear): next[k] = the halfword after the instruction starting at halfword
    k (32-bit when bits [1:0] == 3, except in the last halfword); linear[k] = 1 where
    the linear decode from halfword 0 starts an instruction."""
    n = len(halfwords)
    nxt = np.empty(n, np.int64)
    linear = np.zeros(n, np.uint8)
    for k in range(n):
        nxt[k] = k + 2 if (halfwords[k] & 3) == 3 and k + 1 < n else k + 1
    k = 0
    while k < n:
        linear[k] = 1
        k = nxt[k]
    return nxt, linear


@njit(cache=True)
def potentials(nxt, linear, values):
    """phi[n + 1, c] with phi[nxt[k]] = phi[k] + values[k] for every halfword k: the
    running sums of the linear decode at its starts (and the end), then each mid
    halfword from the one its instruction ends at, last first (next[k] > k)."""
    n, c = values.shape
    phi = np.zeros((n + 1, c), np.int64)
    acc = np.zeros(c, np.int64)
    for k in range(n):
        if linear[k]:
            phi[k] = acc
            acc += values[k]
    phi[n] = acc
    for k in range(n - 1, -1, -1):
        if not linear[k]:
            phi[k] = phi[min(nxt[k], n)] - values[k]
    return phi
