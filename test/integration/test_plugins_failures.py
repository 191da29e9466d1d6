"""Failures: a managed plugin server killed under traffic (fail closed during the outage, restarted
by gantry, traffic recovers); plugin timeouts (504 fail closed, skipped fail open); a reload that
changes a plugin's config keeps its server; sidecars (tcp and unix); malformed mutations are
rejected and counted while gantry keeps serving."""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from echo_upstream import header, header_all
from gantry_harness import Conn, request, route
from plugin_harness import (FAIL_500, ClientLoop, Sidecar, echo_service, find_counter,
                            kill_and_recover, managed, plugin, plugin_config, server_pid,
                            server_pids, status_json, status_port, wait_until)

HOST = "example.com"
FAIL_504 = {"message": "The plugin server is timing out"}


def hello_cfg(upstream, message="hi", server=None, **plugin_fields):
    return plugin_config(services=[echo_service(upstream, [route("r", ["/r"])])],
                         plugin_servers=[server or managed("go-hello")],
                         plugins=[plugin("go-hello", {"message": message}, route="r",
                                         **plugin_fields)])


def hello_ok(r, message="hi"):
    return r is not None and r.status == 200 and \
        r.header("x-hello-from-go") == "Go says %s to %s" % (message, HOST)


def test_managed_server_killed_under_traffic(gantry, upstream):
    gw = gantry(hello_cfg(upstream))
    results = kill_and_recover(gw, "go-hello", "/r/loop", "x-hello-from-go",
                               "Go says hi to %s" % HOST)
    assert sum(1 for res in results if res[1] == 200) >= 40


def test_managed_server_killed_fail_open(gantry, upstream):
    """fail_open: the outage costs the header on some responses, never a request."""
    gw = gantry(hello_cfg(upstream, fail_open=True))
    kill_and_recover(gw, "go-hello", "/r/loop", "x-hello-from-go", "Go says hi to %s" % HOST,
                     fail_open=True)


def test_calls_in_flight_when_the_server_dies(gantry, upstream):
    """SIGKILL while calls are in flight: the fail-closed one answers 500 at once (not after
    its 10 s timeout), the fail-open one is proxied without the plugin; the next request waits
    for the restarted server and runs the plugin."""
    cfg = slow_cfg(upstream, sleep_ms=3000, timeout=10000)
    cfg["gantry"]["status_listen"] = "127.0.0.1:0"
    gw = gantry(cfg)
    port = status_port(gw)
    assert timed(gw.port, "/fast/warm")[0].header("x-slow") == "done"
    pid = server_pid(gw, "go-slow")
    sent = status_json(port)["plugins"]["servers"]["go-slow"]["events_sent"]
    with ThreadPoolExecutor(2) as pool:
        closed = pool.submit(timed, gw.port, "/closed/x")
        opened = pool.submit(timed, gw.port, "/open/x")
        wait_until(lambda: status_json(port)["plugins"]["servers"]["go-slow"]["events_sent"]
                   >= sent + 2, 5, what="both calls sent to go-slow")
        os.kill(pid, signal.SIGKILL)
        r, elapsed = closed.result(timeout=15)
        assert r.status == 500 and r.json() == FAIL_500, r
        assert elapsed < 2.5, "the fail-closed call ended after %.2fs" % elapsed
        r, elapsed = opened.result(timeout=15)
        assert r.status == 200 and r.header("x-slow") is None, r
        assert elapsed < 2.5, "the fail-open call ended after %.2fs" % elapsed
    r, _ = timed(gw.port, "/fast/after")
    assert r.status == 200 and r.header("x-slow") == "done", r
    assert server_pids(gw, "go-slow") not in ([], [pid])
    servers = status_json(port)["plugins"]["servers"]["go-slow"]
    assert servers["restarts"] >= 1 and servers["ready"] is True, servers
    gw.wait_for_log(r"go-slow", timeout=5)


def slow_cfg(upstream, sleep_ms=3000, timeout=300):
    routes = [route("closed", ["/closed"]), route("open", ["/open"]), route("fast", ["/fast"])]
    return plugin_config(
        services=[echo_service(upstream, routes)],
        plugin_servers=[managed("go-slow")],
        plugins=[plugin("go-slow", {"sleep_ms": sleep_ms}, route="closed", timeout=timeout),
                 plugin("go-slow", {"sleep_ms": sleep_ms}, route="open", timeout=timeout,
                        fail_open=True),
                 plugin("go-slow", {"sleep_ms": 0}, route="fast", timeout=2000)])


def timed(port, path):
    t0 = time.monotonic()
    r = request(port, "GET", path, host=HOST, timeout=15)
    return r, time.monotonic() - t0


def test_slow_plugin_times_out(gantry, upstream):
    gw = gantry(slow_cfg(upstream))
    r, _ = timed(gw.port, "/fast/x")
    assert r.status == 200 and r.header("x-slow") == "done", r
    before = len(upstream.seen)
    r, elapsed = timed(gw.port, "/closed/x")
    assert r.status == 504, r
    assert r.json() == FAIL_504, r
    assert 0.25 <= elapsed < 2.0, "answered after %.2fs (timeout 300 ms)" % elapsed
    assert len(upstream.seen) == before, "a fail-closed request was proxied"
    gw.wait_for_log(r"go-slow", timeout=5)
    r, elapsed = timed(gw.port, "/open/x")
    assert r.status == 200, r
    assert r.header("x-slow") is None, r
    assert elapsed < 2.0, "answered after %.2fs (timeout 300 ms)" % elapsed
    # The server is still usable after the cancelled calls.
    r, _ = timed(gw.port, "/fast/y")
    assert r.status == 200 and r.header("x-slow") == "done", r


def test_client_gone_cancels_the_plugin_call(gantry, upstream):
    """A client that half-closes (FIN) before its response started has gone away, as nginx
    (499) and Envoy treat it: gantry closes, cancels the plugin call in flight (the Go handler's
    context ends at once, not after its 10 s sleep) and never proxies the request."""
    cfg = slow_cfg(upstream, sleep_ms=10000, timeout=20000)
    cfg["gantry"]["status_listen"] = "127.0.0.1:0"
    gw = gantry(cfg)
    port = status_port(gw)
    sent = status_json(port)["plugins"]["servers"]["go-slow"]["events_sent"]
    before = len(upstream.seen)
    t0 = time.monotonic()
    with Conn(gw.port, timeout=5) as c:
        c.send(b"GET /closed/gone HTTP/1.1\r\nHost: example.com\r\n\r\n")
        wait_until(lambda: status_json(port)["plugins"]["servers"]["go-slow"]["events_sent"]
                   > sent, 5, what="the access call sent to go-slow")
        c.sock.shutdown(1)  # SHUT_WR: FIN, the request is complete
        assert c.is_closed_by_peer(timeout=3)
    gw.wait_for_log(r"go-slow: access cancelled /closed/gone", timeout=3)
    assert time.monotonic() - t0 < 5, "cancelled only after the handler's sleep"
    r, _ = timed(gw.port, "/fast/after")
    assert r.status == 200 and r.header("x-slow") == "done", r
    assert [s["path"] for s in upstream.seen[before:]] == ["/after"]  # strip_path


def test_reload_does_not_change_plugin_servers(gantry, upstream):
    """PROTOCOL.md 3.6: plugin servers are read at start only; a reload that adds one warns,
    starts nothing, and plugins are validated against the running servers."""
    gw = gantry(hello_cfg(upstream, "one"))
    cfg = hello_cfg(upstream, "two")
    cfg["plugin_servers"].append(managed("cpp-hello"))
    cfg["plugins"].append(plugin("cpp-hello", {"message": "new"}, route="r"))
    mark = gw.reload(cfg)
    gw.wait_for_log(r"(?i)plugin_servers changed", timeout=10, since=mark)
    gw.wait_for_log(r"plugins\[1\]\.name", timeout=10, since=mark)
    r = request(gw.port, "GET", "/r", host=HOST)
    assert hello_ok(r, "one") and r.header("x-hello-from-cpp") is None, r
    assert server_pids(gw, "cpp-hello") == []


def test_reload_changes_config_keeps_server(gantry, upstream):
    gw = gantry(hello_cfg(upstream, "one"))
    assert hello_ok(request(gw.port, "GET", "/r", host=HOST), "one")
    pid = server_pid(gw, "go-hello")
    with ClientLoop(gw.port, "/r/loop") as loop:
        loop.wait_for_more(10)
        gw.reload(hello_cfg(upstream, "two"))
        wait_until(lambda: hello_ok(request(gw.port, "GET", "/r", host=HOST), "two"), 10,
                   what="the new message after the reload")
        loop.wait_for_more(10)
    bad = [res for res in loop.results
           if not (hello_ok(res[2], "one") or hello_ok(res[2], "two"))]
    assert not bad, "requests failed during the reload: %r" % bad[:5]
    assert server_pids(gw, "go-hello") == [pid], "the plugin server was restarted by the reload"


@pytest.mark.parametrize("listen", ["tcp", "unix"])
def test_sidecar(gantry, upstream, tmp_path, listen):
    addr = "127.0.0.1:0" if listen == "tcp" else "unix:%s" % (tmp_path / "hello.sock")
    with Sidecar("go-hello", addr) as sc:
        assert sc.network == listen, sc.address
        if listen == "tcp":
            assert not sc.address.endswith(":0"), "READY line with port 0: %s" % sc.address
        gw = gantry(hello_cfg(upstream, "side", server={"name": "hello-sidecar",
                                                         "address": sc.gantry_address}))
        for i in range(5):
            assert hello_ok(request(gw.port, "GET", "/r/%d" % i, host=HOST), "side")
        assert server_pids(gw, "go-hello") == [], "gantry started a sidecar itself"
        gw.stop()
        assert sc.proc.poll() is None or sc.proc.returncode == 0


def test_sidecar_dies_and_comes_back(gantry, upstream, tmp_path):
    """A sidecar killed: once gantry knows it is down, requests fail closed (500) after at most
    its start_timeout; a new sidecar on the same socket is reconnected to (instances configured
    again) and traffic recovers."""
    addr = "unix:%s" % (tmp_path / "side.sock")
    first = Sidecar("go-hello", addr).start()
    try:
        cfg = hello_cfg(upstream, "side", server={
            "name": "side", "address": first.gantry_address, "start_timeout": 1000})
        cfg["gantry"]["status_listen"] = "127.0.0.1:0"
        gw = gantry(cfg)
        port = status_port(gw)
        assert hello_ok(request(gw.port, "GET", "/r", host=HOST), "side")
    finally:
        first.proc.kill()
        first.proc.wait()
    wait_until(lambda: not status_json(port)["plugins"]["servers"]["side"]["ready"], 10,
               what="gantry noticing the sidecar is gone")
    r, elapsed = timed(gw.port, "/r/away")
    assert r.status == 500 and r.json() == FAIL_500, r
    # PROTOCOL.md 3.5: a request waits for a server that is not ready at most its start_timeout.
    assert elapsed < 2.5, "the outage failure took %.2fs (start_timeout 1000 ms)" % elapsed
    with Sidecar("go-hello", addr):
        wait_until(lambda: hello_ok(request(gw.port, "GET", "/r", host=HOST), "side"), 15,
                   what="traffic through the new sidecar")
        for i in range(10):
            assert hello_ok(request(gw.port, "GET", "/r/%d" % i, host=HOST), "side")
        assert status_json(port)["plugins"]["servers"]["side"]["ready"] is True
        gw.stop()


def test_sidecar_rolling_restart_loses_nothing(gantry, upstream, tmp_path):
    """A sidecar replaced on the same socket path while traffic flows (a rolling restart: the
    new one binds, then the old one gets SIGTERM): every request succeeds with the plugin, and
    the old server's exit leaves the new one's socket in place."""
    addr = "unix:%s" % (tmp_path / "side.sock")
    first = Sidecar("go-hello", addr).start()
    second = None
    try:
        cfg = hello_cfg(upstream, "side", server={"name": "side", "address": first.gantry_address})
        gw = gantry(cfg)
        with ClientLoop(gw.port, "/r/loop", host=HOST) as loop:
            loop.wait_for_more(20)
            second = Sidecar("go-hello", addr).start()
            first.stop()  # SIGTERM: in-flight calls finish, then the stream ends
            assert first.proc.returncode == 0, first.stderr_lines[-5:]
            loop.wait_for_more(50)
        bad = [res for res in loop.results if not hello_ok(res[2], "side")]
        assert not bad, "requests failed during the rolling restart: %r" % bad[:5]
        assert os.path.exists(str(tmp_path / "side.sock")), "the new sidecar's socket was removed"
        for i in range(5):
            assert hello_ok(request(gw.port, "GET", "/r/after%d" % i, host=HOST), "side")
        gw.stop()
    finally:
        first.stop()
        if second is not None:
            second.stop()


BAD_MODES = ["crlf-response", "crlf-request", "hop-request", "hop-response", "bad-name"]


def bad_cfg(upstream):
    routes = [route("m-%s" % m, ["/%s" % m]) for m in BAD_MODES]
    return plugin_config(
        services=[echo_service(upstream, routes)],
        plugin_servers=[managed("go-bad-mutation")],
        plugins=[plugin("go-bad-mutation", {"mode": m}, route="m-%s" % m) for m in BAD_MODES],
        gantry={"status_listen": "127.0.0.1:0"})


def test_malformed_mutations_rejected(gantry, upstream):
    gw = gantry(bad_cfg(upstream))
    port = status_port(gw)
    before = status_json(port)
    assert before is not None, "GET /status on gantry.status_listen failed"
    with Conn(gw.port) as c:
        for mode in BAD_MODES * 2:  # twice, on one keep-alive connection
            r = c.request("GET", "/%s/x" % mode, host=HOST)
            assert r.status == 200, (mode, r)
            # The valid mutations around the bad one were applied.
            assert r.header("x-good") == "1", (mode, r)
            up = r.json()["headers"]
            assert header(up, "x-good-before") == "1", (mode, up)
            assert header(up, "x-good-after") == "1", (mode, up)
            for hs, where in ((r.headers, "response"), (up, "upstream request")):
                names = [k.lower() for k, _ in hs]
                assert "x-injected" not in names, (mode, where, hs)
                assert "x-bad" not in names, (mode, where, hs)
                assert not any(" " in k or ":" in k for k in names), (mode, where, hs)
            assert not [v for v in header_all(up, "transfer-encoding")], (mode, up)
            assert r.json()["body_framing"] != "chunked", (mode, r)
            assert "x-good-before" not in (header(up, "connection") or "").lower(), (mode, up)
            assert (r.header("connection") or "").lower() != "close", (mode, r)
            assert not r.header_all("transfer-encoding") or r.header("content-length") is None
    gw.wait_for_log(r"(?i)go-bad-mutation.*reject|reject.*go-bad-mutation", timeout=5)
    gw.assert_running()
    assert request(gw.port, "GET", "/crlf-response/again", host=HOST).status == 200
    after = status_json(port)
    rejected_before = find_counter(before["plugins"], "rejected_mutations")
    # Per round: one per mode, two for each hop-* mode (7); two rounds and one more request.
    assert after["plugins"]["rejected_mutations"] - rejected_before == 15, after
    assert after["plugins"]["servers"]["go-bad-mutation"]["rejected_mutations"] == 15, after
