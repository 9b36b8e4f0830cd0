"""No network for this process: a seccomp filter that refuses every socket but a local one.

`kg serve` runs its SPARQL queries in worker processes that install this filter first. The
SPARQL engine can then not reach another machine whatever a query says (a ``SERVICE`` in a
spelling that no check foresaw), since the kernel refuses to create the socket: the guarantee
does not depend on reading the query right. Local (AF_UNIX) sockets, which the worker's pipe
to the server uses, stay allowed; io_uring, which can open sockets on its own, is refused.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct
import sys

# seccomp and BPF constants (linux/seccomp.h, linux/filter.h, linux/audit.h)
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_LOAD, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, JMP|JEQ|K, JMP|JGE|K, RET|K
_ALLOW, _DENY = 0x7FFF0000, 0x00050000 | errno.EACCES  # SECCOMP_RET_ALLOW, RET_ERRNO(EACCES)
_AF_UNIX = 1
#: machine -> (audit arch, socket(2) number, io_uring_setup(2) number, first foreign number)
_ARCHES = {"x86_64": (0xC000003E, 41, 425, 0x40000000),  # x32 calls have bit 30 set
           "aarch64": (0xC00000B7, 198, 425, 0xFFFFFFFF)}


class _Filter(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _program(arch: int, socket_nr: int, io_uring_nr: int, foreign: int) -> bytes:
    """The BPF program: another ABI's system calls, io_uring and non-local sockets -> EACCES."""
    def op(code: int, jt: int, jf: int, k: int) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    return b"".join([
        op(_LOAD, 0, 0, 4),                # seccomp_data.arch
        op(_JEQ, 1, 0, arch),
        op(_RET, 0, 0, _DENY),             # a 32-bit call from a 64-bit process
        op(_LOAD, 0, 0, 0),                # seccomp_data.nr
        op(_JGE, 0, 1, foreign),
        op(_RET, 0, 0, _DENY),
        op(_JEQ, 2, 0, socket_nr),
        op(_JEQ, 0, 3, io_uring_nr),
        op(_RET, 0, 0, _DENY),
        op(_LOAD, 0, 0, 16),               # socket(domain, ...): args[0], low word
        op(_JEQ, 0, 1, _AF_UNIX),
        op(_RET, 0, 0, _ALLOW),
        op(_RET, 0, 0, _DENY),
    ])


def deny_network() -> bool:
    """Install the filter for this process and its children, for good. False where the
    platform has no seccomp filter (not Linux, or another processor) or the kernel refused."""
    arch = _ARCHES.get(platform.machine())
    if not sys.platform.startswith("linux") or arch is None:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    program = _program(*arch)
    code = ctypes.create_string_buffer(program)
    prog = _Filter(len(program) // 8, ctypes.addressof(code))
    return (libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            and libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0)
