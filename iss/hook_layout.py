"""Where the code hooks go (`iss run --code-hooks`): the placement policy and its cost
model. iss/custom_code.py does the hooking; this module only decides which address
ranges to hook, from the custom-instruction sites and, for `auto`, from what ran.

Placement (measured on this machine, Unicorn 2.1.4, tools/bench_xpulp.py). A trapped
custom instruction costs ~60 ns and nothing to the code around it. Behind a code hook
it costs what the hook does (~15-25 ns) plus Unicorn's dispatch: with exactly ONE code
hook registered, Unicorn calls it inline (~7 ns, also paid by every ordinary
instruction in its range); with several, every hooked instruction goes through a
helper that walks the list (~25 ns more). Runs of at least DENSE_MIN sites no more
than DENSE_GAP bytes apart (SIMD inner loops) and the hardware-loop exits must be
hooked; the other sites trap. Layouts (HOOK_LAYOUTS):
  span  -- one hook from the first to the last of them: XpulpV2 kernels run ~2x
           faster, ordinary instructions inside the span ~4x slower;
  split -- one hook per run (at most MAX_DENSE_HOOKS runs) and per loop exit: best
           for firmware whose hot loops are ordinary instructions;
  auto  -- span, then, once AUTO_SAMPLE instructions have run, whichever of span,
           split or a span widened to every custom instruction run so far would have
           cost least for the instructions executed so far (default).
"""
from __future__ import annotations

import numpy as np

DENSE_GAP = 8
DENSE_MIN = 3
MAX_DENSE_HOOKS = 6
HOOK_LAYOUTS = ("auto", "span", "split")
AUTO_SAMPLE = 5_000_000
# ns per executed instruction (tools/bench_xpulp.py, docs/unicorn-notes.md): inside the
# only code hook's range, inside one of several hooks' ranges, a trapped custom instruction
INLINE_HOOK_NS, LISTED_HOOK_NS, TRAP_NS = 7, 30, 60

Ranges = list[tuple[int, int]]          # inclusive [lo, hi] address ranges


def split_layout(sites: list[int], loop_exits: list[int]) -> Ranges:
    """The split layout: one range per dense run (the MAX_DENSE_HOOKS largest) and per
    hardware-loop exit, touching ranges merged. `sites` sorted."""
    dense = _dense_runs(sites)[:MAX_DENSE_HOOKS]
    return _merge(dense + [(a, a) for a in loop_exits])


def span_layout(split: Ranges) -> Ranges:
    """The span layout: one range from the first to the last range of the split one."""
    return [(split[0][0], split[-1][1])] if split else []


def cheapest_layout(span: Ranges, split: Ranges, sites: list[int], counts: np.ndarray,
                    base: int) -> tuple[str, Ranges]:
    """`auto`'s decision: of the span, the split layout and the span widened to every site
    that ran, the one that would have cost least for the per-halfword execution `counts`
    (from `base`) so far. Returns its name and ranges."""
    run = [pc for pc in sites if counts[(pc - base) >> 1]]
    candidates = {"span": span, "split": split}
    if run:
        (lo, hi), = span
        candidates["wide span"] = [(min(lo, min(run)), max(hi, max(run)))]
    name = min(candidates, key=lambda n: layout_cost(candidates[n], sites, counts, base))
    return name, candidates[name]


def layout_cost(ranges: Ranges, sites: list[int], counts: np.ndarray, base: int) -> int:
    """Estimated ns the hooks and traps of `ranges` would have cost for `counts`."""
    per_hooked = INLINE_HOOK_NS if len(ranges) == 1 else LISTED_HOOK_NS
    hooked = sum(int(counts[(a - base) >> 1:((b - base) >> 1) + 1].sum()) for a, b in ranges)
    trapped = sum(int(counts[(pc - base) >> 1]) for pc in sites
                  if not any(a <= pc <= b for a, b in ranges))
    return per_hooked * hooked + TRAP_NS * trapped


def _dense_runs(addresses: list[int]) -> list[tuple[int, int]]:
    """[lo, hi] runs of >= DENSE_MIN sites spaced <= DENSE_GAP, largest first."""
    runs, current = [], []
    for a in addresses:
        if current and a - current[-1] > DENSE_GAP:
            runs.append(current)
            current = []
        current.append(a)
    if current:
        runs.append(current)
    runs = [r for r in runs if len(r) >= DENSE_MIN]
    runs.sort(key=len, reverse=True)
    return [(r[0], r[-1] + 3) for r in runs]


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge touching ranges (a loop exit right after a dense body shares its hook)."""
    merged = []
    for lo, hi in sorted(ranges):
        if merged and lo - merged[-1][1] <= DENSE_GAP:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged
