"""Request smuggling defences (ambiguous framing -> 400 and close) and the request limits
(414 request line, 431 headers, 413 body, 408 slow head)."""

import time

import pytest

from gantry_harness import Conn, config, raw_exchange, route, service

LIMITS = {"max_request_line_bytes": 1024, "max_header_bytes": 4096, "max_header_count": 20,
          "max_body_bytes": 1000, "client_header_timeout": 500}


@pytest.fixture
def gw(gantry, upstream):
    return gantry(config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])])],
        limits=LIMITS))


def expect_400_close(gw, upstream, raw):
    resp, closed = raw_exchange(gw.port, raw)
    assert resp is not None, "connection closed without a response"
    assert resp.status == 400, resp
    assert closed, "connection left open after a 400 for ambiguous framing"
    assert upstream.requests_handled == 0, "the request reached the upstream"


SMUGGLING = {
    "te_and_cl": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
    "cl_and_te": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                 b"Content-Length: 6\r\n\r\n0\r\n\r\nG",
    "duplicate_cl": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    b"Content-Length: 6\r\n\r\nhello!",
    "cl_list": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!",
    "obs_fold": b"GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n",
    "bad_chunk_size": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"zz\r\nhello\r\n0\r\n\r\n",
    "chunk_size_overflow": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"ffffffffffffffffff1\r\nhello\r\n0\r\n\r\n",
    "te_not_chunked_last": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip"
                           b"\r\n\r\n0\r\n\r\n",
    "bad_cl": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\nx",
    "space_before_colon": b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad : y\r\n\r\n",
    "bare_lf_in_chunk": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"5\nhello\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(SMUGGLING))
def test_ambiguous_framing_rejected(gw, upstream, name):
    expect_400_close(gw, upstream, SMUGGLING[name])


def test_missing_host_on_http11_is_400(gw, upstream):
    resp, _ = raw_exchange(gw.port, b"GET / HTTP/1.1\r\n\r\n")
    assert resp is not None and resp.status == 400, resp


def test_request_line_too_long_414(gw, upstream):
    resp, _ = raw_exchange(gw.port, b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert resp is not None and resp.status == 414, resp
    assert upstream.requests_handled == 0


def test_header_too_large_431(gw, upstream):
    resp, _ = raw_exchange(gw.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 5000 +
                           b"\r\n\r\n")
    assert resp is not None and resp.status == 431, resp


def test_too_many_headers_431(gw, upstream):
    hdrs = b"".join(b"X-H%d: v\r\n" % i for i in range(30))
    resp, _ = raw_exchange(gw.port, b"GET / HTTP/1.1\r\nHost: x\r\n" + hdrs + b"\r\n")
    assert resp is not None and resp.status == 431, resp


def test_body_too_large_413(gw, upstream):
    resp, _ = raw_exchange(gw.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
                           + b"x" * 5000)
    assert resp is not None and resp.status == 413, resp
    assert upstream.requests_handled == 0


def test_body_at_limit_passes(gw, upstream):
    with Conn(gw.port) as c:
        r = c.request("POST", "/ok", body=b"y" * 1000)
        assert r.status == 200, r


def test_chunked_body_too_large_413(gw, upstream):
    chunk = b"x" * 600
    resp, _ = raw_exchange(gw.port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                           b"\r\n\r\n" + (b"%x\r\n%s\r\n" % (len(chunk), chunk)) * 3 + b"0\r\n\r\n")
    assert resp is not None and resp.status == 413, resp


def test_slow_header_408(gw, upstream):
    with Conn(gw.port, timeout=5) as c:
        t0 = time.monotonic()
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finished
        r = c.read_response()
        elapsed = time.monotonic() - t0
        assert r.status == 408, r
        assert 0.3 < elapsed < 3.0, elapsed
        assert c.is_closed_by_peer(timeout=2)


def test_idle_connection_without_request_is_closed(gw, upstream):
    with Conn(gw.port, timeout=5) as c:
        # No byte sent: the header timeout applies, the connection is closed (a 408 is allowed).
        c.sock.settimeout(4)
        t0 = time.monotonic()
        data = b""
        try:
            while True:
                d = c.sock.recv(4096)
                if not d:
                    break
                data += d
        except ConnectionResetError:
            pass
        assert time.monotonic() - t0 < 3.5
        assert data == b"" or data.startswith(b"HTTP/1.1 408"), data
