# A stand-in for systemd's notification socket: binds a unix datagram socket, prints "ready", then one JSON
# line per datagram with the sender PID from SCM_CREDENTIALS (what systemd uses for NotifyAccess=main).
import array, json, os, socket, struct, sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print("ready", flush=True)
while True:
    msg, anc, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(64 * 4) + socket.CMSG_SPACE(12))
    pid = None
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(data[: len(data) - (len(data) % 4)])
            for fd in fds:
                os.close(fd)
    print(json.dumps({"pid": pid, "message": msg.decode()}), flush=True)
