# The port keeper: holds a copy of the file descriptors of vireod's TAP ports, so that the TAPs (and the
# containers' interfaces they are) outlive a vireod that stops or crashes, and a vireod started on the
# same run dir takes them back. vireod writes this file into its run dir and starts it, detached, when
# no keeper answers there:  python3 -I port-keeper.py RUN_DIR
#
# Protocol on RUN_DIR/keeper.sock (a stream socket; one request, one answer; descriptors travel as
# SCM_RIGHTS with the line they belong to):
#   KEEP NAME N\n   + N fds   -> OK\n        keep these for port NAME (replacing what it kept before)
#   DROP NAME\n               -> OK\n        close them: the port is deleted
#   GIVE\n                    -> PORT NAME N\n + N fds, for each port, then END\n   (the keeper keeps its copies)
# A descriptor whose TAP the kernel removed (its namespace was deleted) is closed within CHECK_SECONDS.
# The keeper exits once it has held nothing and had no client for IDLE_SECONDS, and removes its socket
# and pid file. It exits too, within CHECK_SECONDS, letting its TAPs go, once RUN_DIR/keeper.sock is no
# longer the socket it bound (removed with the run dir, or replaced by a keeper started there since):
# no vireod can reach it to take them back. It removes only a socket and pid file that are its own.
import array
import fcntl
import os
import select
import signal
import socket
import sys
import time

CHECK_SECONDS = 2
IDLE_SECONDS = 5
TUNGETIFF = 0x800454D2
MAX_FDS = 64

run_dir = sys.argv[1]
socket_path = os.path.join(run_dir, "keeper.sock")
pid_path = os.path.join(run_dir, "keeper.pid")
kept = {}  # port name -> list of fds


def log(message):
    print("port-keeper: " + message, file=sys.stderr, flush=True)


def alive(fd):
    """True while the TAP behind fd exists (TUNGETIFF fails with EBADFD once the kernel removed it)."""
    try:
        fcntl.ioctl(fd, TUNGETIFF, bytearray(40))
        return True
    except OSError:
        return False


def socket_identity():
    """The device and inode of the file at socket_path, None if there is none."""
    try:
        status = os.stat(socket_path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def remove_own_files(identity):
    if socket_identity() == identity:
        os.unlink(socket_path)
    try:
        with open(pid_path) as pid_file:
            own = pid_file.read().strip() == str(os.getpid())
        if own:
            os.unlink(pid_path)
    except FileNotFoundError:
        pass


def forget(name):
    for fd in kept.pop(name, []):
        os.close(fd)


def answer(client, line, fds=()):
    if fds:
        client.sendmsg([line.encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    else:
        client.sendall(line.encode())


def serve(client):
    """Answers one request; False when the client is gone."""
    try:
        data, fds, _, _ = socket.recv_fds(client, 4096, MAX_FDS)
    except OSError:
        return False
    if not data:
        for fd in fds:
            os.close(fd)
        return False
    words = data.decode("utf-8", "replace").split()
    if len(words) == 3 and words[0] == "KEEP" and int(words[2]) == len(fds):
        forget(words[1])
        kept[words[1]] = list(fds)
        answer(client, "OK\n")
    elif len(words) == 2 and words[0] == "DROP":
        forget(words[1])
        answer(client, "OK\n")
    elif words == ["GIVE"]:
        for name, held in kept.items():
            answer(client, "PORT %s %d\n" % (name, len(held)), held)
            if client.recv(16) != b"NEXT\n":
                return False
        answer(client, "END\n")
    else:
        for fd in fds:
            os.close(fd)
        answer(client, "ERR bad request\n")
    return True


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.unlink(socket_path)
    except FileNotFoundError:
        pass
    listener.bind(socket_path)
    identity = socket_identity()
    os.chmod(socket_path, 0o600)
    listener.listen(8)
    with open(pid_path, "w") as pid_file:
        pid_file.write("%d\n" % os.getpid())
    log("ready, pid %d" % os.getpid())
    clients = []
    checked = idle_since = time.monotonic()
    try:
        while True:
            readable, _, _ = select.select([listener] + clients, [], [], CHECK_SECONDS)
            for ready in readable:
                if ready is listener:
                    clients.append(listener.accept()[0])
                elif not serve(ready):
                    clients.remove(ready)
                    ready.close()
            if time.monotonic() - checked >= CHECK_SECONDS:
                checked = time.monotonic()
                if socket_identity() != identity:
                    log("%s is gone or another keeper's: no vireod can take back the %d ports kept here; "
                        "letting them go and exiting" % (socket_path, len(kept)))
                    return
                for name in [name for name, held in kept.items() if not all(alive(fd) for fd in held)]:
                    log("the TAP of port %s is gone" % name)
                    forget(name)
            if kept or clients:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= IDLE_SECONDS:
                log("nothing to keep and no vireod; exiting")
                return
    finally:
        remove_own_files(identity)


main()
