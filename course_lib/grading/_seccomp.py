"""A seccomp filter that refuses ``socket(AF_UNIX, ...)``: no path to any Unix socket of the host.

A network namespace cuts TCP and abstract sockets, but a socket *file* reachable
through a bind (``/run/docker.sock``, ``/tmp/.X11-unix/X0``) still accepts
``connect()``. Refusing to create an ``AF_UNIX`` socket closes every such path,
abstract ones included, while ``socketpair()`` (asyncio's self-pipe) keeps working.
Any other syscall ABI on the same machine (i386, x32) is refused outright.

This file imports nothing from the package: the privilege-dropping trampoline
(``_drop.py``) loads it by path. :func:`program` returns the raw BPF for
``bwrap --seccomp FD``; :func:`install` applies it to the calling process.
"""

from __future__ import annotations

import ctypes
import platform
import struct

__all__ = ["program", "install"]

_LD_ABS, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06
_ALLOW = 0x7FFF0000
_DENY = 0x00050000 | 13  # SECCOMP_RET_ERRNO | EACCES
_AF_UNIX = 1
# machine -> (AUDIT_ARCH_*, __NR_socket, x32 bit to refuse or 0)
_ARCHES = {"x86_64": (0xC000003E, 41, 0x40000000), "aarch64": (0xC00000B7, 198, 0)}


def program() -> bytes | None:
    """The filter as ``struct sock_filter`` records, or None on an architecture we do not know."""
    arch = _ARCHES.get(platform.machine())
    if arch is None:
        return None
    audit, nr_socket, x32 = arch
    ins = [(_LD_ABS, 0, 0, 4), (_JEQ, 1, 0, audit), (_RET, 0, 0, _DENY), (_LD_ABS, 0, 0, 0)]
    if x32:
        ins += [(_JGE, 0, 1, x32), (_RET, 0, 0, _DENY)]
    ins += [(_JEQ, 0, 3, nr_socket), (_LD_ABS, 0, 0, 16), (_JEQ, 0, 1, _AF_UNIX),
            (_RET, 0, 0, _DENY), (_RET, 0, 0, _ALLOW)]
    return b"".join(struct.pack("=HBBI", *i) for i in ins)


def install() -> bool:
    """Apply the filter to this process and its future children; False if it cannot be applied."""
    code = program()
    if code is None:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(code, len(code))

    class _Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = _Prog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
    pr_set_no_new_privs, pr_set_seccomp, mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(pr_set_seccomp, mode_filter, ctypes.byref(prog), 0, 0) == 0
