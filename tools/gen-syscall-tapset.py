#!/usr/bin/env python3
"""Writes tapset/syscalls.stp, tapset/syscalls2.stp and tapset/syscall_table.stp.

The system calls of x86_64 Debian kernels (6.1 and 6.12): names and numbers
from each header tree's unistd_64.h, the entry point of each number from its
generated asm/syscalls_64.h, argument names and types from
include/linux/syscalls.h. The calls stap's tapset formats with care (the
most used ones) are described in DETAILED below: their variables and argstr
are stap's; every other call gets its arguments under the kernel's names and
a plain argstr (numbers in decimal, pointers in hex, path strings quoted).

Each call is probed at its x86_64 entry point __x64_sys_ENTRY(regs), whose
arguments are the registers of the inner pt_regs (di, si, dx, r10, r8, r9).
BTF names that parameter $regs or, for calls that may be configured out
(their prototype comes from kernel/sys_ni.c), $__unused; the prologue takes
whichever is defined. System calls without arguments are missing from BTF:
those are probed on the raw_syscalls tracepoints, filtered by number.

Usage: tools/gen-syscall-tapset.py HEADERS_6_1 HEADERS_6_12 LIST_6_1 LIST_6_12
where HEADERS_* are /usr/src/linux-headers-<release> trees (the arch one; its
-common sibling is found from its Makefile) and LIST_* the output of
  mstap -L 'kernel.function("__x64_sys_*")' --sysroot ... -r ...
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Offsets of the argument registers in x86_64's struct pt_regs.
REG_OFFSET = {1: 112, 2: 104, 3: 96, 4: 56, 5: 72, 6: 64}  # di si dx r10 r8 r9

# ---------------------------------------------------------------- detailed
# name: (entry or None, summary, [(var, expr, doc)], argstr, retformat, options)
# In expr, A1..A6 are the raw argument registers (long). Helpers are in
# tapset/syscall_format.stp.
S = "__sys_ustr"  # quoted user string, or the address when unreadable


def v(var, expr, doc):
    return (var, expr, doc)


def fd(var="fd", n=1, doc="the file descriptor"):
    return v(var, f"__sys_int(A{n})", doc)


def path(var, n, doc="the path, as a quoted string"):
    return [v(var + "_uaddr", f"A{n}", "the user address of the path"),
            v(var, f"{S}(A{n})", doc)]


def dfd(var="dirfd", n=1):
    return [v(var, f"__sys_int(A{n})", "the directory file descriptor the path is relative to"),
            v(var + "_str", f"__sys_dfd_str({var})", "the directory: AT_FDCWD or the number")]


DETAILED = {
    "read": (None, "read from a file descriptor",
             [fd(), v("buf_uaddr", "A2", "the user buffer's address"),
              v("count", "A3", "the number of bytes to read")],
             'sprintf("%d, %p, %u", fd, buf_uaddr, count)', 1, {}),
    "write": (None, "write to a file descriptor",
              [fd(), v("buf_uaddr", "A2", "the user buffer's address"),
               v("count", "A3", "the number of bytes to write")],
              'sprintf("%d, %p, %u", fd, buf_uaddr, count)', 1,
              {"note": "stap 4.x shows the buffer's first bytes quoted where argstr has buf_uaddr."}),
    "pread": ("pread64", "read from a file descriptor at an offset",
              [fd(), v("buf_uaddr", "A2", "the user buffer's address"),
               v("count", "A3", "the number of bytes to read"), v("offset", "A4", "the file offset")],
              'sprintf("%d, %p, %u, %d", fd, buf_uaddr, count, offset)', 1, {}),
    "pwrite": ("pwrite64", "write to a file descriptor at an offset",
               [fd(), v("buf_uaddr", "A2", "the user buffer's address"),
                v("count", "A3", "the number of bytes to write"), v("offset", "A4", "the file offset")],
               'sprintf("%d, %p, %u, %d", fd, buf_uaddr, count, offset)', 1, {}),
    "readv": (None, "read into several buffers",
              [fd(), v("vector_uaddr", "A2", "the address of the struct iovec array"),
               v("count", "__sys_int(A3)", "the number of buffers")],
              'sprintf("%d, %p, %d", fd, vector_uaddr, count)', 1, {}),
    "writev": (None, "write from several buffers",
               [fd(), v("vector_uaddr", "A2", "the address of the struct iovec array"),
                v("count", "__sys_int(A3)", "the number of buffers")],
               'sprintf("%d, %p, %d", fd, vector_uaddr, count)', 1, {}),
    "open": (None, "open a file",
             path("filename", 1) + [v("flags", "__sys_int(A2)", "the open flags"),
                                    v("mode", "__sys_uint(A3)", "the mode of a created file")],
             '__sys_open_argstr(filename, flags, mode)', 1, {}),
    "openat": (None, "open a file relative to a directory",
               dfd("dfd") + path("filename", 2) + [v("flags", "__sys_int(A3)", "the open flags"),
                                                  v("mode", "__sys_uint(A4)", "the mode of a created file")],
               'dfd_str . ", " . __sys_open_argstr(filename, flags, mode)', 1, {}),
    "creat": (None, "create a file",
              path("pathname", 1) + [v("mode", "__sys_uint(A2)", "the mode")],
              'sprintf("%s, %#o", pathname, mode)', 1, {}),
    "close": (None, "close a file descriptor", [fd()], 'sprintf("%d", fd)', 1, {}),
    "mmap2": None,  # not on x86_64
    "mmap": (None, "map files or devices into memory",
             [v("start", "A1", "the address asked for"), v("length", "A2", "the length"),
              v("prot", "__sys_int(A3)", "the protection"), v("flags", "__sys_int(A4)", "the mapping flags"),
              v("fd", "__sys_int(A5)", "the file descriptor (-1 for anonymous maps)"),
              v("offset", "A6", "the offset in the file")],
             'sprintf("%p, %u, %s, %s, %d, %d", start, length, __sys_mprotect_prot_str(prot), __sys_mmap_flags_str(flags), fd, offset)',
             2, {"len_alias": True}),
    "munmap": (None, "unmap memory",
               [v("start", "A1", "the start address"), v("length", "A2", "the length")],
               'sprintf("%p, %u", start, length)', 1, {}),
    "mprotect": (None, "set the protection of memory",
                 [v("addr", "A1", "the start address"), v("len", "A2", "the length"),
                  v("prot", "__sys_int(A3)", "the protection"),
                  v("prot_str", "__sys_mprotect_prot_str(prot)", "the protection as PROT_ names")],
                 'sprintf("%p, %d, %s", addr, len, prot_str)', 1, {}),
    "brk": (None, "change the data segment's end",
            [v("brk", "A1", "the new end")], 'sprintf("%p", brk)', 2, {}),
    "ioctl": (None, "control a device",
              [fd(), v("request", "__sys_int(A2)", "the request code"),
               v("argp", "A3", "the argument (an address, mostly)")],
              'sprintf("%d, %d, %p", fd, request, argp)', 1, {}),
    "poll": (None, "wait for events on file descriptors",
             [v("ufds_uaddr", "A1", "the address of the struct pollfd array"),
              v("nfds", "__sys_uint(A2)", "the number of entries"),
              v("timeout", "__sys_int(A3)", "the timeout in milliseconds")],
             'sprintf("%p, %u, %d", ufds_uaddr, nfds, timeout)', 1, {}),
    "ppoll": (None, "wait for events on file descriptors, with a signal mask",
              [v("fds_uaddr", "A1", "the address of the struct pollfd array"),
               v("nfds", "__sys_uint(A2)", "the number of entries"),
               v("tsp", "A3", "the address of the timeout's struct timespec"),
               v("sigmask", "A4", "the address of the signal mask"),
               v("sigsetsize", "A5", "the mask's size")],
              'sprintf("%p, %u, %p, %p, %d", fds_uaddr, nfds, tsp, sigmask, sigsetsize)', 1, {}),
    "select": (None, "synchronous I/O multiplexing",
               [v("n", "__sys_int(A1)", "the highest descriptor plus one"),
                v("readfds_uaddr", "A2", "the read set's address"),
                v("writefds_uaddr", "A3", "the write set's address"),
                v("exceptfds_uaddr", "A4", "the exception set's address"),
                v("timeout_uaddr", "A5", "the address of the struct timeval timeout")],
               'sprintf("%d, %p, %p, %p, %p", n, readfds_uaddr, writefds_uaddr, exceptfds_uaddr, timeout_uaddr)', 1, {}),
    "pselect6": (None, "synchronous I/O multiplexing, with a signal mask",
                 [v("nfds", "__sys_int(A1)", "the highest descriptor plus one"),
                  v("readfds", "A2", "the read set's address"),
                  v("writefds", "A3", "the write set's address"),
                  v("exceptfds", "A4", "the exception set's address"),
                  v("timeout", "A5", "the address of the struct timespec timeout"),
                  v("sigmask", "A6", "the address of the mask and its size")],
                 'sprintf("%d, %p, %p, %p, %p, %p", nfds, readfds, writefds, exceptfds, timeout, sigmask)', 1, {}),
    "epoll_wait": (None, "wait for events on an epoll descriptor",
                   [v("epfd", "__sys_int(A1)", "the epoll descriptor"),
                    v("events_uaddr", "A2", "the address of the events array"),
                    v("maxevents", "__sys_int(A3)", "the array's length"),
                    v("timeout", "__sys_int(A4)", "the timeout in milliseconds")],
                   'sprintf("%d, %p, %d, %d", epfd, events_uaddr, maxevents, timeout)', 1, {}),
    "epoll_pwait": (None, "wait for events on an epoll descriptor, with a signal mask",
                    [v("epfd", "__sys_int(A1)", "the epoll descriptor"),
                     v("events_uaddr", "A2", "the address of the events array"),
                     v("maxevents", "__sys_int(A3)", "the array's length"),
                     v("timeout", "__sys_int(A4)", "the timeout in milliseconds"),
                     v("sigmask_uaddr", "A5", "the signal mask's address"),
                     v("sigsetsize", "A6", "the mask's size")],
                    'sprintf("%d, %p, %d, %d, %p, %d", epfd, events_uaddr, maxevents, timeout, sigmask_uaddr, sigsetsize)', 1, {}),
    "futex": (None, "fast user-space locking",
              [v("futex_uaddr", "A1", "the futex word's address"),
               v("op", "__sys_int(A2)", "the operation"),
               v("val", "__sys_int(A3)", "the value"),
               v("utime_uaddr", "A4", "the timeout's address (or val2)"),
               v("uaddr2_uaddr", "A5", "the second futex's address"),
               v("val3", "__sys_int(A6)", "the third value")],
              '__sys_futex_argstr(futex_uaddr, op, val, utime_uaddr, uaddr2_uaddr, val3)', 1,
              {"note": "stap prints the timeout's struct timespec; this prints its address."}),
    "clone": (None, "create a child process or thread",
              [v("clone_flags", "A1", "the CLONE_ flags and exit signal"),
               v("stack_start", "A2", "the child's stack"),
               v("parent_tid_uaddr", "A3", "where the parent gets the child's tid"),
               v("child_tid_uaddr", "A4", "where the child gets its tid"),
               v("tls", "A5", "the child's thread-local storage")],
              'sprintf("%s, %p, %p, %p, %p", __sys_clone_flags_str(clone_flags), stack_start, parent_tid_uaddr, child_tid_uaddr, tls)', 1, {}),
    "clone3": (None, "create a child process or thread, from a struct clone_args",
               [v("cl_args_uaddr", "A1", "the address of the struct clone_args"),
                v("size", "A2", "its size")],
               'sprintf("%p, %u", cl_args_uaddr, size)', 1, {}),
    "fork": (None, "create a child process", [], '""', 1, {}),
    "vfork": (None, "create a child process and block the parent", [], '""', 1, {}),
    "execve": (None, "execute a program",
               path("filename", 1) + [v("args_uaddr", "A2", "the address of the argument vector"),
                                      v("env_uaddr", "A3", "the address of the environment vector")],
               'sprintf("%s, %p, %p", filename, args_uaddr, env_uaddr)', 1,
               {"note": "stap lists the arguments (args) and counts the environment; without user_long this prints the vectors' addresses."}),
    "execveat": (None, "execute a program relative to a directory",
                 dfd("dirfd") + path("filename", 2) +
                 [v("args_uaddr", "A3", "the address of the argument vector"),
                  v("env_uaddr", "A4", "the address of the environment vector"),
                  v("flags", "__sys_int(A5)", "AT_ flags"),
                  v("flags_str", "__sys_at_flag_str(flags)", "the flags as AT_ names")],
                 'sprintf("%s, %s, %p, %p, %s", dirfd_str, filename, args_uaddr, env_uaddr, flags_str)', 1,
                 {"note": "stap lists the arguments; this prints the vectors' addresses."}),
    "exit": (None, "terminate the calling thread",
             [v("status", "__sys_int(A1)", "the exit status")], 'sprintf("%d", status)', 1, {"noreturn": True}),
    "exit_group": (None, "terminate every thread of the process",
                   [v("status", "__sys_int(A1)", "the exit status")], 'sprintf("%d", status)', 1, {"noreturn": True}),
    "wait4": (None, "wait for a child process to change state",
              [v("pid", "__sys_int(A1)", "the child to wait for (or -1, 0, -pgid)"),
               v("status_uaddr", "A2", "where the status goes"),
               v("options", "__sys_int(A3)", "the W options"),
               v("options_str", "__sys_wait_options_str(options)", "the options as W names"),
               v("rusage_uaddr", "A4", "where the resource usage goes")],
              'sprintf("%d, %p, %s, %p", pid, status_uaddr, options_str, rusage_uaddr)', 1, {}),
    "kill": (None, "send a signal to a process",
             [v("pid", "__sys_int(A1)", "the process (or group)"),
              v("sig", "__sys_int(A2)", "the signal")],
             'sprintf("%d, %s", pid, __sys_signal_name(sig))', 1, {}),
    "tgkill": (None, "send a signal to a thread",
               [v("tgid", "__sys_int(A1)", "the thread group"),
                v("pid", "__sys_int(A2)", "the thread"),
                v("sig", "__sys_int(A3)", "the signal")],
               'sprintf("%d, %d, %s", tgid, pid, __sys_signal_name(sig))', 1, {}),
    "tkill": (None, "send a signal to a thread",
              [v("pid", "__sys_int(A1)", "the thread"), v("sig", "__sys_int(A2)", "the signal")],
              'sprintf("%d, %s", pid, __sys_signal_name(sig))', 1, {}),
    "nanosleep": (None, "high-resolution sleep",
                  [v("req_uaddr", "A1", "the address of the requested struct timespec"),
                   v("rem_uaddr", "A2", "where the time left goes")],
                  'sprintf("%p, %p", req_uaddr, rem_uaddr)', 1,
                  {"note": "stap prints the requested time ([s.ns]); this prints its address."}),
    "clock_nanosleep": (None, "high-resolution sleep on a clock",
                        [v("which_clock", "__sys_int(A1)", "the clock"),
                         v("flags", "__sys_int(A2)", "0 or TIMER_ABSTIME"),
                         v("req_uaddr", "A3", "the address of the requested struct timespec"),
                         v("rem_uaddr", "A4", "where the time left goes")],
                        'sprintf("%s, %s, %p, %p", __sys_clock_str(which_clock), flags == 1 ? "TIMER_ABSTIME" : sprintf("%#x", flags), req_uaddr, rem_uaddr)', 1,
                        {"note": "stap prints the requested time; this prints its address."}),
    "socket": (None, "create an endpoint for communication",
               [v("family", "__sys_int(A1)", "the protocol family"),
                v("type", "__sys_int(A2)", "the socket type and SOCK_ flags"),
                v("protocol", "__sys_int(A3)", "the protocol")],
               'sprintf("%s, %s, %s", __sys_sock_family_str(family), __sys_sock_type_str(type), __sys_sock_protocol_str(family, protocol))', 1, {}),
    "connect": (None, "initiate a connection on a socket",
                [v("sockfd", "__sys_int(A1)", "the socket"),
                 v("serv_addr_uaddr", "A2", "the address of the peer's struct sockaddr"),
                 v("addrlen", "__sys_uint(A3)", "its length")],
                'sprintf("%d, %p, %u", sockfd, serv_addr_uaddr, addrlen)', 1,
                {"note": "stap decodes the struct sockaddr ({AF_INET, 127.0.0.1, 80}); this prints its address."}),
    "bind": (None, "bind a name to a socket",
             [v("sockfd", "__sys_int(A1)", "the socket"),
              v("my_addr_uaddr", "A2", "the address of the struct sockaddr"),
              v("addrlen", "__sys_uint(A3)", "its length")],
             'sprintf("%d, %p, %u", sockfd, my_addr_uaddr, addrlen)', 1,
             {"note": "stap decodes the struct sockaddr; this prints its address."}),
    "listen": (None, "listen for connections on a socket",
               [v("sockfd", "__sys_int(A1)", "the socket"), v("backlog", "__sys_int(A2)", "the queue's length")],
               'sprintf("%d, %d", sockfd, backlog)', 1, {}),
    "accept": (None, "accept a connection on a socket",
               [v("sockfd", "__sys_int(A1)", "the socket"),
                v("addr_uaddr", "A2", "where the peer's address goes"),
                v("addrlen_uaddr", "A3", "where its length goes")],
               'sprintf("%d, %p, %p", sockfd, addr_uaddr, addrlen_uaddr)', 1, {}),
    "accept4": (None, "accept a connection on a socket, with flags",
                [v("sockfd", "__sys_int(A1)", "the socket"),
                 v("addr_uaddr", "A2", "where the peer's address goes"),
                 v("addrlen_uaddr", "A3", "where its length goes"),
                 v("flags", "__sys_int(A4)", "SOCK_NONBLOCK, SOCK_CLOEXEC"),
                 v("flags_str", "__sys_sock_flags_str(flags)", "the flags as names")],
                'sprintf("%d, %p, %p, %s", sockfd, addr_uaddr, addrlen_uaddr, flags_str)', 1, {}),
    "sendto": (None, "send a message on a socket",
               [v("s", "__sys_int(A1)", "the socket"), v("buf_uaddr", "A2", "the message's address"),
                v("len", "A3", "its length"), v("flags", "__sys_uint(A4)", "the MSG_ flags"),
                v("flags_str", "__sys_msg_flags_str(flags)", "the flags as MSG_ names"),
                v("to_uaddr", "A5", "the address of the destination's struct sockaddr"),
                v("tolen", "__sys_uint(A6)", "its length")],
               'sprintf("%d, %p, %u, %s, %p, %u", s, buf_uaddr, len, flags_str, to_uaddr, tolen)', 1,
               {"note": "stap decodes the destination's struct sockaddr; this prints its address."}),
    "recvfrom": (None, "receive a message from a socket",
                 [v("s", "__sys_int(A1)", "the socket"), v("buf_uaddr", "A2", "the buffer's address"),
                  v("len", "A3", "its length"), v("flags", "__sys_uint(A4)", "the MSG_ flags"),
                  v("flags_str", "__sys_msg_flags_str(flags)", "the flags as MSG_ names"),
                  v("addr_uaddr", "A5", "where the source's address goes"),
                  v("addrlen_uaddr", "A6", "where its length goes")],
                 'sprintf("%d, %p, %u, %s, %p, %p", s, buf_uaddr, len, flags_str, addr_uaddr, addrlen_uaddr)', 1, {}),
    "sendmsg": (None, "send a message on a socket",
                [v("s", "__sys_int(A1)", "the socket"), v("msg_uaddr", "A2", "the struct msghdr's address"),
                 v("flags", "__sys_uint(A3)", "the MSG_ flags"),
                 v("flags_str", "__sys_msg_flags_str(flags)", "the flags as MSG_ names")],
                'sprintf("%d, %p, %s", s, msg_uaddr, flags_str)', 1, {}),
    "recvmsg": (None, "receive a message from a socket",
                [v("s", "__sys_int(A1)", "the socket"), v("msg_uaddr", "A2", "the struct msghdr's address"),
                 v("flags", "__sys_uint(A3)", "the MSG_ flags"),
                 v("flags_str", "__sys_msg_flags_str(flags)", "the flags as MSG_ names")],
                'sprintf("%d, %p, %s", s, msg_uaddr, flags_str)', 1, {}),
    "shutdown": (None, "shut down part of a full-duplex connection",
                 [v("s", "__sys_int(A1)", "the socket"), v("how", "__sys_int(A2)", "SHUT_RD, SHUT_WR or SHUT_RDWR"),
                  v("how_str", '__sys_pick3(how, "SHUT_RD", "SHUT_WR", "SHUT_RDWR")', "how, as a name")],
                 'sprintf("%d, %s", s, how_str)', 1, {}),
    "stat": ("newstat", "get a file's status",
             path("filename", 1) + [v("buf_uaddr", "A2", "where the struct stat goes")],
             'sprintf("%s, %p", filename, buf_uaddr)', 1, {}),
    "lstat": ("newlstat", "get a file's status, not following a final symbolic link",
              path("filename", 1) + [v("buf_uaddr", "A2", "where the struct stat goes")],
              'sprintf("%s, %p", filename, buf_uaddr)', 1, {}),
    "fstat": ("newfstat", "get an open file's status",
              [fd("filedes"), v("buf_uaddr", "A2", "where the struct stat goes")],
              'sprintf("%d, %p", filedes, buf_uaddr)', 1, {}),
    "fstatat": ("newfstatat", "get a file's status relative to a directory",
                dfd("dirfd") + path("path", 2) +
                [v("buf_uaddr", "A3", "where the struct stat goes"),
                 v("flags", "__sys_int(A4)", "AT_ flags"),
                 v("flags_str", "__sys_at_flag_str(flags)", "the flags as AT_ names")],
                'sprintf("%s, %s, %p, %s", dirfd_str, path, buf_uaddr, flags_str)', 1,
                {"note": "The system call is newfstatat; stap names it fstatat."}),
    "statx": (None, "get a file's extended status",
              dfd("dfd") + path("filename", 2) +
              [v("flags", "__sys_int(A3)", "AT_ flags"),
               v("flags_str", "__sys_at_flag_str(flags)", "the flags as AT_ names"),
               v("mask", "__sys_uint(A4)", "the STATX_ fields asked for"),
               v("buf_uaddr", "A5", "where the struct statx goes")],
              'sprintf("%s, %s, %s, %#x, %p", dfd_str, filename, flags_str, mask, buf_uaddr)', 1,
              {"note": "stap names the mask's STATX_ bits; this prints it in hex."}),
    "getdents": (None, "get directory entries",
                 [fd(), v("dirp_uaddr", "A2", "where the entries go"), v("count", "__sys_uint(A3)", "the buffer's size")],
                 'sprintf("%d, %p, %u", fd, dirp_uaddr, count)', 1, {}),
    "getdents64": (None, "get directory entries (64-bit)",
                   [fd(), v("dirp_uaddr", "A2", "where the entries go"), v("count", "__sys_uint(A3)", "the buffer's size")],
                   'sprintf("%d, %p, %u", fd, dirp_uaddr, count)', 1, {}),
    "fsync": (None, "synchronize a file's state with storage", [fd()], 'sprintf("%d", fd)', 1, {}),
    "fdatasync": (None, "synchronize a file's data with storage", [fd()], 'sprintf("%d", fd)', 1, {}),
    "lseek": (None, "reposition a file offset",
              [fd("fildes"), v("offset", "A2", "the offset"),
               v("whence", "__sys_uint(A3)", "SEEK_SET, SEEK_CUR, SEEK_END..."),
               v("whence_str", "__sys_seek_whence_str(whence)", "whence, as a name")],
              'sprintf("%d, %d, %s", fildes, offset, whence_str)', 1, {}),
    "dup": (None, "duplicate a file descriptor",
            [v("oldfd", "__sys_int(A1)", "the descriptor")], 'sprintf("%d", oldfd)', 1, {}),
    "dup2": (None, "duplicate a file descriptor to a given number",
             [v("oldfd", "__sys_int(A1)", "the descriptor"), v("newfd", "__sys_int(A2)", "the new number")],
             'sprintf("%d, %d", oldfd, newfd)', 1, {}),
    "dup3": (None, "duplicate a file descriptor to a given number, with flags",
             [v("oldfd", "__sys_int(A1)", "the descriptor"), v("newfd", "__sys_int(A2)", "the new number"),
              v("flags", "__sys_int(A3)", "0 or O_CLOEXEC")],
             'sprintf("%d, %d, %s", oldfd, newfd, flags == 0 ? "0x0" : __sys_open_flag_str(flags))', 1, {}),
    "pipe": (None, "create a pipe",
             [v("fildes_uaddr", "A1", "where the two descriptors go")], 'sprintf("%p", fildes_uaddr)', 1,
             {"note": "stap's .return shows the two descriptors; reading them needs user_int."}),
    "pipe2": (None, "create a pipe, with flags",
              [v("fildes_uaddr", "A1", "where the two descriptors go"),
               v("flags", "__sys_int(A2)", "O_CLOEXEC, O_NONBLOCK, O_DIRECT"),
               v("flag_str", 'flags == 0 ? "0x0" : __sys_open_flag_str(flags)', "the flags as names")],
              'sprintf("%p, %s", fildes_uaddr, flag_str)', 1, {}),
    "unlink": (None, "delete a name",
               path("pathname", 1), 'pathname', 1, {}),
    "unlinkat": (None, "delete a name relative to a directory",
                 dfd("dfd") + path("pathname", 2) +
                 [v("flag", "__sys_int(A3)", "0 or AT_REMOVEDIR"),
                  v("flag_str", "__sys_at_flag_str(flag)", "the flag as a name")],
                 'sprintf("%s, %s, %s", dfd_str, pathname, flag_str)', 1, {}),
    "rename": (None, "change a file's name",
               path("oldpath", 1) + path("newpath", 2), 'sprintf("%s, %s", oldpath, newpath)', 1, {}),
    "renameat": (None, "change a file's name, relative to directories",
                 dfd("olddirfd") + path("oldpath", 2) + dfd("newdirfd", 3) + path("newpath", 4),
                 'sprintf("%s, %s, %s, %s", olddirfd_str, oldpath, newdirfd_str, newpath)', 1, {}),
    "renameat2": (None, "change a file's name, relative to directories, with flags",
                  dfd("olddirfd") + path("oldpath", 2) + dfd("newdirfd", 3) + path("newpath", 4) +
                  [v("flags", "__sys_uint(A5)", "RENAME_ flags"),
                   v("flags_str", "__sys_renameat2_flags_str(flags)", "the flags as names")],
                  'sprintf("%s, %s, %s, %s, %s", olddirfd_str, oldpath, newdirfd_str, newpath, flags_str)', 1, {}),
    "mkdir": (None, "create a directory",
              path("pathname", 1) + [v("mode", "__sys_uint(A2)", "the mode")],
              'sprintf("%s, %#o", pathname, mode)', 1, {}),
    "mkdirat": (None, "create a directory relative to a directory",
                dfd("dirfd") + path("pathname", 2) + [v("mode", "__sys_uint(A3)", "the mode")],
                'sprintf("%s, %s, %#o", dirfd_str, pathname, mode)', 1, {}),
    "rmdir": (None, "delete a directory", path("pathname", 1), 'pathname', 1, {}),
    "chdir": (None, "change the working directory", path("path", 1), 'path', 1, {}),
    "fchdir": (None, "change the working directory to an open one", [fd()], 'sprintf("%d", fd)', 1, {}),
    "chmod": (None, "change a file's mode",
              path("path", 1) + [v("mode", "__sys_uint(A2)", "the mode")],
              'sprintf("%s, %#o", path, mode)', 1, {}),
    "fchmod": (None, "change an open file's mode",
               [fd("fildes"), v("mode", "__sys_uint(A2)", "the mode")],
               'sprintf("%d, %#o", fildes, mode)', 1, {}),
    "access": (None, "check the caller's permissions for a file",
               path("pathname", 1) + [v("mode", "__sys_int(A2)", "F_OK or R_OK, W_OK, X_OK"),
                                      v("mode_str", "__sys_access_mode_str(mode)", "the mode as names")],
               'sprintf("%s, %s", pathname, mode_str)', 1, {}),
    "faccessat": (None, "check the caller's permissions for a file relative to a directory",
                  dfd("dirfd") + path("pathname", 2) +
                  [v("mode", "__sys_int(A3)", "F_OK or R_OK, W_OK, X_OK"),
                   v("mode_str", "__sys_access_mode_str(mode)", "the mode as names")],
                  'sprintf("%s, %s, %s", dirfd_str, pathname, mode_str)', 1, {}),
    "faccessat2": (None, "check the caller's permissions for a file relative to a directory, with flags",
                   dfd("dirfd") + path("pathname", 2) +
                   [v("mode", "__sys_int(A3)", "F_OK or R_OK, W_OK, X_OK"),
                    v("mode_str", "__sys_access_mode_str(mode)", "the mode as names"),
                    v("flags", "__sys_int(A4)", "AT_ flags"),
                    v("flags_str", "__sys_at_flag_str(flags)", "the flags as names")],
                   'sprintf("%s, %s, %s, %s", dirfd_str, pathname, mode_str, flags_str)', 1, {}),
    "readlink": (None, "read a symbolic link's value",
                 path("path", 1) + [v("buf_uaddr", "A2", "where the value goes"),
                                    v("bufsiz", "__sys_int(A3)", "the buffer's size")],
                 'sprintf("%s, %p, %d", path, buf_uaddr, bufsiz)', 1, {}),
    "readlinkat": (None, "read a symbolic link's value relative to a directory",
                   dfd("dfd") + path("path", 2) + [v("buf_uaddr", "A3", "where the value goes"),
                                                   v("bufsiz", "__sys_int(A4)", "the buffer's size")],
                   'sprintf("%s, %s, %p, %d", dfd_str, path, buf_uaddr, bufsiz)', 1, {}),
    "getpid": (None, "get the process id", [], '""', 1, {}),
    "getppid": (None, "get the parent's process id", [], '""', 1, {}),
    "gettid": (None, "get the thread id", [], '""', 1, {}),
    "getuid": (None, "get the real user id", [], '""', 1, {}),
    "geteuid": (None, "get the effective user id", [], '""', 1, {}),
    "getgid": (None, "get the real group id", [], '""', 1, {}),
    "getegid": (None, "get the effective group id", [], '""', 1, {}),
    "setsid": (None, "create a session", [], '""', 1, {}),
    "sched_yield": (None, "yield the processor", [], '""', 1, {}),
    "rt_sigaction": (None, "examine and change a signal action",
                     [v("sig", "__sys_int(A1)", "the signal"),
                      v("act_uaddr", "A2", "the new struct sigaction's address"),
                      v("oact_uaddr", "A3", "where the old one goes"),
                      v("sigsetsize", "A4", "the mask's size")],
                     'sprintf("%s, %p, %p, %u", __sys_signal_name(sig), act_uaddr, oact_uaddr, sigsetsize)', 1,
                     {"note": "stap decodes the struct sigaction; this prints its address."}),
    "rt_sigprocmask": (None, "examine and change blocked signals",
                       [v("how", "__sys_int(A1)", "SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK"),
                        v("how_str", '__sys_pick3(how, "SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK")', "how, as a name"),
                        v("set_uaddr", "A2", "the new mask's address"),
                        v("oldset_uaddr", "A3", "where the old one goes"),
                        v("sigsetsize", "A4", "the mask's size")],
                       'sprintf("%s, %p, %p, %u", how_str, set_uaddr, oldset_uaddr, sigsetsize)', 1, {}),
    "umask": (None, "set the file creation mask",
              [v("mask", "__sys_uint(A1)", "the mask")], 'sprintf("%#o", mask)', 3, {}),
    "uname": ("newuname", "get the system's name", [v("name_uaddr", "A1", "where the struct utsname goes")],
              'sprintf("%p", name_uaddr)', 1, {}),
    "umount": ("umount", "unmount a file system",
               path("target", 1) + [v("flags", "__sys_int(A2)", "the MNT_ flags")],
               'sprintf("%s, %#x", target, flags)', 1, {"nr_name": "umount2"}),
    "getcwd": (None, "get the working directory",
               [v("buf_uaddr", "A1", "where the path goes"), v("len", "A2", "the buffer's size")],
               'sprintf("%p, %d", buf_uaddr, len)', 1, {}),
    "truncate": (None, "truncate a file to a length",
                 path("path", 1) + [v("length", "A2", "the length")], 'sprintf("%s, %d", path, length)', 1, {}),
    "ftruncate": (None, "truncate an open file to a length",
                  [fd(), v("length", "A2", "the length")], 'sprintf("%d, %d", fd, length)', 1, {}),
    "fcntl": (None, "manipulate a file descriptor",
              [fd(), v("cmd", "__sys_int(A2)", "the command"), v("arg", "A3", "its argument")],
              'sprintf("%d, %s, %#x", fd, __sys_fcntl_cmd_str(cmd), arg)', 1, {}),
    "sendfile": ("sendfile64", "transfer data between file descriptors",
                 [fd("out_fd"), fd("in_fd", 2), v("offset_uaddr", "A3", "the offset's address"),
                  v("count", "A4", "the number of bytes")],
                 'sprintf("%d, %d, %p, %u", out_fd, in_fd, offset_uaddr, count)', 1, {}),
    "setpgid": (None, "set a process group",
                [v("pid", "__sys_int(A1)", "the process"), v("pgid", "__sys_int(A2)", "the group")],
                'sprintf("%d, %d", pid, pgid)', 1, {}),
    "prctl": (None, "operations on a process",
              [v("option", "__sys_int(A1)", "the operation"), v("arg2", "A2", "argument 2"),
               v("arg3", "A3", "argument 3"), v("arg4", "A4", "argument 4"), v("arg5", "A5", "argument 5")],
              'sprintf("%d, %p, %p, %p, %p", option, arg2, arg3, arg4, arg5)', 1, {}),
    "madvise": (None, "give advice about memory use",
                [v("start", "A1", "the start address"), v("len", "A2", "the length"),
                 v("advice", "__sys_int(A3)", "the MADV_ advice")],
                'sprintf("%p, %u, %d", start, len, advice)', 1, {}),
    "set_tid_address": (None, "set the pointer to the thread id",
                        [v("tidptr_uaddr", "A1", "the address")], 'sprintf("%p", tidptr_uaddr)', 1, {}),
    "arch_prctl": (None, "set architecture-specific thread state",
                   [v("code", "__sys_int(A1)", "the ARCH_ code"), v("addr", "A2", "the argument")],
                   'sprintf("%#x, %p", code, addr)', 1, {}),
}
DETAILED = {k: val for k, val in DETAILED.items() if val is not None}


# ---------------------------------------------------------------- inputs
def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def common_tree(tree):
    """The -common tree an arch header tree includes from its Makefile."""
    mk = read(os.path.join(tree, "Makefile"))
    m = re.search(r"include\s+(\S+)/Makefile", mk)
    return os.path.normpath(os.path.join(tree, m.group(1))) if m else tree


def syscall_table(tree):
    """{name: (nr, entry)} of one tree's x86_64 table."""
    numbers = {}
    for m in re.finditer(r"#define __NR_(\w+)\s+(\d+)",
                         read(os.path.join(tree, "arch/x86/include/generated/uapi/asm/unistd_64.h"))):
        numbers[int(m.group(2))] = m.group(1)
    entries = {}
    for m in re.finditer(r"__SYSCALL\((\d+),\s*(\w+)\)",
                         read(os.path.join(tree, "arch/x86/include/generated/asm/syscalls_64.h"))):
        entries[int(m.group(1))] = m.group(2)
    table = {}
    for nr, name in numbers.items():
        entry = entries.get(nr)
        if entry is None or entry == "sys_ni_syscall" or not entry.startswith("sys_"):
            continue
        table[name] = (nr, entry[len("sys_"):])
    return table


def prototypes(tree):
    """{entry: [(type, name)]} from include/linux/syscalls.h."""
    text = read(os.path.join(common_tree(tree), "include/linux/syscalls.h"))
    protos = {}
    for m in re.finditer(r"asmlinkage\s+long\s+sys_(\w+)\s*\(([^;]*?)\)\s*;", text, re.S):
        params = " ".join(m.group(2).split())
        if params in ("void", ""):
            protos.setdefault(m.group(1), [])
            continue
        out = []
        for i, p in enumerate(params.split(",")):
            p = p.strip()
            pm = re.match(r"(.*?)(\w+)$", p)
            typ, nm = (pm.group(1).strip(), pm.group(2)) if pm else (p, "")
            if not typ or typ in ("struct", "unsigned", "const") or nm in ("int", "long", "char", "short"):
                typ, nm = p, f"arg{i + 1}"
            out.append((typ, nm))
        protos.setdefault(m.group(1), out)
    return protos


def btf_functions(listing):
    """The __x64_sys_ functions a `mstap -L` listing names."""
    return set(re.findall(r'__x64_sys_(\w+)"\)', read(listing)))


def errno_names(tree):
    names = {}
    common = common_tree(tree)
    for rel in ("include/uapi/asm-generic/errno-base.h", "include/uapi/asm-generic/errno.h",
                "include/linux/errno.h"):
        for m in re.finditer(r"#define\s+(E\w+)\s+(\d+)", read(os.path.join(common, rel))):
            names.setdefault(int(m.group(2)), m.group(1))
    return names


# ---------------------------------------------------------------- output
HEADER = """\
// Generated by tools/gen-syscall-tapset.py from the x86_64 system call tables
// of Debian's 6.1 and 6.12 kernel headers; edit the generator, not this file.
"""


def arg_reads(exprs):
    """The A<n> registers the expressions use."""
    used = set()
    for e in exprs:
        used.update(int(n) for n in re.findall(r"\bA([1-6])\b", e))
    return sorted(used)


def prologue_kprobe(name, entry, variables, argstr, extra_lines=()):
    lines = [f'\tname = "{name}"']
    used = arg_reads([e for _, e, _ in variables] + [argstr])
    if used:
        lines.append("\t__regs = @defined($regs) ? $regs : @defined($__unused) ? $__unused : 0")
        for n in used:
            lines.append(f"\t__a{n} = kernel_long(__regs + {REG_OFFSET[n]})")
    for var, expr, _ in variables:
        value = re.sub(r"\bA([1-6])\b", r"__a\1", expr)
        lines.append(f"\t{var} = {value}")
    lines.extend(extra_lines)
    lines.append(f"\targstr = {argstr}")
    return lines


def doc(alias, summary, entries, text):
    out = ["/**", f" * {alias} - {summary}"]
    for var, meaning in entries:
        out.append(f" * @{var}: {meaning}")
    if text:
        out.append(" *")
        for line in text:
            out.append(f" * {line}" if line else " *")
    out.append(" */")
    return out


def retformat_expr(fmt):
    return f"__sys_retstr({fmt}, retval)"


def emit_call(out, name, nr, entry, in_btf, variables, argstr, summary, retfmt, opts):
    names = [name] + opts.get("extra_names", [])
    entry_alias = ", ".join([f"syscall.{n}" for n in names] + [f"nd_syscall.{n}" for n in names])
    return_alias = ", ".join([f"syscall.{n}.return" for n in names] + [f"nd_syscall.{n}.return" for n in names])
    tracepoint = not in_btf
    how = (f"Probed on the raw_syscalls:sys_enter tracepoint for number {nr} (the kernel's BTF has no "
           f"__x64_sys_{entry}), and on sys_exit for the return." if tracepoint else
           f"Probed on __x64_sys_{entry}, the x86_64 entry point: arguments are the registers of "
           f"its struct pt_regs.")
    text = [how] + ([opts["note"]] if "note" in opts else [])
    docvars = [("name", f'"{name}"')] + [(var, d) for var, _, d in variables] + \
        [("argstr", "the arguments, formatted as stap formats them")]
    out += doc(f"syscall.{name}", summary, docvars, text)
    if tracepoint:
        out.append(f'probe {entry_alias} = kernel.trace("raw_syscalls:sys_enter")')
        out.append("{")
        out.append(f"\tif ($id != {nr}) next")
        out += prologue_kprobe(name, entry, variables, argstr)[0:1] + [f"\targstr = {argstr}"]
    else:
        out.append(f'probe {entry_alias} = kernel.function("__x64_sys_{entry}") ?')
        out.append("{")
        out += prologue_kprobe(name, entry, variables, argstr)
    out.append("}")
    out.append("")
    if opts.get("noreturn"):
        # Without an alias of its own, syscall.*.return would put a
        # kretprobe on the entry point through the suffix rule.
        out += doc(f"syscall.{name}.return", f"never: {name} does not return",
                   [("name", f'"{name}"'), ("retval", "0"), ("retstr", '""')],
                   ["On the never point, so that syscall.*.return costs nothing here."])
        out.append(f"probe {return_alias} = never")
        out.append("{")
        out.append(f'\tname = "{name}"')
        out.append("\tretval = 0")
        out.append('\tretstr = ""')
        out.append("}")
        out.append("")
        return
    out += doc(f"syscall.{name}.return", f"return from {name}",
               [("name", f'"{name}"'), ("retval", "the return value"),
                ("retstr", "the return value as stap's return_str formats it: a number"
                 + (" in hex" if retfmt == 2 else " in octal" if retfmt == 3 else "")
                 + ", or -N (ENAME) for an error")],
               [])
    if tracepoint:
        out.append(f'probe {return_alias} = kernel.trace("raw_syscalls:sys_exit")')
        out.append("{")
        out.append(f"\tif ($regs->orig_ax != {nr}) next")
        out.append(f'\tname = "{name}"')
        out.append("\tretval = $ret")
    else:
        out.append(f'probe {return_alias} = kernel.function("__x64_sys_{entry}").return ?')
        out.append("{")
        out.append(f'\tname = "{name}"')
        out.append("\tretval = $return")
    out.append(f"\tretstr = {retformat_expr(retfmt)}")
    out.append("}")
    out.append("")


def generic_variables(params):
    variables, fmts, vals = [], [], []
    for i, (typ, nm) in enumerate(params[:6]):
        n = i + 1
        is_ptr = "*" in typ
        if is_ptr and re.search(r"\bchar\b", typ) and re.search(r"name|path|file|special|dir|type|key", nm):
            variables.append(v(nm + "_uaddr", f"A{n}", f"the user address of {nm}"))
            variables.append(v(nm, f"{S}(A{n})", f"{nm} ({typ}), as a quoted string"))
            fmts.append("%s")
            vals.append(nm)
        elif is_ptr:
            variables.append(v(nm + "_uaddr", f"A{n}", f"{nm} ({typ})"))
            fmts.append("%p")
            vals.append(nm + "_uaddr")
        elif re.fullmatch(r"(int|pid_t|key_serial_t|clockid_t|timer_t|qid_t|mqd_t|key_t|rwf_t)", typ):
            variables.append(v(nm, f"__sys_int(A{n})", f"{nm} ({typ})"))
            fmts.append("%d")
            vals.append(nm)
        elif re.fullmatch(r"(unsigned( int)?|u32|uid_t|gid_t|umode_t|old_uid_t|old_gid_t|__u32|unsigned int)", typ):
            variables.append(v(nm, f"__sys_uint(A{n})", f"{nm} ({typ})"))
            fmts.append("%#o" if typ == "umode_t" else "%u")
            vals.append(nm)
        elif re.fullmatch(r"(long|loff_t|off_t|ssize_t|__kernel_old_time_t)", typ):
            variables.append(v(nm, f"A{n}", f"{nm} ({typ})"))
            fmts.append("%d")
            vals.append(nm)
        else:
            variables.append(v(nm, f"A{n}", f"{nm} ({typ})"))
            fmts.append("%u" if "unsigned" in typ or typ in ("size_t", "u64", "__u64") else "%d")
            vals.append(nm)
    if not vals:
        return variables, '""'
    return variables, 'sprintf("' + ", ".join(fmts) + '", ' + ", ".join(vals) + ")"


def name_tree(table, out, lo, hi, depth, var):
    """A binary search over the sorted (number, name) list: nine comparisons at most."""
    ind = "\t" * depth
    if hi - lo <= 2:
        for nr, name in table[lo:hi]:
            out.append(f'{ind}if ({var} == {nr}) return "{name}"')
        return
    mid = (lo + hi) // 2
    out.append(f"{ind}if ({var} < {table[mid][0]}) {{")
    name_tree(table, out, lo, mid, depth + 1, var)
    out.append(f"{ind}}} else {{")
    name_tree(table, out, mid, hi, depth + 1, var)
    out.append(f"{ind}}}")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    trees = sys.argv[1:3]
    listings = sys.argv[3:5]
    tables = [syscall_table(t) for t in trees]
    btf = [btf_functions(l) for l in listings]
    protos = {}
    for t in reversed(trees):
        protos.update(prototypes(t))

    # The union of both kernels' calls: name -> (nr, entry, in_btf).
    calls = {}
    for table, funcs in zip(tables, btf):
        for name, (nr, entry) in table.items():
            prev = calls.get(name)
            in_btf = entry in funcs or (prev is not None and prev[2])
            calls[name] = (nr, entry, in_btf)

    detailed, generic = [HEADER, ""], [HEADER, ""]
    done = set()
    for alias in sorted(DETAILED):
        entry_override, summary, variables, argstr, retfmt, opts = DETAILED[alias]
        nr_name = opts.get("nr_name", entry_override if entry_override and entry_override in calls else alias)
        if nr_name not in calls:
            nr_name = alias
        if nr_name not in calls:
            sys.exit(f"{alias}: not a system call of these kernels")
        nr, entry, in_btf = calls[nr_name]
        if entry_override and entry_override != entry:
            sys.exit(f"{alias}: the table's entry is sys_{entry}, not sys_{entry_override}")
        done.add(nr_name)
        emit_call(detailed, alias, nr, entry, in_btf, variables, argstr, summary, retfmt, opts)
        for n in opts.get("extra_names", []):
            done.add(n)

    for name in sorted(calls):
        if name in done:
            continue
        nr, entry, in_btf = calls[name]
        params = protos.get(entry)
        if params is None:
            variables, argstr = [], '""'
            note = f"include/linux/syscalls.h has no prototype of sys_{entry}: argstr is empty."
        else:
            variables, argstr = generic_variables(params)
            note = "Its arguments have the kernel's names; argstr prints them plainly (stap may decode more)."
        emit_call(generic, name, nr, entry, in_btf, variables, argstr, f"the {name} system call", 1,
                  {"note": note})

    # The number -> name table of syscall_any.
    by_nr = sorted({nr: name for name, (nr, _, _) in calls.items()}.items())
    table = [HEADER, ""]
    table += ["/**", " * __syscall_name - the name of an x86_64 system call number",
              " * @nr: the number", " *",
              ' * Returns: the name, as syscall.NAME has it, or "sys_N" for a number neither kernel has.',
              " */", "function __syscall_name:string(nr:long)", "{"]
    name_tree(by_nr, table, 0, len(by_nr), 1, "nr")
    table += ['\treturn sprintf("sys_%d", nr)', "}", ""]
    errnos = sorted(errno_names(trees[1]).items())
    table += ["/**", " * __syscall_errno_name - the E name of an errno value", " * @e: the (positive) value",
              " *", ' * Returns: "ENOENT" for 2...; "" for a value without a name.', " */",
              "function __syscall_errno_name:string(e:long)", "{"]
    # errno values are dense from 1 to 133 and from 512 to 531: a search tree too.
    name_tree(errnos, table, 0, len(errnos), 1, "e")
    table += ['\treturn ""', "}", ""]
    text = "\n".join(table)

    for fname, lines in (("syscalls.stp", detailed), ("syscalls2.stp", generic)):
        with open(os.path.join(ROOT, "tapset", fname), "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
    with open(os.path.join(ROOT, "tapset", "syscall_table.stp"), "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{len(DETAILED)} detailed, {len(calls) - len(done)} generic, {len(by_nr)} numbers, {len(errnos)} errno names")


if __name__ == "__main__":
    main()
