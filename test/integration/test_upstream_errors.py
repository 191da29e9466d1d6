"""Misbehaving peers: an upstream that answers garbage (502) or dies mid-body (client connection
cut, never a hang), a client that disconnects while its request is in flight, many concurrent
connections. After each, the gateway keeps serving."""

import socket
import threading
import time

from gantry_harness import Conn, config, request, route, service


def start(gantry, upstream, **svc):
    return gantry(config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])],
                **svc)]))


def test_garbage_from_upstream_is_502(gantry, upstream):
    gw = start(gantry, upstream, retries=0)
    r = request(gw.port, "GET", "/g", headers={"X-Echo-Garbage": "1"})
    assert r.status == 502, r
    assert request(gw.port, "GET", "/ok").status == 200


def test_upstream_dies_mid_body_cuts_client(gantry, upstream):
    gw = start(gantry, upstream)
    with Conn(gw.port, timeout=10) as c:
        c.send_request("GET", "/t", headers={"X-Echo-Truncate": "5000"})
        t0 = time.monotonic()
        try:
            r = c.read_response()
            raise AssertionError("a truncated upstream body was delivered as complete: %r" % r)
        except (EOFError, ConnectionResetError):
            pass
        assert time.monotonic() - t0 < 5, "the client connection hung"
    assert request(gw.port, "GET", "/ok").status == 200


def test_client_disconnect_while_upstream_busy(gantry, upstream):
    gw = start(gantry, upstream)
    for i in range(5):
        c = Conn(gw.port)
        c.send_request("GET", "/abandon/%d" % i, headers={"X-Echo-Delay-Ms": "300"})
        upstream.wait_for(lambda seen, i=i: any(s["path"] == "/abandon/%d" % i for s in seen))
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()  # RST
    time.sleep(0.5)
    gw.assert_running()
    assert request(gw.port, "GET", "/ok").status == 200


def test_client_disconnect_mid_upload(gantry, upstream):
    gw = start(gantry, upstream)
    c = Conn(gw.port)
    c.send(b"POST /partial HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + b"p" * 1000)
    upstream.wait_for(lambda seen: any(s["path"] == "/partial" for s in seen))
    c.close()
    time.sleep(0.3)
    gw.assert_running()
    assert request(gw.port, "GET", "/ok").status == 200


def test_200_concurrent_connections(gantry, upstream):
    gw = start(gantry, upstream)
    conns = [Conn(gw.port) for _ in range(200)]
    try:
        for i, c in enumerate(conns):
            c.send_request("GET", "/many/%d" % i)
        for i, c in enumerate(conns):
            r = c.read_response()
            assert r.status == 200 and r.json()["path"] == "/many/%d" % i, r
    finally:
        for c in conns:
            c.close()


def test_concurrent_slow_requests_do_not_block_others(gantry, upstream):
    gw = start(gantry, upstream)
    done = []

    def slow(i):
        done.append(request(gw.port, "GET", "/slow/%d" % i,
                            headers={"X-Echo-Delay-Ms": "1000"}).status)

    threads = [threading.Thread(target=slow, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    upstream.wait_for(lambda seen: sum(s["path"].startswith("/slow/") for s in seen) == 5)
    t0 = time.monotonic()
    assert request(gw.port, "GET", "/fast").status == 200
    assert time.monotonic() - t0 < 0.5, "a fast request waited behind slow ones"
    for t in threads:
        t.join(timeout=10)
    assert done == [200] * 5
