"""Expect: 100-continue: the client gets an interim 100 before sending the body, and the body
arrives upstream intact."""

from gantry_harness import Conn, config, route, service


def test_expect_100_continue(gantry, upstream):
    gw = gantry(config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])])]))
    body = b"payload-after-continue" * 100
    with Conn(gw.port, timeout=5) as c:
        c.send(b"POST /expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body))
        interim = c.read_response(stop_at_interim=True)
        assert interim.status == 100, interim
        c.send(body)
        r = c.read_response()
        assert r.status == 200, r
        assert r.json()["body"] == body.decode()
        assert r.json()["body_len"] == len(body)
        assert c.request("GET", "/after").status == 200


def test_expect_100_continue_rejected_early_when_too_large(gantry, upstream):
    gw = gantry(config(
        services=[service("echo", url="http://127.0.0.1:%d" % upstream.port,
                          routes=[route("r", ["/"])])],
        limits={"max_body_bytes": 1000}))
    with Conn(gw.port, timeout=5) as c:
        c.send(b"POST /big HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
               b"Content-Length: 5000\r\n\r\n")
        r = c.read_response(stop_at_interim=True)
        assert r.status == 413, r  # final answer without asking for the body
    assert upstream.requests_handled == 0
