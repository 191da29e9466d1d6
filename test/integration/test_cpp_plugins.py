"""C++ plugin servers (gantry_pdk): cpp-hello; Go and C++ plugins interleaved by priority on one
route, each seeing the earlier ones' mutations; cpp-rate-limit's 429; a C++ server killed and
restarted under load."""

import os

from echo_upstream import header
from gantry_harness import request, route
from plugin_harness import (ClientLoop, Sidecar, echo_service, kill_and_recover, managed, plugin,
                            plugin_config)

HOST = "example.com"


def test_cpp_hello(gantry, upstream):
    cfg = plugin_config(services=[echo_service(upstream, [route("r", ["/r"]),
                                                          route("p", ["/p"])])],
                        plugin_servers=[managed("cpp-hello")],
                        plugins=[plugin("cpp-hello", {"message": "hi"}, route="r")])
    gw = gantry(cfg)
    for i in range(5):
        host = "h%d.example.com" % i
        r = request(gw.port, "GET", "/r/%d" % i, host=host)
        assert r.status == 200, r
        assert r.header("x-hello-from-cpp") == "C++ says hi to %s" % host, r
        assert r.json()["path"] == "/%d" % i, r
    r = request(gw.port, "GET", "/p", host=HOST)
    assert r.status == 200 and r.header("x-hello-from-cpp") is None, r


def test_cpp_sidecar(gantry, upstream):
    with Sidecar("cpp-hello", "127.0.0.1:0", flag="--listen") as sc:
        cfg = plugin_config(services=[echo_service(upstream, [route("r", ["/r"])])],
                            plugin_servers=[{"name": "cpp-side", "address": sc.gantry_address}],
                            plugins=[plugin("cpp-hello", {"message": "side"})])
        gw = gantry(cfg)
        r = request(gw.port, "GET", "/r", host=HOST)
        assert r.status == 200 and r.header("x-hello-from-cpp") == "C++ says side to %s" % HOST, r


def test_cpp_sidecar_rolling_restart_loses_nothing(gantry, upstream, tmp_path):
    """A C++ sidecar replaced on the same socket path while traffic flows: the new one binds,
    the old one gets SIGTERM (GOAWAY; gantry moves to a new stream). Every request succeeds
    with the plugin, and the old server's exit leaves the new one's socket file in place."""
    addr = "unix:%s" % (tmp_path / "side.sock")
    first = Sidecar("cpp-hello", addr, flag="--listen").start()
    second = None
    try:
        cfg = plugin_config(services=[echo_service(upstream, [route("r", ["/r"])])],
                            plugin_servers=[{"name": "cpp-side", "address": first.gantry_address}],
                            plugins=[plugin("cpp-hello", {"message": "side"})])
        gw = gantry(cfg)
        with ClientLoop(gw.port, "/r/loop", host=HOST) as loop:
            loop.wait_for_more(20)
            second = Sidecar("cpp-hello", addr, flag="--listen").start()
            first.stop()
            assert first.proc.returncode == 0, first.stderr_lines[-5:]
            loop.wait_for_more(50)
        bad = [res for res in loop.results if res[2] is None or res[2].status != 200 or
               res[2].header("x-hello-from-cpp") != "C++ says side to %s" % HOST]
        assert not bad, "requests failed during the rolling restart: %r" % bad[:5]
        assert os.path.exists(str(tmp_path / "side.sock")), "the new sidecar's socket was removed"
        r = request(gw.port, "GET", "/r/after", host=HOST)
        assert r.status == 200 and r.header("x-hello-from-cpp") == "C++ says side to %s" % HOST, r
        gw.stop()
    finally:
        first.stop()
        if second is not None:
            second.stop()


def order_cfg(upstream):
    """go-order-first (1100, Go) -> cpp-order (1000, C++) -> go-order-last (900, Go), plus
    go-hello (1) and cpp-hello (1000) setting response headers on the same route."""
    return plugin_config(
        services=[echo_service(upstream, [route("o", ["/order"]), route("n", ["/none"])])],
        plugin_servers=[managed("go-order"), managed("cpp-order"), managed("go-hello"),
                        managed("cpp-hello")],
        plugins=[plugin("go-order-last", {}, route="o"),
                 plugin("cpp-order", {}, route="o"),
                 plugin("go-order-first", {}, route="o"),
                 plugin("cpp-hello", {"message": "c"}, route="o"),
                 plugin("go-hello", {"message": "g"}, route="o")])


def test_go_and_cpp_interleave_by_priority(gantry, upstream):
    gw = gantry(order_cfg(upstream))
    for i in range(10):
        # A client X-Order is overwritten by the first plugin (set, not add).
        r = request(gw.port, "GET", "/order/%d" % i, host=HOST, headers={"X-Order": "client"})
        assert r.status == 200, r
        up = r.json()["headers"]
        assert [v for k, v in up if k.lower() == "x-order"] == ["go1,cpp,go2"], up
        assert r.header("x-order-seen") == "go1,cpp,go2", r
        assert r.header("x-hello-from-cpp") == "C++ says c to %s" % HOST, r
        assert r.header("x-hello-from-go") == "Go says g to %s" % HOST, r
    r = request(gw.port, "GET", "/none", host=HOST, headers={"X-Order": "client"})
    assert r.status == 200 and header(r.json()["headers"], "x-order") == "client", r


def rate_cfg(upstream, burst=3, rate=0.2):
    return plugin_config(
        services=[echo_service(upstream, [route("rl", ["/rl"]), route("free", ["/free"])])],
        plugin_servers=[managed("cpp-rate-limit", phase_timeout=1000)],
        plugins=[plugin("cpp-rate-limit", {"rate_per_second": rate, "burst": burst,
                                           "header_name": "x-rl-key"}, route="rl")])


def test_cpp_rate_limit(gantry, upstream):
    gw = gantry(rate_cfg(upstream))

    def get(key, path="/rl/x"):
        return request(gw.port, "GET", path, host=HOST, headers={"x-rl-key": key})

    for remaining in (2, 1, 0):
        r = get("k1")
        assert r.status == 200, r
        assert r.header("ratelimit-limit") == "3", r
        assert r.header("ratelimit-remaining") == str(remaining), r
        assert int(r.header("ratelimit-reset")) >= 1, r
    before = len(upstream.seen)
    r = get("k1")
    assert r.status == 429, r
    assert r.json() == {"message": "API rate limit exceeded"}, r
    assert 1 <= int(r.header("retry-after")) <= 5, r  # one token back in 1/0.2 = 5 s
    assert r.header("ratelimit-limit") == "3" and r.header("ratelimit-remaining") == "0", r
    assert int(r.header("ratelimit-reset")) >= 1, r
    assert int(r.header("content-length")) == len(r.body), r
    assert len(upstream.seen) == before, "a rate-limited request reached the upstream"
    # Another key has its own bucket; a route without the plugin is not limited.
    r = get("k2")
    assert r.status == 200 and r.header("ratelimit-remaining") == "2", r
    for _ in range(5):
        r = get("k1", "/free/x")
        assert r.status == 200 and r.header("ratelimit-limit") is None, r


def test_cpp_server_killed_under_load(gantry, upstream):
    cfg = plugin_config(services=[echo_service(upstream, [route("r", ["/r"])])],
                        plugin_servers=[managed("cpp-hello")],
                        plugins=[plugin("cpp-hello", {"message": "hi"}, route="r")])
    gw = gantry(cfg)
    kill_and_recover(gw, "cpp-hello", "/r/loop", "x-hello-from-cpp",
                     "C++ says hi to %s" % HOST)
