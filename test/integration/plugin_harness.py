"""Plugin-specific helpers for the integration tests (on top of gantry_harness.py).

* `plugin_bin(name)`: the plugin server binary: $GANTRY_PLUGINS_DIR/<name> (set by ctest; built
  by the `go_plugins` target and the C++ fixtures), else <build>/plugins/<name> or
  <build>/examples/<name>/<name> of the first build directory that has it.
* `plugin_config(...)`: a harness config() plus plugin_servers/plugins/consumers/credentials.
  `managed(name)`, `sidecar(name, address)`, `plugin(name, config, **scope)` build the entries.
* `check(cfg, dir)`: runs `gantry check -c` on a config; returns (exit code, output).
* `server_pids(gw, binary)`: pids of gantry's children running that binary (plugin servers).
* `Sidecar`: runs a plugin server ourselves (`-listen ADDR`) and parses its READY line.
* `ClientLoop`: requests in a thread, recording (status, headers, body) of each, for outages.
* `status_port(gw)`, `status_json(port)`: the status endpoint's port (from the log) and its
  GET /status JSON (None when nothing listens).
* `wait_until(pred, timeout)`: polls a condition with a deadline (no blind sleeps).
"""

import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from gantry_harness import REPO, config, dead_port, gantry_bin, request, route, service  # noqa: F401


# -- binaries ------------------------------------------------------------------------------------

def _build_dirs():
    gb = Path(gantry_bin()).resolve().parent
    dirs = [gb]
    dirs += [p for p in sorted(REPO.glob("build*")) if p.is_dir() and p != gb]
    return dirs


def plugin_bin(name):
    """Absolute path of plugin server binary `name`; AssertionError (a test failure naming the
    missing binary and how to build it) when it is nowhere."""
    cands = []
    env = os.environ.get("GANTRY_PLUGINS_DIR")
    if env:
        cands.append(Path(env) / name)
    for d in _build_dirs():
        cands += [d / "plugins" / name, d / "examples" / name / name]
    for c in cands:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    raise AssertionError("plugin server binary %r not found (looked in %s); build the "
                         "go_plugins / %s targets" % (name, [str(c) for c in cands[:3]], name))


# -- config builders -----------------------------------------------------------------------------

def managed(name, binary=None, **fields):
    """A plugin server gantry starts (`command:`)."""
    s = {"name": name, "command": [plugin_bin(binary or name)]}
    s.update(fields)
    return s


def sidecar(name, address, **fields):
    """A plugin server gantry connects to (`address:`)."""
    s = {"name": name, "address": address}
    s.update(fields)
    return s


def plugin(name, config=None, **fields):
    """A plugin entity; `route=`, `service=`, `consumer=` give its scope, other fields (enabled,
    timeout, fail_open, id, ...) go as they are."""
    p = {"name": name}
    if config is not None:
        p["config"] = config
    p.update(fields)
    return p


def plugin_config(services=(), plugin_servers=(), plugins=(), consumers=(), credentials=None,
                  gantry=None, **kw):
    """config() with the plugin sections. `credentials` maps a credential key (e.g.
    "keyauth_credentials") to its top-level list."""
    cfg = config(services=services, gantry=gantry, **kw)
    cfg["plugin_servers"] = list(plugin_servers)
    cfg["plugins"] = list(plugins)
    if consumers:
        cfg["consumers"] = list(consumers)
    for key, items in (credentials or {}).items():
        cfg[key] = list(items)
    return cfg


def echo_service(upstream, routes, name="echo", **fields):
    return service(name, url="http://127.0.0.1:%d" % upstream.port, routes=routes, **fields)


def check(cfg, workdir, timeout=60):
    """`gantry check -c FILE` on cfg; returns (returncode, stdout+stderr)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    f = workdir / "check.yaml"
    f.write_text(cfg if isinstance(cfg, str) else json.dumps(cfg, indent=2))
    p = subprocess.run([gantry_bin(), "check", "-c", str(f)], capture_output=True, text=True,
                       timeout=timeout, cwd=workdir)
    return p.returncode, p.stdout + p.stderr


# -- processes -----------------------------------------------------------------------------------

def wait_until(pred, timeout=10.0, interval=0.05, what="condition"):
    """Polls pred() until it returns a true value (returned) or raises AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s not met within %.1fs" % (what, timeout))
        time.sleep(interval)


def children(pid):
    """Direct children of pid (over all of its threads: any thread may have spawned them)."""
    out = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except FileNotFoundError:
        return out
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out += [int(x) for x in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    return sorted(set(out))


def _argv0(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[0].decode("utf-8", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _is_zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def server_pids(gw, binary):
    """Pids of live (non-zombie) children of gantry whose argv[0] is plugin binary `binary`."""
    want = os.path.basename(binary)
    return [p for p in children(gw.pid)
            if os.path.basename(_argv0(p)) == want and not _is_zombie(p)]


def server_pid(gw, binary, timeout=10.0):
    """The one live plugin server process running `binary` under gantry (waits for it)."""
    pids = wait_until(lambda: server_pids(gw, binary), timeout,
                      what="a running %s child of gantry (children: %s)"
                      % (binary, children(gw.pid)))
    assert len(pids) == 1, "expected one %s process, got %s" % (binary, pids)
    return pids[0]


def pid_alive(pid):
    return os.path.exists("/proc/%d" % pid) and not _is_zombie(pid)


class Sidecar:
    """A plugin server the test runs itself: `binary -listen ADDR` (Go; `--listen` for C++,
    `flag` picks). start() waits for the READY line and sets `network` and `address`
    (`gantry_address` is the form gantry's `address:` wants)."""

    def __init__(self, binary, listen, flag="-listen", timeout=15.0):
        self.binary = plugin_bin(binary)
        self.listen = listen
        self.flag = flag
        self.timeout = timeout
        self.proc = None
        self.network = self.address = None
        self.stderr_lines = []

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GANTRY_PLUGIN_")}
        self.proc = subprocess.Popen([self.binary, self.flag, self.listen], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        ready = []
        t = threading.Thread(target=lambda: ready.append(self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(self.timeout)
        line = ready[0].decode().strip() if ready else ""
        if not line.startswith("GANTRY_PLUGIN_READY|"):
            self.stop()
            raise AssertionError("sidecar %s: no READY line within %.0fs (got %r); stderr: %s"
                                 % (self.binary, self.timeout, line, self.stderr_lines[-10:]))
        _, version, self.network, self.address = line.split("|", 3)
        assert version == "1", line
        threading.Thread(target=lambda: self.proc.stdout.read(), daemon=True).start()
        return self

    @property
    def gantry_address(self):
        return ("unix:" + self.address) if self.network == "unix" else self.address

    def _drain_stderr(self):
        for raw in self.proc.stderr:
            self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# -- traffic -------------------------------------------------------------------------------------

class ClientLoop:
    """One thread sending `GET path` (fresh connection each) until stopped; `results` is a list
    of (monotonic time, status or exception text, Response or None)."""

    def __init__(self, port, path, host="example.com", timeout=15.0):
        self.port, self.path, self.host, self.timeout = port, path, host, timeout
        self.results = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                r = request(self.port, "GET", self.path, host=self.host, timeout=self.timeout)
                self.results.append((time.monotonic(), r.status, r))
            except Exception as e:  # noqa: BLE001 - every failure is recorded
                self.results.append((time.monotonic(), repr(e), None))
                time.sleep(0.01)

    def count(self):
        return len(self.results)

    def wait_for_more(self, n, timeout=15.0):
        target = self.count() + n
        wait_until(lambda: self.count() >= target, timeout, what="%d more requests" % n)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=self.timeout + 5)


# -- outages ------------------------------------------------------------------------------------

FAIL_500 = {"message": "An unexpected error occurred"}


def kill_and_recover(gw, binary, path, expect_header, header_value, fail_open=False):
    """Shared by the Go and C++ tests: SIGKILL the managed server `binary` under a client loop;
    every response must follow the policy; gantry restarts the server; traffic recovers."""
    pid = server_pid(gw, binary)
    with ClientLoop(gw.port, path) as loop:
        loop.wait_for_more(20)
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        new_pid = server_pid_changed(gw, binary, pid)
        # Recovery: 20 consecutive good responses after the restart.
        def recovered():
            tail = loop.results[-20:]
            return len(tail) == 20 and tail[0][0] > killed_at and \
                all(res[1] == 200 and res[2].header(expect_header) == header_value
                    for res in tail)
        wait_until(recovered, 20, what="traffic recovery after the restart")
    bad = []
    for t, status, r in loop.results:
        if status == 200:
            # Fail closed: a 200 always ran the plugin (it is never skipped silently).
            if not fail_open and r.header(expect_header) != header_value:
                bad.append("200 without the plugin's header: %r" % r)
        elif status == 500 and not fail_open:
            if r.json() != FAIL_500:
                bad.append("500 with body %r" % r.body)
        else:
            bad.append("%.3fs after the kill: %r %r" % (t - killed_at, status, r))
    assert not bad, "%d of %d responses break the policy, e.g. %s" % (
        len(bad), len(loop.results), bad[:5])
    gw.assert_running()
    assert pid_alive(new_pid) and not pid_alive(pid)
    return loop.results


def server_pid_changed(gw, binary, old, timeout=15.0):
    return wait_until(lambda: [p for p in server_pids(gw, binary) if p != old], timeout,
                      what="gantry restarting %s" % binary)[0]


# -- status endpoint -----------------------------------------------------------------------------

def status_port(gw, timeout=10.0):
    """The status endpoint's port (gantry logs `status endpoint listening on HOST:PORT` when
    gantry.status_listen is set; use "127.0.0.1:0")."""
    m = gw.wait_for_log(r"status endpoint listening on (?:\[[^\]]*\]|[^\s:]+):(\d+)", timeout)
    return int(m.group(1))


def status_json(port, path="/status"):
    """The status endpoint's JSON, or None when nothing listens on port."""
    try:
        r = request(port, "GET", path, timeout=5)
    except (ConnectionRefusedError, OSError, EOFError):
        return None
    if r.status != 200:
        return None
    return r.json()


def find_counter(obj, key):
    """The first value of `key` in a nested JSON object, searching breadth first (the plugin
    counters may sit at the top level or under a "plugins" member)."""
    queue = [obj]
    while queue:
        cur = queue.pop(0)
        if isinstance(cur, dict):
            if key in cur and not isinstance(cur[key], (dict, list)):
                return cur[key]
            queue += list(cur.values())
    return None
