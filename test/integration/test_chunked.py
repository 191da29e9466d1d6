"""Chunked bodies both ways: a chunked request body reaches the upstream intact, a chunked
upstream response reaches the client intact."""

import time

from gantry_harness import Conn, config, header, route, service


def start(gantry, upstream):
    return gantry(config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])])]))


def test_chunked_request_body(gantry, upstream):
    gw = start(gantry, upstream)
    pieces = [b"hello ", b"chunked ", b"world" * 1000, b"!"]
    with Conn(gw.port) as c:
        c.send(b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               b"Content-Type: text/plain\r\n\r\n")
        for p in pieces:
            c.send(b"%x;ext=1\r\n%s\r\n" % (len(p), p))
            time.sleep(0.02)
        c.send(b"0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200, r
        e = r.json()
        assert e["body"] == b"".join(pieces).decode()
        assert e["body_len"] == sum(map(len, pieces))
        # Either re-chunked or de-chunked with a length, never both framings.
        assert not (header(e["headers"], "transfer-encoding") and
                    header(e["headers"], "content-length")), e["headers"]
        # The connection stays usable after a chunked request.
        assert c.request("GET", "/after").json()["path"] == "/after"


def test_chunked_response_body(gantry, upstream):
    gw = start(gantry, upstream)
    with Conn(gw.port) as c:
        r = c.request("GET", "/down?x=1", headers={"X-Echo-Chunked": "7"})
        assert r.status == 200, r
        e = r.json()  # the whole JSON survived, so every chunk arrived in order
        assert e["path"] == "/down" and e["query"] == "x=1"
        assert r.header("transfer-encoding", "").lower() == "chunked" or \
            r.header("content-length") is not None
        assert c.request("GET", "/after").status == 200


def test_chunked_both_ways(gantry, upstream):
    gw = start(gantry, upstream)
    with Conn(gw.port) as c:
        c.send(b"PUT /both HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               b"X-Echo-Chunked: 5\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200, r
        assert r.json()["body"] == "abcdefg"


def test_chunked_trailers_do_not_break_framing(gantry, upstream):
    gw = start(gantry, upstream)
    with Conn(gw.port) as c:
        c.send(b"POST /tr HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"2\r\nok\r\n0\r\nX-Trailer: t\r\n\r\n")
        r = c.read_response()
        assert r.status == 200, r
        assert r.json()["body"] == "ok"
        assert c.request("GET", "/next").status == 200
