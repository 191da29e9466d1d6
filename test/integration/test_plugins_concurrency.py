"""Plugins under concurrency: many requests multiplexed on the event streams get their own
results (consumer lookups through fetches never mixed up), one phase call per server for
several plugins of one server, two workers, plugin errors (panic) by policy, bad exits rejected,
and clients that go away while a plugin call is in flight."""

import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor

from echo_upstream import header
from gantry_harness import request, route
from plugin_harness import (FAIL_500, echo_service, managed, plugin, plugin_config, status_json,
                            status_port)

HOST = "example.com"


def keyauth_cfg(upstream, n_consumers, workers=1):
    consumers = [{"username": "user%d" % i, "keyauth_credentials": [{"key": "key-%d" % i}]}
                 for i in range(n_consumers)]
    cfg = plugin_config(services=[echo_service(upstream, [route("r", ["/r"])])],
                        plugin_servers=[managed("go-key-auth"), managed("go-hello")],
                        plugins=[plugin("go-key-auth", {}, route="r"),
                                 plugin("go-hello", {"message": "hi"}, route="r")],
                        consumers=consumers, gantry={"workers": workers,
                                                     "status_listen": "127.0.0.1:0"})
    return cfg


def run_parallel(port, n, threads=32):
    """n requests with keys key-(i % 40) from `threads` threads; returns [(i, Response)]."""
    def one(i):
        return i, request(port, "GET", "/r/%d" % i, host=HOST,
                          headers={"apikey": "key-%d" % (i % 40)}, timeout=30)
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(n)))


def check_consumers(results):
    bad = []
    for i, r in results:
        ok = r.status == 200 and r.header("x-hello-from-go") == "Go says hi to %s" % HOST
        if ok:
            doc = r.json()
            ok = doc["path"] == "/%d" % i and \
                header(doc["headers"], "x-consumer-username") == "user%d" % (i % 40)
        if not ok:
            bad.append((i, r))
    assert not bad, "%d of %d wrong, e.g. %r" % (len(bad), len(results), bad[:3])


def test_concurrent_requests_get_their_own_consumer(gantry, upstream):
    gw = gantry(keyauth_cfg(upstream, 40))
    check_consumers(run_parallel(gw.port, 400))
    counters = status_json(status_port(gw))["plugins"]
    # One access call per server per request plus one credential fetch: never more.
    assert counters["requests_with_plugins"] == 400, counters
    assert counters["servers"]["go-key-auth"]["fetches"] == 400, counters
    assert counters["servers"]["go-hello"]["phase_calls"] == 400, counters
    # Under concurrency, events travel batched: fewer batches than events on the busy server.
    s = counters["servers"]["go-key-auth"]
    assert s["batches_sent"] <= s["events_sent"], s


def test_two_workers(gantry, upstream):
    gw = gantry(keyauth_cfg(upstream, 40, workers=2))
    check_consumers(run_parallel(gw.port, 200))


def test_three_plugins_one_server_one_round_trip(gantry, upstream):
    cfg = plugin_config(
        services=[echo_service(upstream, [route("r", ["/r"])])],
        plugin_servers=[managed("go-3plugins")],
        plugins=[plugin("bench-a", {"value": "A"}), plugin("bench-b", {}),
                 plugin("bench-c", {"value": "C"}, route="r")],
        gantry={"status_listen": "127.0.0.1:0"})
    gw = gantry(cfg)
    for i in range(10):
        r = request(gw.port, "GET", "/r/%d" % i, host=HOST)
        assert r.status == 200, r
        up = r.json()["headers"]
        assert [header(up, "x-bench-%s" % x) for x in "abc"] == ["A", "1", "C"], up
    counters = status_json(status_port(gw))["plugins"]
    assert counters["round_trips_per_request"] == 1.0, counters
    assert counters["servers"]["go-3plugins"]["phase_calls"] == 10, counters


def misbehave_cfg(upstream):
    routes = [route("p-closed", ["/panic-closed"]), route("p-open", ["/panic-open"]),
              route("exit", ["/bad-exit"])]
    return plugin_config(
        services=[echo_service(upstream, routes)],
        plugin_servers=[managed("go-bad-mutation")],
        plugins=[plugin("go-bad-mutation", {"mode": "panic"}, route="p-closed"),
                 plugin("go-bad-mutation", {"mode": "panic"}, route="p-open", fail_open=True),
                 plugin("go-bad-mutation", {"mode": "bad-exit"}, route="exit")],
        gantry={"status_listen": "127.0.0.1:0"})


def test_plugin_panic_and_bad_exit(gantry, upstream):
    gw = gantry(misbehave_cfg(upstream))
    port = status_port(gw)
    before = len(upstream.seen)
    r = request(gw.port, "GET", "/panic-closed/x", host=HOST)
    assert r.status == 500 and r.json() == FAIL_500, r
    assert len(upstream.seen) == before, "a request whose plugin failed closed was proxied"
    gw.wait_for_log(r"go-bad-mutation.*panic on purpose", timeout=5)
    # Fail open: skipped, and none of its mutations made before the panic are applied.
    r = request(gw.port, "GET", "/panic-open/x", host=HOST)
    assert r.status == 200, r
    assert header(r.json()["headers"], "x-good-before") is None, r
    gw.assert_running()
    counters = status_json(port)["plugins"]
    assert counters["failures"] == 2, counters


def test_invalid_exit_fails_closed(gantry, upstream):
    """An exit with status 700 cannot be honoured nor ignored (a denying plugin must not let the
    request through: core/src/plugin/mutation_applier.h): 500, with the documented body
    (PROTOCOL.md 3.5), not proxied, counted as a rejected mutation."""
    gw = gantry(misbehave_cfg(upstream))
    port = status_port(gw)
    before = len(upstream.seen)
    r = request(gw.port, "GET", "/bad-exit/x", host=HOST)
    assert r.status == 500, r
    assert len(upstream.seen) == before, "a request with an invalid exit was proxied"
    gw.wait_for_log(r"go-bad-mutation.*(700|exit)", timeout=5)
    assert r.json() == FAIL_500, "internal detail in the client body: %r" % r.body
    counters = status_json(port)["plugins"]
    assert counters["rejected_mutations"] == 1, counters
    assert request(gw.port, "GET", "/panic-open/y", host=HOST).status == 200


def test_client_gone_during_plugin_call(gantry, upstream):
    cfg = plugin_config(
        services=[echo_service(upstream, [route("slow", ["/slow"]), route("fast", ["/fast"])])],
        plugin_servers=[managed("go-slow")],
        plugins=[plugin("go-slow", {"sleep_ms": 1500}, route="slow"),
                 plugin("go-slow", {"sleep_ms": 0}, route="fast")],
        gantry={"status_listen": "127.0.0.1:0"})
    gw = gantry(cfg)
    port = status_port(gw)
    before = len(upstream.seen)
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", gw.port))
        s.sendall(b"GET /slow/x HTTP/1.1\r\nHost: example.com\r\n\r\n")
        time.sleep(0.05)  # the request is read and its access call sent
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST: unmistakably gone
    # Let the calls start, then check gantry serves others meanwhile, and later.
    t0 = time.monotonic()
    r = request(gw.port, "GET", "/fast/x", host=HOST)
    assert r.status == 200 and r.header("x-slow") == "done", r
    assert time.monotonic() - t0 < 1.0
    time.sleep(2.0)  # the abandoned calls' plugin sleep (1.5 s) is over
    assert len(upstream.seen) == before + 1, "an abandoned request was proxied"
    r = request(gw.port, "GET", "/fast/y", host=HOST)
    assert r.status == 200 and r.header("x-slow") == "done", r
    counters = status_json(port)["plugins"]
    assert counters["failures"] == 0 and counters["timeouts"] == 0, counters
    gw.assert_running()
