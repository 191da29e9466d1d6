"""Phases: exit short-circuits access (later plugins and the upstream are skipped, the log phase
still runs); the response phase rewrites headers and the buffered body; the log phase writes one
line per request, off the request path (a slow log plugin never delays the client)."""

import time
import zlib

from echo_upstream import header
from gantry_harness import Conn, request, route
from plugin_harness import echo_service, managed, plugin, plugin_config, wait_until

HOST = "example.com"


def read_lines(path):
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def wait_lines(path, n, timeout=10.0):
    return wait_until(lambda: (lambda ls: ls if len(ls) >= n else None)(read_lines(path)),
                      timeout, what="%d lines in %s (have %r)" % (n, path, read_lines(path)))


def test_exit_short_circuits(gantry, upstream, tmp_path):
    log = tmp_path / "exit.log"
    routes = [route("r", ["/r"])]
    cfg = plugin_config(
        services=[echo_service(upstream, routes)],
        plugin_servers=[managed("go-key-auth"), managed("go-hello"), managed("go-log")],
        plugins=[plugin("go-key-auth", {}, route="r"),
                 plugin("go-hello", {"message": "after-auth"}, route="r"),
                 plugin("go-log", {"path": str(log)}, route="r")],
        consumers=[{"username": "u", "keyauth_credentials": [{"key": "k"}]}])
    gw = gantry(cfg)
    before = len(upstream.seen)
    r = request(gw.port, "GET", "/r/denied", host=HOST)
    assert r.status == 401, r
    assert r.json() == {"message": "No API key found in request"}, r
    # go-hello (priority 1) comes after go-key-auth (1250): the exit skipped it.
    assert r.header("x-hello-from-go") is None, r
    assert len(upstream.seen) == before, "the upstream saw a request that was exited"
    # The log phase still runs after an exit, and sees the exit's status.
    lines = wait_lines(log, 1)
    assert lines[0].split()[:3] == ["GET", "/r/denied", "401"], lines
    # With the key, everything runs: both plugins, the upstream, the log.
    r = request(gw.port, "GET", "/r/ok", headers={"apikey": "k"}, host=HOST)
    assert r.status == 200, r
    assert r.header("x-hello-from-go") == "Go says after-auth to %s" % HOST, r
    lines = wait_lines(log, 2)
    assert lines[1].split()[:3] == ["GET", "/r/ok", "200"], lines


def transform_cfg(upstream, **conf):
    conf = {"header_name": "x-transformed", "header_value": "yes",
            "replace_from": "needle", "replace_to": "REPLACED-TEXT", **conf}
    return plugin_config(services=[echo_service(upstream, [route("rt", ["/rt"]),
                                                           route("plain", ["/plain"])])],
                         plugin_servers=[managed("go-response-transform")],
                         plugins=[plugin("go-response-transform", conf, route="rt")])


def test_response_transform_header_and_body(gantry, upstream):
    gw = gantry(transform_cfg(upstream))
    for extra in ({}, {"X-Echo-Chunked": "3"}):
        r = request(gw.port, "GET", "/rt/needle/and/needle", headers=extra, host=HOST)
        assert r.status == 200, r
        assert r.header("x-transformed") == "yes", r
        assert b"needle" not in r.body, r
        doc = r.json()  # still one whole JSON document, correctly framed
        assert doc["path"] == "/REPLACED-TEXT/and/REPLACED-TEXT", doc
        if r.header("content-length") is not None:
            assert int(r.header("content-length")) == len(r.body), r
    # The upstream's own status and headers go through the response phase unchanged.
    r = request(gw.port, "GET", "/rt/x", host=HOST,
                headers={"X-Echo-Status": "201", "X-Echo-Header-X-Up": "kept"})
    assert r.status == 201 and r.header("x-up") == "kept", r
    assert r.header("x-transformed") == "yes", r
    # The route without the plugin is untouched.
    r = request(gw.port, "GET", "/plain/needle", host=HOST)
    assert r.status == 200 and r.header("x-transformed") is None, r
    assert r.json()["path"] == "/needle", r


def test_response_transform_keep_alive(gantry, upstream):
    """A rewritten body of another length must not break framing on a keep-alive connection."""
    gw = gantry(transform_cfg(upstream, replace_to="x"))
    with Conn(gw.port) as c:
        for i in range(5):
            r = c.request("GET", "/rt/needle-%d" % i, host=HOST)
            assert r.status == 200, r
            assert r.json()["path"] == "/x-%d" % i, r


def test_log_one_line_per_request(gantry, upstream, tmp_path):
    log = tmp_path / "access.log"
    cfg = plugin_config(services=[echo_service(upstream, [route("r", ["/logged"]),
                                                          route("q", ["/quiet"])])],
                        plugin_servers=[managed("go-log")],
                        plugins=[plugin("go-log", {"path": str(log)}, route="r")])
    gw = gantry(cfg)
    n = 20
    for i in range(n):
        status = 200 if i % 2 == 0 else 418
        r = request(gw.port, "GET", "/logged/%d" % i, host=HOST,
                    headers={"X-Echo-Status": str(status)})
        assert r.status == status, r
        assert request(gw.port, "GET", "/quiet/%d" % i, host=HOST).status == 200
    lines = wait_lines(log, n)
    # Lines may come in any order (the log phase is asynchronous), but one per request.
    got = sorted(tuple(line.split()[:3]) for line in lines)
    want = sorted(("GET", "/logged/%d" % i, "200" if i % 2 == 0 else "418") for i in range(n))
    assert got == want, lines
    for line in lines:
        assert float(line.split()[3]) >= 0, line
    # No extra lines show up later (the quiet route has no log plugin).
    time.sleep(0.3)
    assert len(read_lines(log)) == n, read_lines(log)


def test_log_phase_never_delays_the_client(gantry, upstream):
    """go-slow's log phase sleeps 3 s: responses (and the next request on the same connection)
    must not wait for it."""
    cfg = plugin_config(services=[echo_service(upstream, [route("r", ["/slowlog"])])],
                        plugin_servers=[managed("go-slow")],
                        plugins=[plugin("go-slow", {"sleep_ms": 0, "log_sleep_ms": 3000},
                                        route="r", timeout=10000)])
    gw = gantry(cfg)
    # Warm-up (server handshake, first stream).
    assert request(gw.port, "GET", "/slowlog/warm", host=HOST).status == 200
    with Conn(gw.port) as c:
        for i in range(3):
            t0 = time.monotonic()
            r = c.request("GET", "/slowlog/%d" % i, host=HOST)
            elapsed = time.monotonic() - t0
            assert r.status == 200 and r.header("x-slow") == "done", r
            assert elapsed < 1.5, "request %d took %.2fs: the log phase delayed it" % (i, elapsed)
    # The log phase did run (its log line reaches gantry's error log).
    gw.wait_for_log(r"go-slow log done /slowlog/2", timeout=15)


def body_cfg(upstream):
    routes = [route("fetch", ["/fetch"]), route("declared", ["/declared"])]
    return plugin_config(services=[echo_service(upstream, routes)],
                         plugin_servers=[managed("go-body")],
                         plugins=[plugin("go-body-fetch", {"upper": True}, route="fetch"),
                                  plugin("go-body-declared", {}, route="declared")])


def chunked(body, size=10000):
    out = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size])
                   for i in range(0, len(body), size))
    return out + b"0\r\n\r\n"


def test_request_body_fetched_declared_and_replaced(gantry, upstream):
    gw = gantry(body_cfg(upstream))
    body = bytes(b"abcdefghij"[i % 10] for i in range(200000))
    seen = "%d:%08x" % (len(body), zlib.crc32(body))
    for path in ("/fetch/x", "/declared/x"):
        for framing in ("content-length", "chunked"):
            if framing == "chunked":
                r = request(gw.port, "POST", path, host=HOST, body=chunked(body),
                            headers={"Transfer-Encoding": "chunked"}, timeout=30)
            else:
                r = request(gw.port, "POST", path, host=HOST, body=body, timeout=30)
            assert r.status == 200, (path, framing, r)
            doc = r.json()
            assert header(doc["headers"], "x-body-seen") == seen, (path, framing, doc["headers"])
            want = body.upper() if path.startswith("/fetch") else body
            assert (doc["body_len"], doc["body_crc32"]) == (len(want), zlib.crc32(want)), \
                (path, framing, doc["body_len"])
    # No body at all.
    r = request(gw.port, "GET", "/fetch/empty", host=HOST)
    assert r.status == 200 and header(r.json()["headers"], "x-body-seen") == "0:00000000", r


def test_response_over_the_buffer_limit(gantry, upstream):
    """A response-phase plugin buffers the upstream body, bounded by 8 MiB (PROTOCOL.md 2). A
    valid upstream response over the bound must not be blamed on the upstream, and the error log
    must say what happened."""
    gw = gantry(transform_cfg(upstream))
    limit = 8 * 1024 * 1024
    r = request(gw.port, "GET", "/rt/x", host=HOST, headers={"X-Echo-Stream-Bytes": str(limit)},
                timeout=30)
    assert r.status == 200 and len(r.body) == limit and r.header("x-transformed") == "yes", r
    mark = gw.line_count()
    r = request(gw.port, "GET", "/rt/x", host=HOST,
                headers={"X-Echo-Stream-Bytes": str(limit + 1)}, timeout=30)
    assert r.status in (200, 500, 502), r
    if r.status == 200:
        assert len(r.body) == limit + 1, "truncated body"
    else:
        gw.wait_for_log(r"(?i)(too large|limit|exceed|buffer)", timeout=5, since=mark)
        assert b"invalid response was received from the upstream" not in r.body, \
            "a valid upstream response blamed on the upstream: %r" % r


def test_log_lines_survive_a_graceful_stop(gantry, upstream, tmp_path):
    """SIGTERM right after the last responses: log-phase events may still be collected (while
    earlier ones are in flight) or in flight, and gantry's drain sends them and waits for their
    replies before the event streams close, so no request's log line is lost (go-log flushes
    its file on shutdown)."""
    log = tmp_path / "stop.log"
    cfg = plugin_config(services=[echo_service(upstream, [route("r", ["/logged"])])],
                        plugin_servers=[managed("go-log")],
                        plugins=[plugin("go-log", {"path": str(log)}, route="r")])
    gw = gantry(cfg)
    n = 30
    with Conn(gw.port) as c:
        for i in range(n):
            r = c.request("GET", "/logged/%d" % i, host=HOST)
            assert r.status == 200, r
    gw.stop()
    lines = read_lines(log)
    assert sorted(l.split()[1] for l in lines) == sorted("/logged/%d" % i for i in range(n)), lines
