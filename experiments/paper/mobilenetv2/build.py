"""Building MobileNetV2's firmware: the generated files (written only when they change),
the platform files and the linker script for the network's L1, and the cached compile of
firmware/mobilenetv2/mobilenetv2.c."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from .header import data_asm, header_text, tables, xbar_blob
from .memory import ALIGN, STACKS, l1_size, memory_plan
from .model import Model, make_model
from .network import ADD_KERNEL, MAPPING, NETWORK, PSUM, RES, SEED


def _write(path: Path, data) -> Path:
    """Write only when the content changes (keeps builds cached)."""
    data = data.encode() if isinstance(data, str) else bytes(data)
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path



def default_out_dir(res: int = RES, network: str = NETWORK, add: str = ADD_KERNEL,
                    psum: str = PSUM, mapping: str = MAPPING) -> Path:
    from iss import toolchain
    variant = (network + ("" if add == ADD_KERNEL else f"-{add}add")
               + ("" if psum == PSUM else f"-{psum}psum")
               + ("" if mapping == MAPPING else f"-{mapping}"))
    return toolchain.firmware_dir() / "build" / "mobilenetv2" / variant / str(res)


def l1_need(model: Model) -> dict:
    """L1 bytes: the activation arena, the depth-wise weights, the IMA's accumulation
    descriptors, the 8 stacks (the linker script checks that they fit)."""
    offsets, arena = memory_plan(model)
    dw = sum(-(-model.weights[op.name].size // ALIGN) * ALIGN
             for op in model.ops if op.kind == "dw")
    descriptors = 16 * sum(len(tiles) for tiles, _, _ in tables(model, offsets)["accs"])
    need = arena + dw + descriptors + STACKS
    return {"arena": arena, "dw_weights": dw, "descriptors": descriptors, "stacks": STACKS,
            "need": need, "l1": l1_size(need), "offsets": offsets}


def write_platform(out_dir: Path, l1: int, arrays: int, noise: bool = False,
                   accumulate: bool = False) -> Path:
    """The default platform with an L1 of `l1` bytes and an `arrays`-crossbar IMA
    (PCM noise model on or off, partial-sum accumulation on or off)."""
    from importlib import resources
    text = resources.files("iss.platforms").joinpath("pulp_imc_cluster.toml").read_text()
    subs = ((r'(?m)^name = "pulp-imc-cluster"',
             f'name = "pulp-imc-cluster-mobilenetv2{"-pcm" if noise else ""}"'),
            (r"(?m)^size = 0x80000(\s*#.*)?$",
             f"size = 0x{l1:X}            # L1 holding every activation (docs/mobilenetv2.md)"),
            (r"(?m)^arrays\s*=\s*\d+", f"arrays = {arrays}"),
            (r"(?m)^pcm_noise\s*=\s*\w+", f"pcm_noise = {'true' if noise else 'false'}"),
            (r"(?m)^accumulate\s*=\s*\w+", f"accumulate = {'true' if accumulate else 'false'}"))
    for pattern, repl in subs:
        text, n = re.subn(pattern, repl, text)
        assert n == 1, f"the default platform has no line matching {pattern!r}"
    return _write(Path(out_dir) / f"platform{'_pcm' if noise else ''}.toml", text)


def write_linker_script(out_dir: Path, l1: int) -> Path:
    from iss import toolchain
    text = (toolchain.runtime_dir() / toolchain.LINKER_SCRIPT).read_text()
    for old in ("__l1_size      = 0x00080000;", "LENGTH = 0x00080000 - 8 * 0x1000"):
        assert old in text, f"link.ld changed: {old!r} not found"
        text = text.replace(old, old.replace("0x00080000", f"0x{l1:08X}"))
    return _write(Path(out_dir) / "link.ld", text)


def build(res: int = RES, out_dir: Path | None = None, seed: int = SEED,
          network: str = NETWORK, add: str = ADD_KERNEL, psum: str = PSUM,
          mapping: str = MAPPING) -> dict:
    """Generate the data and tables, the platform files and the linker script, compile
    firmware/mobilenetv2/mobilenetv2.c (cached). Returns the paths and the L1 figures."""
    from iss import toolchain
    model = make_model(res, seed, network, add, psum, mapping)
    d = Path(out_dir or default_out_dir(res, network, add, psum, mapping))
    mem = l1_need(model)
    offsets, arena = mem["offsets"], mem["arena"]
    t = tables(model, offsets)
    files = [
        _write(d / "input.bin", model.golden["input"].tobytes()),
        _write(d / "dw.bin", t["dw_blob"]),
        _write(d / "fc.bin", model.weights["fc"].astype(np.int8).tobytes()),
        _write(d / "logits.bin", model.golden["logits"].astype("<i4").tobytes()),
        _write(d / "xbar.bin", xbar_blob(model) if mapping == "hetero" else b""),
        _write(d / "sw.bin", t["sw_blob"]),
        _write(d / "mn_net.h", header_text(model, t, arena)),
    ]
    files.append(_write(d / "mn_data.S", data_asm(d, arena)))
    ld = write_linker_script(d, mem["l1"])
    acc = psum == "ima"
    plat = write_platform(d, mem["l1"], model.crossbars, accumulate=acc)
    plat_pcm = write_platform(d, mem["l1"], model.crossbars, noise=True, accumulate=acc)
    src = toolchain.firmware_dir() / "mobilenetv2" / "mobilenetv2.c"
    elf = d / "mobilenetv2.elf"
    rt = toolchain.runtime_dir()
    kernels = [toolchain.firmware_dir() / "kernels" / f for f in ("kernels.c", "kernels.h")]
    deps = [src, *kernels, ld, *files, *toolchain.runtime_files()]
    sig = hashlib.sha256(b"".join(p.read_bytes() for p in deps)).hexdigest()
    stamp = d / "mobilenetv2.elf.sha256"
    if not elf.exists() or not stamp.exists() or stamp.read_text() != sig:
        args = ["-I", str(d), str(src), str(d / "mn_data.S"),
                *(str(rt / s) for s in toolchain.RUNTIME_SOURCES), "-T", str(ld)]
        cmd = toolchain.compiler_command(args, elf, link=False)
        rc, so, se = toolchain.run_compiler(cmd)
        if rc != 0:
            raise toolchain.ToolchainError(f"compilation of {elf.name} failed (exit {rc})",
                                           so + se)
        stamp.write_text(sig)
    return {"elf": elf, "platform": plat, "platform_pcm": plat_pcm, "dir": d, **mem}

