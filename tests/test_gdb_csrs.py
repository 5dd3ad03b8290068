"""Trap CSRs through the GDB remote protocol (issue 20 item 5, issue 17 item 2): the target
description has an org.gnu.gdb.riscv.csr feature at gdb's numbering (65 + CSR), so a real
gdb prints `$mcause`, `$mtval`, `$mepc` in a trap handler. Expected values are derived from
the firmware source (irq_illegal_emulation: madd1 a2, a0, a1 in the reserved opcode 0x77)."""
from __future__ import annotations

import re

from test_gdbserver import run_gdb

from iss.debugger.gdbserver import CSR_REGNUM, target_xml

MADD1_WORD = (11 << 20) | (10 << 15) | (12 << 7) | 0x77      # madd1 a2, a0, a1


def test_target_description_lists_the_csrs():
    xml = target_xml()
    assert '<feature name="org.gnu.gdb.riscv.csr">' in xml
    assert f'name="mcause" bitsize="32" type="int" regnum="{CSR_REGNUM + 0x342}"' in xml
    assert f'name="mhartid" bitsize="32" type="int" regnum="{CSR_REGNUM + 0xF14}"' in xml


def test_gdb_reads_the_trap_csrs_in_a_handler(firmware_elf):
    elf = firmware_elf("irq_illegal_emulation")
    out, _ = run_gdb(elf, ["break on_exception", "continue", "p/x $mcause", "p/x $mtval",
                           "p/x $mhartid", "p/x $mepc", "x/i $mepc", "p/x $mstatus",
                           "set var $mscratch = 0x1234", "p/x $mscratch", "kill"])
    values = re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", out, re.M)
    assert len(values) == 6, out
    mcause, mtval, mhartid, mepc, mstatus, mscratch = (int(v, 16) for v in values)
    assert mcause == 2 and mtval == MADD1_WORD and mhartid == 0, out
    # mepc is the emulated instruction's address, inside madd1's caller (main, inlined)
    assert re.search(rf"0x{mepc:x} <main\+\d+>:", out), out
    # in the handler: MIE = 0, MPP = 3 (machine mode)
    assert mstatus & 0x8 == 0 and (mstatus >> 11) & 3 == 3, out
    assert mscratch == 0x1234, out



def test_shell_reads_and_writes_the_trap_csrs(firmware_elf, tmp_path):
    """The built-in `iss debug` shell: `p $mcause`, `info registers mtval`, `set var $mscratch`."""
    import subprocess
    import sys
    script = tmp_path / "cmds"
    script.write_text("break on_exception\nrun\np/x $mcause\ninfo registers mtval\n"
                      "set var $mscratch = 5\np $mscratch\np $mhartid\n")
    r = subprocess.run([sys.executable, "-m", "iss.cli", "debug",
                        str(firmware_elf("irq_illegal_emulation")), "-x", str(script), "--batch"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "$1 = 0x2\n" in r.stdout
    assert re.search(rf"^mtval\s+0x{MADD1_WORD:x}\s+{MADD1_WORD}$", r.stdout, re.M), r.stdout
    assert "$2 = 5\n$3 = 0\n" in r.stdout


def test_hardware_loop_registers_through_the_protocol(firmware_elf):
    """lpstart0/lpend0/lpcount0 at their CORE-V CSR numbers (CV32E40P user manual: 0xCC0,
    0xCC1, 0xCC2), in the target description and read inside a loop body: the first loop
    of timing_hwloop.S is cv.setupi 0, 10 over 4 instructions (start = setup + 4, end =
    the first address after the body)."""
    from test_gdbserver import RspClient, reg, served, stop_fields

    elf = firmware_elf("isa_tests/timing_hwloop")
    with served(elf) as (server, _):
        target = server.target
        xml = server.target_xml.decode()
        for name, csr in (("lpstart0", 0xCC0), ("lpend0", 0xCC1), ("lpcount0", 0xCC2),
                          ("lpstart1", 0xCC4), ("lpend1", 0xCC5), ("lpcount1", 0xCC6)):
            assert f'name="{name}" bitsize="32" type="int" regnum="{CSR_REGNUM + csr}"' in xml
        setup_word = 0x0000462B | (10 << 20) | (5 << 15)          # count 10, end = +5 words
        code = target.sim.custom
        setup = next(pc for pc, word in sorted(code.originals.items()) if word == setup_word)
        c = RspClient(server.port)
        c.no_ack()
        assert c.cmd(f"Z0,{setup + 8:x},4") == "OK"
        fields = stop_fields(c.cmd("vCont;c:1"))
        assert reg(fields["20"]) == setup + 8
        values = [reg(c.cmd(f"p{CSR_REGNUM + csr:x}")) for csr in (0xCC0, 0xCC1, 0xCC2)]
        assert values == [setup + 4, setup + 20, 10]
        c.send("k")
