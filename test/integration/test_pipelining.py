"""Pipelined requests (all sent in one write) are answered in order, even when an early one is
slower than the later ones."""

from gantry_harness import Conn, config, route, service


def test_pipelined_requests_answered_in_order(gantry, upstream):
    gw = gantry(config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])])]))
    paths = ["/p/%d" % i for i in range(8)]
    raw = b""
    for i, p in enumerate(paths):
        delay = b"X-Echo-Delay-Ms: 200\r\n" if i == 0 else b""
        body = b"body-%d" % i if i % 2 else b""
        method = b"POST" if body else b"GET"
        raw += b"%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n%s" % (
            method, p.encode(), delay, len(body), body)
    with Conn(gw.port, timeout=10) as c:
        c.send(raw)
        for i, p in enumerate(paths):
            r = c.read_response()
            assert r.status == 200, r
            e = r.json()
            assert e["path"] == p, "response %d is for %s" % (i, e["path"])
            assert e["body"] == ("body-%d" % i if i % 2 else "")
