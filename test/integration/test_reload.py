"""SIGHUP reload under traffic: no request fails, the new route works afterwards; a reload with
an invalid file keeps the running config."""

import subprocess
import threading
import time

from gantry_harness import Conn, config, gantry_bin, request, route, service


def cfg_for(upstream, extra_route=False):
    routes = [route("old", ["/old"])]
    if extra_route:
        routes.append(route("new", ["/new"]))
    return config(services=[service("echo", url="http://127.0.0.1:%d" % upstream.port,
                                    routes=routes)])


class Traffic:
    """Client loops in threads: one opening a connection per request, one on keep-alive
    connections (reconnecting only when the gateway closed an idle connection, which a
    well-behaved client may retry)."""

    def __init__(self, port):
        self.port = port
        self.ok = 0
        self.failures = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._fresh, daemon=True),
                        threading.Thread(target=self._keepalive, daemon=True)]

    def _record(self, r, what):
        if r.status == 200:
            self.ok += 1
        else:
            self.failures.append("%s: %d %r" % (what, r.status, r.body[:200]))

    def _fresh(self):
        while not self.stop.is_set():
            try:
                self._record(request(self.port, "GET", "/old/fresh", timeout=5), "fresh")
            except Exception as e:  # noqa: BLE001 - every failure counts
                self.failures.append("fresh: %r" % e)

    def _keepalive(self):
        c = None
        while not self.stop.is_set():
            try:
                if c is None:
                    c = Conn(self.port, timeout=5)
                    reused = False
                c.send_request("GET", "/old/ka")
                try:
                    r = c.read_response()
                except (EOFError, ConnectionResetError):
                    if reused:  # closed while idle: retry on a new connection (RFC 9112 9.3.1)
                        c.close()
                        c = None
                        continue
                    raise
                reused = True
                self._record(r, "keepalive")
                if (r.header("connection") or "").lower() == "close":
                    c.close()
                    c = None
            except Exception as e:  # noqa: BLE001
                self.failures.append("keepalive: %r" % e)
                if c:
                    c.close()
                c = None
        if c:
            c.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)


def wait_status(port, path, status, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        r = request(port, "GET", path)
        if r.status == status:
            return r
        if time.monotonic() > deadline:
            raise AssertionError("%s still answers %d after %.1fs" % (path, r.status, timeout))
        time.sleep(0.05)


def test_reload_under_traffic_loses_nothing(gantry, upstream):
    gw = gantry(cfg_for(upstream))
    assert request(gw.port, "GET", "/new").status == 404
    with Traffic(gw.port) as traffic:
        time.sleep(0.5)
        before = traffic.ok
        gw.reload(cfg_for(upstream, extra_route=True))
        wait_status(gw.port, "/new/x", 200)
        time.sleep(0.5)
        # A second reload right after the first, still under traffic.
        gw.reload(cfg_for(upstream))
        wait_status(gw.port, "/new/x", 404)
        gw.reload(cfg_for(upstream, extra_route=True))
        wait_status(gw.port, "/new/x", 200)
        time.sleep(0.5)
    gw.assert_running()
    assert not traffic.failures, "%d failed requests during reload, e.g. %s" % (
        len(traffic.failures), traffic.failures[:5])
    assert traffic.ok > before > 0, (before, traffic.ok)


def test_reload_during_a_response_from_an_upstream_entity(gantry, upstream):
    """A request to a service behind an Upstream (a balancer) is in flight across a reload: it
    completes and reports health to the balancer it picked from, which the reload dropped from
    the worker's cache (a use-after-free under ASan before the balancer was shared)."""
    def cfg(tag):
        return config(services=[service("s", url="http://up.internal", routes=[route("r", ["/"])],
                                        tags=[tag])],
                      upstreams=[{"name": "up.internal",
                                  "targets": [{"target": "127.0.0.1:%d" % upstream.port}]}])
    gw = gantry(cfg("a"))
    out = []
    t = threading.Thread(target=lambda: out.append(request(
        gw.port, "GET", "/slow", headers={"X-Echo-Delay-Ms": "1500"}, timeout=10)))
    t.start()
    time.sleep(0.5)
    mark = gw.reload(cfg("b"))
    gw.wait_for_log(r"(?i)reload", timeout=5, since=mark)
    assert request(gw.port, "GET", "/new-generation").status == 200
    t.join()
    assert out and out[0].status == 200, out
    assert request(gw.port, "GET", "/after").status == 200
    gw.assert_running()


def test_invalid_reload_keeps_old_config(gantry, upstream):
    gw = gantry(cfg_for(upstream, extra_route=True))
    assert request(gw.port, "GET", "/new/x").status == 200
    bad = cfg_for(upstream)
    bad["services"][0]["routes"][0]["paths"] = ["no-leading-slash"]
    mark = gw.reload(bad)
    # The error must be logged, naming the offending field.
    gw.wait_for_log(r"services\[0\]\.routes\[0\]\.paths\[0\]", timeout=5, since=mark)
    gw.assert_running()
    assert request(gw.port, "GET", "/new/x").status == 200
    assert request(gw.port, "GET", "/old/x").status == 200
    # A later valid reload still works.
    gw.reload(cfg_for(upstream))
    wait_status(gw.port, "/new/x", 404)
    mark = gw.reload("this: is: not: yaml: [")
    time.sleep(0.3)
    gw.assert_running()
    assert request(gw.port, "GET", "/old/x").status == 200


def test_reload_command_and_pid_file(gantry, upstream):
    gw = gantry(cfg_for(upstream))
    assert int(gw.pid_path.read_text().split()[0]) == gw.pid
    gw.write_config(cfg_for(upstream, extra_route=True))
    p = subprocess.run([gantry_bin(), "reload", "-p", str(gw.pid_path)], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 0, p.stdout + p.stderr
    wait_status(gw.port, "/new/x", 200)
    gw.stop()
    assert not gw.pid_path.exists(), "pid file left behind after a clean exit"
    # Reload against a pid file whose process is gone fails.
    gw.pid_path.write_text("%d\n" % gw.pid)
    p = subprocess.run([gantry_bin(), "reload", "-p", str(gw.pid_path)], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode != 0
