"""A seccomp filter for the sandboxed child: refuse the system calls a WebSocket endpoint never needs.

Namespaces, mounts, tracing, kernel keyrings, BPF, io_uring, module loading,
``modify_ldt`` and ``memfd_secret`` are the usual ways from an unprivileged
process into the kernel's soft spots; the child gets EPERM for them, ENOSYS
for clone3 (so the C library falls back to clone, whose namespace flags are
then checked) and EAFNOSUPPORT for vsock sockets, which reach the host past
the empty network namespace. Only x86_64 has a
table here; elsewhere ``install`` reports that it did nothing.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

from grader import _linux

_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000
_AUDIT_ARCH_X86_64 = 0xC000003E

_LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_AND = 0x54  # BPF_ALU | BPF_AND | BPF_K
_RET = 0x06  # BPF_RET | BPF_K

_X86_64_DENIED = {
    "ptrace": 101,
    "syslog": 103,
    "vhangup": 153,
    "pivot_root": 155,
    "chroot": 161,
    "acct": 163,
    "settimeofday": 164,
    "mount": 165,
    "umount2": 166,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "init_module": 175,
    "delete_module": 176,
    "quotactl": 179,
    "modify_ldt": 154,  # 16-bit segments: a source of kernel bugs, never needed by Python
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "perf_event_open": 298,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "finit_module": 313,
    "kexec_file_load": 320,
    "bpf": 321,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
    "memfd_secret": 447,  # memory the kernel itself cannot see: hides what a sandboxed process holds
}
_X86_64_CLONE = 56
_X86_64_CLONE3 = 435
_X86_64_SOCKET = 41
_X86_64_SOCKETPAIR = 53
# Address families a WebSocket endpoint never needs that reach past the network namespace: vsock talks to
# the hypervisor and to other virtual machines' hosts whatever the namespace says.
_DENIED_FAMILIES = {"AF_VSOCK": 40}
_NAMESPACE_FLAGS = (
    _linux.CLONE_NEWNS
    | _linux.CLONE_NEWUTS
    | _linux.CLONE_NEWIPC
    | _linux.CLONE_NEWUSER
    | _linux.CLONE_NEWPID
    | _linux.CLONE_NEWNET
    | 0x02000000
)  # CLONE_NEWCGROUP


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _program() -> list[bytes]:
    eperm = _RET_ERRNO | errno.EPERM
    denied = sorted(_X86_64_DENIED.values())
    prog = [
        _insn(_LD_ABS, 4),  # seccomp_data.arch
        _insn(_JEQ, _AUDIT_ARCH_X86_64, jt=1, jf=0),
        _insn(_RET, _RET_KILL_PROCESS),
        _insn(_LD_ABS, 0),  # seccomp_data.nr
        _insn(_JGE, 0x40000000, jt=0, jf=1),  # x32 ABI numbers: refuse
        _insn(_RET, eperm),
    ]
    for number in denied:
        prog += [_insn(_JEQ, number, jt=0, jf=1), _insn(_RET, eperm)]
    no_family = _RET_ERRNO | errno.EAFNOSUPPORT
    for call in (_X86_64_SOCKET, _X86_64_SOCKETPAIR):
        # if nr == call: load the family (args[0], low 32 bits), refuse the denied ones, allow the rest
        families = sorted(_DENIED_FAMILIES.values())
        body = [_insn(_LD_ABS, 16)]
        for family in families:
            body += [_insn(_JEQ, family, jt=0, jf=1), _insn(_RET, no_family)]
        body += [_insn(_RET, _RET_ALLOW)]
        prog += [_insn(_JEQ, call, jt=0, jf=len(body)), *body]
    prog += [
        _insn(_JEQ, _X86_64_CLONE3, jt=0, jf=1),
        _insn(_RET, _RET_ERRNO | errno.ENOSYS),
        _insn(_JEQ, _X86_64_CLONE, jt=1, jf=0),
        _insn(_RET, _RET_ALLOW),
        _insn(_LD_ABS, 16),  # clone's flags: seccomp_data.args[0], low 32 bits
        _insn(_AND, _NAMESPACE_FLAGS),
        _insn(_JEQ, 0, jt=0, jf=1),
        _insn(_RET, _RET_ALLOW),
        _insn(_RET, eperm),
    ]
    return prog


def install() -> bool:
    """Install the filter on this process (inherited by everything it starts). False if unsupported."""
    if platform.machine() != "x86_64":
        return False
    code = b"".join(_program())
    buffer = ctypes.create_string_buffer(code, len(code))

    class _Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    program = _Program(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp: {errno.errorcode.get(err, err)}")
    return True
