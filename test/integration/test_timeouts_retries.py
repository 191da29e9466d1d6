"""Upstream failures: read timeout -> 504; a dead target is retried on another; all dead -> 502."""

import time

from gantry_harness import Conn, config, dead_port, request, route, service


def test_upstream_read_timeout_is_504(gantry, upstream):
    gw = gantry(config(services=[
        service("slow", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])],
                read_timeout=300, retries=0)]))
    t0 = time.monotonic()
    r = request(gw.port, "GET", "/slow", headers={"X-Echo-Delay-Ms": "3000"})
    elapsed = time.monotonic() - t0
    assert r.status == 504, r
    assert elapsed < 2.5, "504 took %.2fs with read_timeout 300ms" % elapsed
    assert "message" in r.json()
    # The gateway stays healthy and a fast request on the same service works.
    assert request(gw.port, "GET", "/fast").status == 200


def test_dead_target_retried_on_live_one(gantry, upstream):
    dead = dead_port()
    gw = gantry(config(
        services=[service("svc", host="backend", port=80, protocol="http",
                          routes=[route("r", ["/"])], retries=3, connect_timeout=1000)],
        upstreams=[{"name": "backend", "targets": [
            {"target": "127.0.0.1:%d" % dead}, {"target": "127.0.0.1:%d" % upstream.port}]}]))
    with Conn(gw.port) as c:
        for i in range(10):
            r = c.request("GET", "/rr/%d" % i)
            assert r.status == 200, r
            assert r.json()["upstream_port"] == upstream.port
    for i in range(5):  # and on fresh client connections
        assert request(gw.port, "GET", "/fresh/%d" % i).status == 200
    assert upstream.requests_handled == 15


def test_all_targets_dead_is_502_json(gantry):
    gw = gantry(config(
        services=[service("svc", host="backend", port=80, protocol="http",
                          routes=[route("r", ["/"])], retries=2, connect_timeout=1000)],
        upstreams=[{"name": "backend", "targets": [
            {"target": "127.0.0.1:%d" % dead_port()}, {"target": "127.0.0.1:%d" % dead_port()}]}]))
    t0 = time.monotonic()
    r = request(gw.port, "GET", "/nothing")
    assert r.status == 502, r
    assert time.monotonic() - t0 < 5
    assert "application/json" in (r.header("content-type") or ""), r.headers
    assert "message" in r.json()


def test_dead_service_host_is_502(gantry):
    gw = gantry(config(services=[
        service("svc", url="http://127.0.0.1:%d" % dead_port(), routes=[route("r", ["/"])],
                retries=1)]))
    r = request(gw.port, "GET", "/x")
    assert r.status == 502, r
