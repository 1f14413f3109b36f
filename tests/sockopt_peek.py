"""sockopt_peek.py PID PORT - the TCP_NODELAY of another process's sockets.

Connects to 127.0.0.1:PORT, where process PID listens, and keeps the
connection open; then duplicates each of PID's socket descriptors into
this process with pidfd_getfd(2) (Linux 5.6, needs ptrace rights over
PID: root) and reads the option on the duplicate, which is the same
socket.  Prints one line each:

  listener nodelay=N     PID's listening TCP socket
  accepted nodelay=N     PID's end of this connection
  client nodelay=N       this end, never set: shows the reading works

Exit 2 when the descriptors cannot be read (the message says why).
"""
import ctypes
import os
import socket
import sys
import time

SYS_PIDFD_OPEN, SYS_PIDFD_GETFD = 434, 438  # x86_64 and aarch64 alike
libc = ctypes.CDLL(None, use_errno=True)


def nodelay(s):
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def peer_sockets(pid):
    """(fd, socket) for each socket PID holds, duplicated here."""
    pidfd = libc.syscall(SYS_PIDFD_OPEN, pid, 0)
    if pidfd < 0:
        sys.exit("pidfd_open: " + os.strerror(ctypes.get_errno()))
    for name in os.listdir("/proc/%d/fd" % pid):
        try:
            if not os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith("socket:"):
                continue
        except OSError:
            continue
        dup = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
        if dup < 0:
            print("pidfd_getfd: " + os.strerror(ctypes.get_errno()), file=sys.stderr)
            sys.exit(2)
        yield socket.socket(fileno=dup)
    os.close(pidfd)


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    client = socket.create_connection(("127.0.0.1", port))
    me = client.getsockname()
    found = {}
    for _ in range(50):  # until the milter has accepted the connection
        for s in peer_sockets(pid):
            with s:
                if s.family not in (socket.AF_INET, socket.AF_INET6):
                    continue
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                    found["listener"] = nodelay(s)
                    continue
                try:
                    if s.getpeername() == me:
                        found["accepted"] = nodelay(s)
                except OSError:
                    pass
        if "accepted" in found:
            break
        time.sleep(0.1)
    found["client"] = nodelay(client)
    for k in ("listener", "accepted", "client"):
        print("%s nodelay=%s" % (k, "1" if found.get(k) else ("0" if k in found else "?")))
    client.close()


main()
