"""Guest memories as shared host buffers (numpy), loaded from an ELF image.

Every hart maps the same buffers with uc_mem_map_ptr, and accelerators read and
write them directly, so all see the same bytes.
"""
from __future__ import annotations

import numpy as np

from .elf import ElfImage
from .errors import ElfError
from .code_tables import PAGE_BITS, PAGE_CODE, build_prefix_table
from .platform import Platform


class SharedMemory:
    def __init__(self, platform: Platform):
        self.platform = platform
        self.buffers = {m.name: np.zeros(m.size, dtype=np.uint8) for m in platform.memories}
        # per-4KiB-page flags for the TLB-fill hook (1 Mi pages cover the 32-bit space)
        self.page_flags = np.zeros(1 << (32 - PAGE_BITS), dtype=np.uint8)
        self.regions = np.array([(m.base, m.size, self.buffers[m.name].ctypes.data)
                                 for m in platform.memories], dtype=np.int64)
        self.code_base = 0
        self.code_end = 0
        self.prefix = np.zeros(1, dtype=np.uint32)
        self.shadow: tuple[int, np.ndarray] | None = None   # (base, bytes) of iss/shadow.py

    def view(self, address: int, size: int) -> np.ndarray:
        """A writable view of guest memory [address, address + size)."""
        m = self.platform.memory_at(address)
        if m is None and self.shadow is not None:
            base, data = self.shadow
            if base <= address and address + size <= base + len(data):
                return data[address - base:address - base + size]
        if m is None or address + size > m.end:
            raise IndexError(f"0x{address:08x}+{size} is not inside one memory")
        off = address - m.base
        return self.buffers[m.name][off:off + size]

    def add_shadow(self, base: int, data: np.ndarray) -> None:
        """The translated code (iss/shadow.py): readable like memory, executable, and
        mapped read-only into each hart."""
        self.shadow = (base, data)
        self.page_flags[base >> PAGE_BITS:(base + len(data) - 1 >> PAGE_BITS) + 1] |= PAGE_CODE

    def holds_code(self, lo: int, hi: int) -> bool:
        """Whether [lo, hi) touches a page of code (the firmware's, or its translation):
        a device that writes there would change instructions the cores may have cached."""
        return bool((self.page_flags[lo >> PAGE_BITS:((hi - 1) >> PAGE_BITS) + 1]
                     & PAGE_CODE).any())

    def read(self, address: int, size: int) -> bytes:
        return self.view(address, size).tobytes()

    def write(self, address: int, data: bytes) -> None:
        self.view(address, len(data))[:] = np.frombuffer(bytes(data), dtype=np.uint8)

    def read_u32(self, address: int) -> int:
        return int.from_bytes(self.read(address, 4), "little")

    def load(self, image: ElfImage) -> None:
        """Copy PT_LOAD segments (zero-filled .bss) and index the executable ones."""
        for seg in image.segments:
            m = self.platform.memory_at(seg.address)
            if m is None or seg.address + seg.memsize > m.end:
                raise ElfError(
                    f"{image.path}: {seg.describe()} lies outside every memory of platform "
                    f"'{self.platform.name}' "
                    f"({', '.join(f'{x.name} 0x{x.base:08x}-0x{x.end:08x}' for x in self.platform.memories)})")
            view = self.view(seg.address, seg.memsize)
            view[:] = 0
            view[:len(seg.data)] = np.frombuffer(seg.data, dtype=np.uint8)
        code = [s for s in image.segments if s.executable]
        self._check_code_in_one_memory(image, code)
        if code:
            self.code_base = min(s.address for s in code) & ~1
            self.code_end = (max(s.address + s.memsize for s in code) + 1) & ~1
            self.prefix = build_prefix_table(self.read(self.code_base, self.code_end - self.code_base),
                                             self.code_base)
            for s in code:
                first, last = s.address >> PAGE_BITS, (s.address + s.memsize - 1) >> PAGE_BITS
                self.page_flags[first:last + 1] |= PAGE_CODE

    def _check_code_in_one_memory(self, image: ElfImage, code: list) -> None:
        """The load-time tables (prefix, timing, custom-instruction scan) cover one range
        code_base..code_end, which must be one memory's bytes."""
        homes = {self.platform.memory_at(s.address).name: s for s in code}
        if len(homes) > 1:
            where = ", ".join(f"{s.describe()} in {name}" for name, s in homes.items())
            raise ElfError(f"{image.path}: executable segments in {len(homes)} memories "
                           f"({where}): all code must lie in one memory")
