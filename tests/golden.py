"""Golden values computed independently of the simulator (numpy), shared by tests."""
import numpy as np


def hash_int8(x) -> np.ndarray:
    """firmware/runtime/include/testdata.h: h = x * 0x9E3779B1; h ^= h >> 15;
    h *= 0x85EBCA77; h ^= h >> 13; value = (int8)(h >> 24), uint32 arithmetic."""
    h = (np.asarray(x, dtype=np.uint64) * 0x9E3779B1) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x85EBCA77) & 0xFFFFFFFF
    h ^= h >> 13
    return (h >> 24).astype(np.uint8).view(np.int8)


def lcg_int8(count: int, seed: int = 12345) -> list[int]:
    """state = state * 1664525 + 1013904223 (mod 2^32); value = (int8)(state >> 24)."""
    s, values = seed, []
    for _ in range(count):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        values.append(((s >> 24) ^ 0x80) - 0x80)
    return values


def matmul_int8_checksum() -> int:
    """The checksum documented in firmware/apps/matmul_int8/main.c: A (16x32) then B (32x16)
    from the LCG, C = A @ B, checksum = sum((uint32)C[idx] * (idx + 1)) mod 2^32."""
    v = lcg_int8(16 * 32 + 32 * 16)
    a = np.array(v[:512], dtype=np.int64).reshape(16, 32)
    b = np.array(v[512:], dtype=np.int64).reshape(32, 16)
    c = (a @ b).ravel()
    return int(((c & 0xFFFFFFFF) * np.arange(1, 257, dtype=np.int64)).sum()) & 0xFFFFFFFF
