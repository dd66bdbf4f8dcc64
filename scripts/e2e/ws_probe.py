#!/usr/bin/env python3
"""A minimal WebSocket client (RFC 6455, standard library only) for the e2e tests and the live
benchmark: connects, reads text frames for SECONDS, and prints a JSON summary: frame counts by
`type`, and for each reading received, its age at receipt (receipt time minus the reading's ts).

usage: ws_probe.py HOST PORT PATH SECONDS
An API token in the environment (IOC_TOKEN) is sent as `Authorization: Bearer …`.
"""
import base64, json, os, socket, struct, sys, time
from datetime import datetime


def parse_ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def connect(host, port, path):
    sock = socket.create_connection((host, port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    token = os.environ.get("IOC_TOKEN", "")
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{auth}\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("connection closed during the handshake")
        head += chunk
    status, rest = head.split(b"\r\n\r\n", 1)
    if b" 101 " not in status.split(b"\r\n")[0]:
        raise SystemExit("upgrade refused: " + status.decode(errors="replace"))
    return sock, rest


class Reader:
    def __init__(self, sock, buffered):
        self.sock, self.buf = sock, buffered

    def take(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def frame(self):
        b0, b1 = self.take(2)
        length = b1 & 0x7F
        if length == 126:
            length = struct.unpack("!H", self.take(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self.take(8))[0]
        mask = self.take(4) if b1 & 0x80 else None
        data = self.take(length)
        if mask:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return b0 & 0x80, b0 & 0x0F, data


def send(sock, opcode, payload=b""):
    mask = os.urandom(4)
    header = bytes([0x80 | opcode, 0x80 | len(payload)])  # control frames only: < 126 bytes
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def main():
    host, port, path, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    sock, rest = connect(host, port, path)
    reader = Reader(sock, rest)
    types, ages, message = {}, [], b""
    deadline = time.time() + seconds
    sock.settimeout(0.5)
    while time.time() < deadline:
        try:
            fin, opcode, data = reader.frame()
        except socket.timeout:
            continue
        except EOFError:
            break
        if opcode == 9:
            send(sock, 10, data)
            continue
        if opcode == 8:
            break
        if opcode in (1, 0):
            message += data
            if not fin:
                continue
            received = time.time()
            obj = json.loads(message)
            message = b""
            types[obj["type"]] = types.get(obj["type"], 0) + 1
            if obj["type"] == "readings":
                ages += [received - parse_ts(r["ts"]) for r in obj["readings"]]
    try:
        send(sock, 8, struct.pack("!H", 1000))
    except OSError:
        pass
    ages.sort()
    pick = lambda q: ages[min(len(ages) - 1, int(q * len(ages)))] if ages else None
    print(json.dumps({"types": types, "readings": len(ages), "p50_age_s": pick(0.5), "p99_age_s": pick(0.99),
                      "max_age_s": ages[-1] if ages else None}))
    sys.exit(0 if ages else 1)


if __name__ == "__main__":
    main()
