"""Memory-mapped peripherals on Unicorn MMIO pages.

uc_mmio_map works on whole 4 KiB pages while PULP peripherals sit 0x400 apart,
so each page that holds peripherals is mapped once and its accesses are
dispatched here to the peripheral owning the offset. MMIO costs nothing on
ordinary loads and stores (no memory hooks).
"""
from __future__ import annotations

from .code_tables import PAGE_BITS

PAGE = 1 << PAGE_BITS


class Bus:
    def __init__(self, peripherals, before_access=None):
        self.peripherals = list(peripherals)
        # before_access(hart, is_read) -> bool: bring the peripherals up to the accessing
        # instruction's cycle; False: the access is retried later (Simulator.fire_due)
        self.before_access = before_access
        self.pages: dict[int, list] = {}    # page -> [(start, end, peripheral)]
        for p in self.peripherals:
            for start, size in p.ranges():
                for page in range(start >> PAGE_BITS, (start + size - 1 >> PAGE_BITS) + 1):
                    self.pages.setdefault(page << PAGE_BITS, []).append((start, start + size, p))

    def owner(self, address: int):
        for start, end, p in self.pages.get(address & ~(PAGE - 1), ()):
            if start <= address < end:
                return p
        return None

    def map_into(self, hart) -> None:
        for page in self.pages:
            hart.uc.mmio_map(page, PAGE, self._reader(hart, page), None, self._writer(hart, page), None)

    def _reader(self, hart, page):
        def read(uc, offset, size, user_data):
            hart.sync_io_pc()
            if self.before_access is not None and not self.before_access(hart, True):
                return 0
            address = page + offset
            p = self.owner(address)
            if p is None:
                hart.bus_fault("load from", address, size)
                return 0
            return p.read(hart, address - p.base, size) & ((1 << (8 * size)) - 1)
        return read

    def _writer(self, hart, page):
        def write(uc, offset, size, value, user_data):
            hart.sync_io_pc()
            if self.before_access is not None and not self.before_access(hart, False):
                return
            address = page + offset
            p = self.owner(address)
            if p is None:
                hart.bus_fault("store to", address, size)
                return
            p.write(hart, address - p.base, size, value & ((1 << (8 * size)) - 1))
        return write
