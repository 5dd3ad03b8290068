"""Every cycle cost of the core timing model, in one place, each with its source
(docs/cluster.md explains the model). The static costs are summed into per-instruction
tables at load time (iss/timing.py); the dynamic ones are charged by the native hooks
(iss/hooks.py, iss/xpulp_exec.py), the trap and interrupt model (iss/hart.py,
iss/interrupts.py) and the scheduler's event waits (iss/scheduler.py).

A leaf module: the jitted hooks read these as module-level integers."""
from __future__ import annotations

# ---- CV32E40P manual, pipeline.rst "Cycle counts per instruction type" and "Hazards" ----
BASE_CYCLES = 1             # every instruction
LOAD_USE_STALL = 1          # the next instruction reads the loaded register
JUMP_STALL = 1              # jal / jalr: 2 cycles
JALR_HAZARD_STALL = 1       # jalr whose rs1 the previous instruction writes
TAKEN_BRANCH_PENALTY = 2    # taken branch: 3 cycles = 1 + 2 (resolved in EX)
MISALIGNED_TARGET_STALL = 1  # a jump / taken branch to a 32-bit instruction at addr % 4 == 2
MULH_STALL = 4              # mulh, mulhsu, mulhu: 5 cycles, used or not
SLOW_CSR_STALL = 3          # the CSRs of timing.SLOW_CSRS: 4 cycles
ELW_CYCLES = 4              # p.elw / cv.elw when the event is already there

# the divider (CV32E40P rtl cv32e40p_alu_div.sv; GVSoC ri5ky): 3 + clz(divisor) cycles,
# 2 + clz(~divisor) for a negative signed divisor, 35 for a zero divisor
DIV_BASE_CYCLES = 3
DIV_NEGATIVE_BASE_CYCLES = 2
DIV_BY_ZERO_CYCLES = 35

# ---- event waits: GVSoC ri5ky, calibrated on the RTL ----------------------------------
WAKE_CYCLES = 2             # a wait that slept L cycles costs L + 2

# ---- traps and interrupts ---------------------------------------------------------------
# an exception costs what a taken jump costs (1 cycle + JUMP_STALL): the faulting
# instruction does not retire, its slot and the refetch at the handler do (our choice)
TRAP_ENTRY_CYCLES = BASE_CYCLES + JUMP_STALL
IRQ_ENTRY_CYCLES = 4        # gvsoc-core irq_external.cpp: interrupt entry +3 (latency 4)
MRET_CYCLES = 5             # gvsoc-core isa/priv.hpp: mret +4 (latency 5)

# ---- accurate timing: the shared L1 -----------------------------------------------------
TCDM_BANKS = 32             # paper Sec. III-B: 512 kB L1 in 32 word-interleaved banks
BANK_WINDOW = 1 << 15       # cycles remembered per bank (a model size, > the scheduler's quantum)
