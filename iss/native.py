"""Native plumbing for numba cfunc hooks: raw pointers and C function pointers.

Numba refuses to cache functions that call ctypes function objects, so hooks
call Unicorn's C API through plain integer addresses stored in a context array
and cast to LLVM function pointers here (our measurement: the pointers' cfuncs cache).
"""
import ctypes

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic
from unicorn.unicorn_py3.unicorn import uclib

_I8P = ir.IntType(8).as_pointer()
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)


def c_function_address(name: str) -> int:
    """Address of an exported libunicorn function, for calls from cfuncs."""
    return ctypes.cast(getattr(uclib, name), ctypes.c_void_p).value


@intrinsic
def ptr_from_int(typingctx, address):
    """Turn an integer address into a void pointer usable with numba.carray."""
    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], _I8P)
    return types.voidptr(types.uint64), codegen


@intrinsic
def call_reg_access(typingctx, fn, uc, regid, buf):
    """Call uc_reg_read/uc_reg_write(uc, regid, buf) given the function's address."""
    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(_I32, [_I8P, _I32, _I8P])
        f = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(f, [builder.inttoptr(args[1], _I8P),
                                builder.trunc(args[2], _I32),
                                builder.inttoptr(args[3], _I8P)])
    return types.int32(types.uint64, types.uint64, types.int64, types.uint64), codegen


@intrinsic
def call_uc(typingctx, fn, uc):
    """Call a one-argument libunicorn function (uc_emu_stop) by address."""
    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(_I32, [_I8P])
        f = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(f, [builder.inttoptr(args[1], _I8P)])
    return types.int32(types.uint64, types.uint64), codegen


@intrinsic
def call_loop_body(typingctx, fn, gpr, iterations, scratch, regions, nregions, pages):
    """Call a compiled hardware-loop body (iss/loop_compiler.py) by address."""
    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(_I64, [_I64] * 6)
        f = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(f, list(args[1:]))
    return types.int64(types.int64, types.int64, types.int64, types.int64, types.int64,
                       types.int64, types.int64), codegen


def _load(bits):
    @intrinsic
    def load(typingctx, address):
        def codegen(context, builder, signature, args):
            ptr = builder.inttoptr(args[0], ir.IntType(bits).as_pointer())
            value = builder.load(ptr, align=1)
            return builder.zext(value, _I64) if bits < 64 else value
        return types.uint64(types.uint64), codegen
    return load


def _store(bits):
    @intrinsic
    def store(typingctx, address, value):
        def codegen(context, builder, signature, args):
            ptr = builder.inttoptr(args[0], ir.IntType(bits).as_pointer())
            builder.store(builder.trunc(args[1], ir.IntType(bits)), ptr, align=1)
            return context.get_dummy_value()
        return types.void(types.uint64, types.uint64), codegen
    return store


load8, load16, load32, load64 = _load(8), _load(16), _load(32), _load(64)
store8, store16, store32, store64 = _store(8), _store(16), _store(32), _store(64)


@intrinsic
def ptr_to_int(typingctx, pointer):
    """Turn a void pointer (cfunc argument) into an integer address."""
    def codegen(context, builder, signature, args):
        return builder.ptrtoint(args[0], _I64)
    return types.uint64(types.voidptr), codegen


@njit(inline="always")
def load_sized(host, size, signed):
    """The 1-, 2- or 4-byte value at host address `host`, sign-extended when `signed`
    (without a data-dependent branch)."""
    h = np.uint64(host)
    if size == 1:
        value = np.int64(load8(h))
        return (value ^ 0x80) - 0x80 if signed else value
    if size == 2:
        value = np.int64(load16(h))
        return (value ^ 0x8000) - 0x8000 if signed else value
    return np.int64(load32(h))


@njit(inline="always")
def store_sized(host, size, value):
    """Store the low 1, 2 or 4 bytes of `value` at host address `host`."""
    h, v = np.uint64(host), np.uint64(value & 0xFFFFFFFF)
    if size == 1:
        store8(h, v)
    elif size == 2:
        store16(h, v)
    else:
        store32(h, v)
