"""A real HTTP/1.1 upstream for the integration tests (and the demo): echoes the request as JSON.

Written on raw sockets, one thread per connection, so every framing detail is under the test's
control. The response body is a JSON object:

    {"method", "target", "path", "query", "version", "headers": [[name, value], ...],
     "body": <latin-1 text, only when at most 64 KiB>, "body_len", "body_crc32",
     "body_framing": "content-length" | "chunked" | "none", "trailers": [[name, value], ...],
     "expect_seen": bool, "conn_id", "conn_request_index", "upstream_port"}

Request headers steer the behaviour (they pass through the gateway unchanged):

    X-Echo-Status: N          answer with status N
    X-Echo-Delay-Ms: N        sleep N ms after reading the body, before answering (504 tests)
    X-Echo-Read-Delay-Ms: N   sleep N ms before reading the body (back-pressure tests)
    X-Echo-Chunked: N         answer with Transfer-Encoding: chunked, in N chunks
    X-Echo-Stream-Bytes: N    answer with N bytes of pattern() instead of JSON (chunked if
                              X-Echo-Chunked is set, Content-Length otherwise)
    X-Echo-Close: 1           answer with Connection: close, then close
    X-Echo-Header-<Name>: V   add response header <Name>: V
    X-Echo-Garbage: 1         answer with bytes that are not HTTP, then close
    X-Echo-Truncate: N        announce Content-Length N*2, send N bytes of body, then close

Expect: 100-continue is answered with an interim 100 before the body is read. A request with
`Connection: upgrade` + `Upgrade: X` is answered with 101, then the upstream writes
b"upstream-ready\\n" and echoes every byte back until the peer closes.

Counters for the tests: `connections_accepted`, `requests_handled`, and `wait_for(pred)` on the
list of handled request summaries `seen` (method, path, headers) to know when a request arrived.

Run standalone (the demo does): python3 echo_upstream.py --port 9000
"""

import argparse
import json
import socket
import threading
import time
import zlib

BLOCK = bytes((i * 7 + 3) % 251 for i in range(65536))


def pattern_chunks(total, chunk=65536):
    """Yields `total` bytes of a fixed pattern, in pieces of at most `chunk` bytes."""
    sent = 0
    while sent < total:
        n = min(chunk, total - sent, len(BLOCK))
        yield BLOCK[:n]
        sent += n


def pattern_crc32(total):
    crc = 0
    for piece in pattern_chunks(total):
        crc = zlib.crc32(piece, crc)
    return crc


class Reader:
    """Buffered reads on a socket that never read past what the caller asks for."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def _fill(self):
        data = self.sock.recv(262144)
        if not data:
            raise EOFError("peer closed")
        self.buf += data

    def readline(self, limit=1 << 20):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[: i + 1])
                del self.buf[: i + 1]
                return line
            if len(self.buf) > limit:
                raise ValueError("line too long")
            self._fill()

    def read_some(self, limit=262144):
        if not self.buf:
            self._fill()
        n = min(limit, len(self.buf))
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


def parse_head(reader):
    """Reads a request or response head. Returns (start_line, [(name, value), ...])."""
    line = reader.readline()
    while line in (b"\r\n", b"\n"):  # tolerate stray CRLF between messages
        line = reader.readline()
    start = line.rstrip(b"\r\n").decode("latin-1")
    headers = []
    while True:
        line = reader.readline()
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    return start, headers


def header(headers, name, default=None):
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return default


def header_all(headers, name):
    name = name.lower()
    return [v for k, v in headers if k.lower() == name]


def read_chunked(reader, sink):
    """Reads a chunked body, feeding data to sink(bytes). Returns the trailers."""
    while True:
        size_line = reader.readline().split(b";")[0].strip()
        size = int(size_line, 16)
        if size == 0:
            break
        remaining = size
        while remaining:
            piece = reader.read_some(remaining)
            sink(piece)
            remaining -= len(piece)
        reader.read_exact(2)
    trailers = []
    while True:
        line = reader.readline()
        if line in (b"\r\n", b"\n"):
            return trailers
        name, _, value = line.decode("latin-1").partition(":")
        trailers.append((name.strip(), value.strip()))


class EchoUpstream:
    def __init__(self, host="127.0.0.1", port=0):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(512)
        self.host = host
        self.port = self.listener.getsockname()[1]
        self.connections_accepted = 0
        self.requests_handled = 0
        self.seen = []  # summaries of requests whose head was read, in arrival order
        self.cond = threading.Condition()
        self._open = set()
        self._stopping = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stopping = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.cond:
            socks = list(self._open)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def wait_for(self, predicate, timeout=10.0):
        """Waits until predicate(self.seen) is true; returns its value or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate(self.seen)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("upstream: condition not met in %.1fs" % timeout)
                self.cond.wait(left)

    # -- serving -----------------------------------------------------------------------------
    def _accept_loop(self):
        while not self._stopping:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            with self.cond:
                self.connections_accepted += 1
                conn_id = self.connections_accepted
                self._open.add(sock)
            threading.Thread(target=self._serve, args=(sock, conn_id), daemon=True).start()

    def _serve(self, sock, conn_id):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = Reader(sock)
        index = 0
        try:
            while True:
                try:
                    start, headers = parse_head(reader)
                except (EOFError, ConnectionError, OSError):
                    return
                index += 1
                if not self._handle(sock, reader, start, headers, conn_id, index):
                    return
        except (ConnectionError, OSError, EOFError, ValueError):
            return
        finally:
            with self.cond:
                self._open.discard(sock)
            try:
                sock.close()
            except OSError:
                pass

    def _handle(self, sock, reader, start, headers, conn_id, index):
        """Answers one request. Returns False when the connection must close."""
        method, target, version = (start.split(" ", 2) + ["", ""])[:3]
        path, _, query = target.partition("?")
        with self.cond:
            self.seen.append({"method": method, "path": path, "query": query, "headers": headers,
                              "conn_id": conn_id})
            self.cond.notify_all()

        upgrade = header(headers, "upgrade")
        connection_tokens = [t.strip().lower() for v in header_all(headers, "connection")
                             for t in v.split(",")]
        if upgrade and "upgrade" in connection_tokens:
            return self._upgrade(sock, reader, upgrade)

        expect_seen = (header(headers, "expect", "").lower() == "100-continue")
        if expect_seen:
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

        read_delay = int(header(headers, "x-echo-read-delay-ms", "0"))
        if read_delay:
            time.sleep(read_delay / 1000.0)

        body = bytearray()
        state = {"len": 0, "crc": 0}

        def sink(piece):
            state["len"] += len(piece)
            state["crc"] = zlib.crc32(piece, state["crc"])
            if len(body) <= 65536:
                body.extend(piece)

        trailers = []
        te = header(headers, "transfer-encoding")
        cl = header(headers, "content-length")
        if te and "chunked" in te.lower():
            framing = "chunked"
            trailers = read_chunked(reader, sink)
        elif cl is not None:
            framing = "content-length"
            remaining = int(cl)
            while remaining:
                piece = reader.read_some(min(remaining, 262144))
                sink(piece)
                remaining -= len(piece)
        else:
            framing = "none"

        delay = int(header(headers, "x-echo-delay-ms", "0"))
        if delay:
            time.sleep(delay / 1000.0)

        with self.cond:
            self.requests_handled += 1

        if header(headers, "x-echo-garbage"):
            sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
            return False
        truncate = header(headers, "x-echo-truncate")
        if truncate:
            n = int(truncate)
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (2 * n, b"t" * n))
            return False

        status = int(header(headers, "x-echo-status", "200"))
        close = (header(headers, "x-echo-close") is not None or "close" in connection_tokens
                 or version == "HTTP/1.0")
        extra = []
        for k, v in headers:
            if k.lower().startswith("x-echo-header-"):
                extra.append((k[len("x-echo-header-"):], v))
        chunks = int(header(headers, "x-echo-chunked", "0"))
        stream_bytes = header(headers, "x-echo-stream-bytes")

        head = ["HTTP/1.1 %d %s" % (status, "OK" if status == 200 else "Echo")]
        head += ["%s: %s" % kv for kv in extra]
        if close:
            head.append("Connection: close")

        if stream_bytes is not None:
            total = int(stream_bytes)
            head.append("Content-Type: application/octet-stream")
            if chunks:
                head.append("Transfer-Encoding: chunked")
                sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
                for piece in pattern_chunks(total):
                    sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                sock.sendall(b"0\r\n\r\n")
            else:
                head.append("Content-Length: %d" % total)
                sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
                for piece in pattern_chunks(total):
                    sock.sendall(piece)
            return not close

        payload = json.dumps({
            "method": method, "target": target, "path": path, "query": query,
            "version": version, "headers": headers,
            "body": body.decode("latin-1") if state["len"] <= 65536 else None,
            "body_len": state["len"], "body_crc32": state["crc"], "body_framing": framing,
            "trailers": trailers, "expect_seen": expect_seen, "conn_id": conn_id,
            "conn_request_index": index, "upstream_port": self.port,
        }).encode()
        head.append("Content-Type: application/json")
        if method == "HEAD":
            head.append("Content-Length: %d" % len(payload))
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        elif chunks:
            head.append("Transfer-Encoding: chunked")
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            step = max(1, -(-len(payload) // chunks))
            for i in range(0, len(payload), step):
                piece = payload[i:i + step]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                time.sleep(0.01)  # separate TCP segments, so the gateway sees real chunk edges
            sock.sendall(b"0\r\n\r\n")
        else:
            head.append("Content-Length: %d" % len(payload))
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)
        if close:
            sock.shutdown(socket.SHUT_WR)
        return not close

    def _upgrade(self, sock, reader, protocol):
        sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                      "Upgrade: %s\r\n\r\n" % protocol).encode("latin-1"))
        sock.sendall(b"upstream-ready\n")
        try:
            if reader.buf:
                sock.sendall(bytes(reader.buf))
                reader.buf.clear()
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                sock.sendall(data)
        finally:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9000)
    args = ap.parse_args()
    up = EchoUpstream(args.host, args.port).start()
    print("echo upstream listening on %s:%d" % (up.host, up.port), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        up.stop()


if __name__ == "__main__":
    main()
