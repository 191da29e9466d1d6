"""Runs the real gantry binary for the integration tests, and speaks raw HTTP/1.1 to it.

* `Gantry(config, workdir)`: writes the config (JSON, which the YAML loader reads as YAML) into a
  temporary directory, starts `$GANTRY_BIN start -c FILE -p PIDFILE` with listen 127.0.0.1:0,
  reads stderr line by line until `listening on HOST:PORT` (timeout, never a blind sleep),
  and on stop() sends SIGTERM and checks the exit status (0; a signal or non-zero fails).
* `config(...)`, `service(...)`: build Kong-format 3.0 configs with a `gantry:` section.
* `Conn`: one client connection, for keep-alive, pipelining and malformed requests.
  `request(port, ...)` is the one-shot form. Both return `Response`.
"""

import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from echo_upstream import Reader, header, header_all, parse_head, read_chunked  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
LISTEN_RE = re.compile(r"listening on (\[[^\]]*\]|[^\s:]+):(\d+)")


def gantry_bin():
    """The binary under test: $GANTRY_BIN (set by ctest), else the first build*/gantry found."""
    env = os.environ.get("GANTRY_BIN")
    if env:
        return env
    for d in ["build", "build-integ"] + sorted(p.name for p in REPO.glob("build*")):
        cand = REPO / d / "gantry"
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    raise RuntimeError("gantry binary not found: set GANTRY_BIN")


def is_asan_build():
    """True when the binary under test links AddressSanitizer (scripts/build.sh --sanitize)."""
    try:
        with open(gantry_bin(), "rb") as f:
            while True:
                block = f.read(1 << 20)
                if not block:
                    return False
                if b"libasan.so" in block or b"__asan_init" in block:
                    return True
    except OSError:
        return False


def rss_env():
    """Environment for tests that bound gantry's RSS: under ASan, a small quarantine (the
    default 256 MB quarantine keeps freed buffers resident and would dominate the figure)."""
    if not is_asan_build():
        return {}
    opts = os.environ.get("ASAN_OPTIONS", "")
    return {"ASAN_OPTIONS": ":".join(o for o in [opts, "quarantine_size_mb=4",
                                                 "thread_local_quarantine_size_kb=64"] if o)}


def dead_port():
    """A loopback port nothing listens on (bound, then closed: connects are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- config builders ---------------------------------------------------------------------------

def service(name, url=None, routes=(), **fields):
    """A Kong service. `routes` is a list of route dicts (nested, as in Kong's format)."""
    svc = {"name": name}
    if url is not None:
        svc["url"] = url
    svc.update(fields)
    svc["routes"] = list(routes)
    return svc


def route(name, paths=None, **fields):
    r = {"name": name}
    if paths is not None:
        r["paths"] = list(paths)
    r.update(fields)
    return r


def listen_address():
    """127.0.0.1:0: gantry binds an ephemeral port and logs it. GANTRY_TEST_FIXED_PORT=1 picks a
    free port here instead (racy; only for a gantry build that rejects port 0)."""
    if os.environ.get("GANTRY_TEST_FIXED_PORT") == "1":
        return "127.0.0.1:%d" % dead_port()
    return "127.0.0.1:0"


def config(services=(), upstreams=(), gantry=None, limits=None):
    """A full config: format 3.0, one listener on 127.0.0.1:0, 1 worker, access log off."""
    g = {
        "listen": [listen_address()],
        "workers": 1,
        "drain_timeout": 10000,
        "log": {"access_log": "off", "error_log": "stderr", "error_log_level": "info"},
    }
    if limits:
        g["limits"] = dict(limits)
    if gantry:
        g.update(gantry)
    cfg = {"_format_version": "3.0", "gantry": g, "services": list(services)}
    if upstreams:
        cfg["upstreams"] = list(upstreams)
    return cfg


# -- the gateway process -----------------------------------------------------------------------

class GantryError(AssertionError):
    pass


class Gantry:
    def __init__(self, cfg, workdir, start_timeout=15.0, env=None):
        self.env = dict(os.environ, **(env or {}))
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.workdir / "gantry.yaml"
        self.pid_path = self.workdir / "gantry.pid"
        self.stdout_path = self.workdir / "stdout.log"
        self.write_config(cfg)
        self.lines = []               # every stderr line so far
        self._lines_cond = threading.Condition()
        self.proc = None
        self.addresses = []           # (host, port) from the listening lines
        self.start_timeout = start_timeout
        self.stopped = False
        self.terminated = False      # SIGTERM already sent

    def write_config(self, cfg):
        text = cfg if isinstance(cfg, str) else json.dumps(cfg, indent=2)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.config_path)  # atomic: a reload never reads half a file

    # -- start / stop ---------------------------------------------------------------------------
    def start(self):
        self._stdout = open(self.stdout_path, "wb")
        self.proc = subprocess.Popen(
            [gantry_bin(), "start", "-c", str(self.config_path), "-p", str(self.pid_path)],
            stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=subprocess.PIPE,
            cwd=self.workdir, env=self.env)
        threading.Thread(target=self._read_stderr, daemon=True).start()
        try:
            self.wait_for_log(LISTEN_RE, timeout=self.start_timeout)
        except TimeoutError as e:
            self.kill()
            raise GantryError("gantry did not start (%s); log:\n%s" % (e, self.log_text()))
        # All listening lines of one start come together; take every one logged so far.
        with self._lines_cond:
            for line in self.lines:
                m = LISTEN_RE.search(line)
                if m:
                    self.addresses.append((m.group(1).strip("[]"), int(m.group(2))))
        return self

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lines_cond:
                self.lines.append(line)
                self._lines_cond.notify_all()
        with self._lines_cond:
            self.lines.append("<<stderr closed>>")
            self._lines_cond.notify_all()

    @property
    def port(self):
        return self.addresses[0][1]

    @property
    def pid(self):
        return self.proc.pid

    def log_text(self):
        with self._lines_cond:
            return "\n".join(self.lines[-200:])

    def wait_for_log(self, pattern, timeout=10.0, since=0):
        """Waits for a stderr line (index >= since) matching pattern; returns the match."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        checked = since
        with self._lines_cond:
            while True:
                while checked < len(self.lines):
                    m = rx.search(self.lines[checked])
                    checked += 1
                    if m:
                        return m
                if self.proc.poll() is not None and self.lines and \
                        self.lines[-1] == "<<stderr closed>>":
                    raise TimeoutError("gantry exited (%s) before logging %r"
                                       % (self.proc.returncode, rx.pattern))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no log line matching %r in %.1fs" % (rx.pattern, timeout))
                self._lines_cond.wait(min(left, 0.2))

    def line_count(self):
        with self._lines_cond:
            return len(self.lines)

    def reload(self, cfg=None):
        """Writes cfg (if given) and sends SIGHUP. Returns the log index before the signal."""
        if cfg is not None:
            self.write_config(cfg)
        mark = self.line_count()
        os.kill(self.proc.pid, signal.SIGHUP)
        return mark

    def assert_running(self):
        code = self.proc.poll()
        if code is not None:
            raise GantryError("gantry exited unexpectedly with %s; log:\n%s"
                              % (code, self.log_text()))

    def terminate(self):
        """Sends SIGTERM once (the drain starts); stop() then only waits."""
        if not self.terminated and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.terminated = True

    def stop(self, timeout=20.0, expect_code=0):
        """SIGTERM (unless terminate() already sent it), wait; kill on timeout. Raises if the
        exit was not `expect_code`."""
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        self.terminate()
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise GantryError("gantry did not exit within %.0fs of SIGTERM; log:\n%s"
                              % (timeout, self.log_text()))
        finally:
            self._stdout.close()
        if code != expect_code:
            what = ("killed by signal %d" % -code) if code < 0 else ("exit code %d" % code)
            raise GantryError("gantry %s (expected %d); log:\n%s"
                              % (what, expect_code, self.log_text()))
        return code

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stopped = True

    # -- measurements ----------------------------------------------------------------------------
    def rss_kb(self):
        """VmRSS of gantry and its children (plugin servers), in KiB."""
        total = 0
        for pid in [self.proc.pid] + _children(self.proc.pid):
            try:
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except FileNotFoundError:
                pass
        return total


def _children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


class RssSampler:
    """Samples gantry's RSS every `interval` seconds in a thread; `peak_kb` after stop()."""

    def __init__(self, gw, interval=0.01):
        self.gw = gw
        self.interval = interval
        self.peak_kb = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self.gw.rss_kb())
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# -- client side -------------------------------------------------------------------------------

class Response:
    def __init__(self, status, reason, headers, body, version, interim=()):
        self.status = status
        self.reason = reason
        self.headers = headers      # [(name, value)] as received
        self.body = body
        self.version = version
        self.interim = list(interim)  # 1xx responses seen before this one (status codes)

    def header(self, name, default=None):
        return header(self.headers, name, default)

    def header_all(self, name):
        return header_all(self.headers, name)

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<Response %d %r body=%r>" % (self.status, self.headers, self.body[:300])


class Conn:
    """One client connection to the gateway."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = Reader(self.sock)
        self.port = port

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode("latin-1"))

    def send_request(self, method="GET", path="/", headers=None, body=None, host=None):
        hdrs = [("Host", host or "127.0.0.1:%d" % self.port)]
        hdrs += list((headers or {}).items()) if isinstance(headers, dict) else list(headers or [])
        if body is not None and header(hdrs, "content-length") is None \
                and header(hdrs, "transfer-encoding") is None:
            hdrs.append(("Content-Length", str(len(body))))
        head = "%s %s HTTP/1.1\r\n" % (method, path)
        head += "".join("%s: %s\r\n" % kv for kv in hdrs) + "\r\n"
        self.send(head.encode("latin-1") + (body or b""))

    def read_response(self, method="GET", stop_at_interim=False, sink=None):
        """Reads one response (skipping 1xx unless stop_at_interim). With `sink`, the body is
        passed to sink(bytes) instead of being kept."""
        interim = []
        while True:
            start, headers = parse_head(self.reader)
            version, status, reason = (start.split(" ", 2) + ["", ""])[:3]
            status = int(status)
            if 100 <= status < 200 and status != 101:
                interim.append(status)
                if stop_at_interim:
                    return Response(status, reason, headers, b"", version, interim)
                continue
            break
        body = bytearray()
        keep = sink or body.extend
        te = header(headers, "transfer-encoding")
        cl = header(headers, "content-length")
        if method == "HEAD" or status in (101, 204, 304):
            pass
        elif te and "chunked" in te.lower():
            read_chunked(self.reader, keep)
        elif cl is not None:
            remaining = int(cl)
            while remaining:
                piece = self.reader.read_some(min(remaining, 262144))
                keep(piece)
                remaining -= len(piece)
        else:  # delimited by close
            while True:
                try:
                    keep(self.reader.read_some())
                except EOFError:
                    break
        return Response(status, reason, headers, bytes(body), version, interim)

    def request(self, method="GET", path="/", headers=None, body=None, host=None):
        self.send_request(method, path, headers, body, host)
        return self.read_response(method)

    def is_closed_by_peer(self, timeout=2.0):
        """True if the peer closes (EOF or reset) within timeout, with no further bytes."""
        self.sock.settimeout(timeout)
        try:
            if self.reader.buf:
                return False
            data = self.sock.recv(1)
            return data == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def request(port, method="GET", path="/", headers=None, body=None, host=None, timeout=10.0):
    with Conn(port, timeout=timeout) as c:
        return c.request(method, path, headers, body, host)


def raw_exchange(port, data, timeout=5.0):
    """Sends raw bytes, reads one response. Returns (Response or None, closed_after)."""
    with Conn(port, timeout=timeout) as c:
        c.send(data)
        try:
            resp = c.read_response()
        except (EOFError, ConnectionResetError):
            return None, True
        return resp, c.is_closed_by_peer(timeout=2.0)
