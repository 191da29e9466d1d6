"""Upgrade tunnel: Upgrade: websocket -> 101 from the upstream -> raw bytes both ways."""

from gantry_harness import Conn, config, route, service


def test_websocket_upgrade_tunnel(gantry, upstream):
    gw = gantry(config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])])]))
    with Conn(gw.port, timeout=5) as c:
        c.send(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        r = c.read_response()
        assert r.status == 101, r
        assert (r.header("upgrade") or "").lower() == "websocket", r.headers
        assert c.reader.readline() == b"upstream-ready\n"
        for msg in [b"ping-1\n", b"\x00\x01\x02binary\xff\n", b"x" * 100000 + b"\n"]:
            c.send(msg)
            got = c.reader.read_exact(len(msg))
            assert got == msg
        # Half-close from the client ends the tunnel in both directions.
        c.sock.shutdown(1)
        assert c.is_closed_by_peer(timeout=3)
    seen = upstream.seen[0]
    assert seen["path"] == "/ws"
