"""Crossbar contents carried by the firmware (PCM is non-volatile: weights are programmed
before the run, paper Sec. III-A), programmed by the loader at time 0 (docs/ima.md,
"Weights in the firmware image").

ELF section `.ima_weights`: a sequence of records of little-endian 32-bit words,
  magic 0x57414D49 ('IMAW'), array, start_x (first column), start_y (first row),
  width (columns), height (rows),
  then height rows of ceil(width/8) words, each packed like a SUBMIT_PLOT write
  (nibble i = column start_x + 8k + i, 4-bit two's complement); nibbles past the
  window's last column are ignored.
Zero words between records (alignment padding) are skipped. ima.h's IMA_IMAGE macros
build such records.

A file named in the platform (`weights_file`): a NumPy .npy array of int8 codes in
[-8, 7], shape (rows, cols) for array 0 or (arrays, rows, cols).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from iss.errors import ElfError, PlatformError
from iss.inputfile import read_input

SECTION = ".ima_weights"
MAGIC = 0x57414D49            # b"IMAW" read as a little-endian word
HEADER_WORDS = 6


@dataclass
class Record:
    array: int
    x: int
    y: int
    weights: np.ndarray       # int8 [height, width]


def unpack_words(words, width):
    """int8 [rows, width] from packed words [rows, ceil(width/8)] (SUBMIT_PLOT packing)."""
    words = np.asarray(words, dtype=np.uint32)
    nib = (words[..., None] >> (4 * np.arange(8, dtype=np.uint32))) & 0xF
    nib = nib.reshape(words.shape[0], -1)[:, :width].astype(np.int8)
    return np.where(nib >= 8, nib - 16, nib).astype(np.int8)


def pack_words(weights):
    """The inverse of unpack_words: uint32 [rows, ceil(width/8)]."""
    w = np.asarray(weights, dtype=np.int64)
    rows, width = w.shape
    pad = np.zeros((rows, -(-width // 8) * 8), dtype=np.int64)
    pad[:, :width] = w & 0xF
    nib = pad.reshape(rows, -1, 8) << (4 * np.arange(8))
    return nib.sum(axis=2).astype(np.uint32)


def parse_records(data: bytes, where: str) -> list[Record]:
    if len(data) % 4:
        raise ElfError(f"{where}: section {SECTION} is {len(data)} bytes, not whole words")
    words = np.frombuffer(data, dtype="<u4")
    records, i = [], 0
    while i < len(words):
        if words[i] == 0:
            i += 1
            continue
        if words[i] != MAGIC or i + HEADER_WORDS > len(words):
            raise ElfError(f"{where}: {SECTION} word {i}: expected a record header (magic "
                           f"0x{MAGIC:08x}), found 0x{int(words[i]):08x}")
        array, x, y, width, height = (int(v) for v in words[i + 1:i + HEADER_WORDS])
        n = height * -(-width // 8)
        body = words[i + HEADER_WORDS:i + HEADER_WORDS + n]
        if len(body) < n:
            raise ElfError(f"{where}: {SECTION} record at word {i} (array {array}, "
                           f"{width}x{height}) is truncated: {len(body)} of {n} words")
        records.append(Record(array, x, y, unpack_words(body.reshape(height, -1), width)))
        i += HEADER_WORDS + n
    return records


def elf_records(image) -> list[Record]:
    """Records of the ELF image's .ima_weights section (none if it has no such section)."""
    data = image.section_data(SECTION)
    return [] if data is None else parse_records(data, str(image.path))


def file_records(path, where: str) -> list[Record]:
    """Records of a weights file; `where` names the platform key that gave `path`."""
    try:
        raw = read_input(path, PlatformError, "a .npy weights file")
    except PlatformError as e:
        raise PlatformError(f"{where}: {e}") from None
    try:
        data = np.load(io.BytesIO(raw), allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise PlatformError(f"{where}: {path}: cannot read a .npy array ({e})") from None
    if data.ndim == 2:
        data = data[None]
    if data.ndim != 3 or data.dtype.kind not in "iu" or data.size and (
            data.min() < -8 or data.max() > 7):
        raise PlatformError(f"{where}: {path}: expected integer codes in [-8, 7] of shape "
                            f"(rows, cols) or (arrays, rows, cols), got {data.dtype} "
                            f"{data.shape}")
    return [Record(a, 0, 0, data[a].astype(np.int8)) for a in range(data.shape[0])]
