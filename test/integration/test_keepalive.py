"""Keep-alive reuse on both sides: many requests on one client connection reach the upstream on
fewer connections than requests."""

from gantry_harness import Conn, config, route, service

N = 50


def test_client_and_upstream_keepalive(gantry, upstream):
    gw = gantry(config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])])]))
    with Conn(gw.port) as c:
        for i in range(N):
            r = c.request("GET", "/ka/%d" % i)
            assert r.status == 200, r
            assert r.json()["path"] == "/ka/%d" % i
            assert (r.header("connection") or "").lower() != "close", r.headers
    assert upstream.requests_handled == N
    # Sequential requests need one upstream connection; allow a little slack for reconnects.
    assert upstream.connections_accepted <= 3, (
        "upstream accepted %d connections for %d requests: no upstream keep-alive"
        % (upstream.connections_accepted, N))


def test_many_client_connections_share_upstream_pool(gantry, upstream):
    gw = gantry(config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])])]))
    for i in range(20):  # a new client connection each time, one request each
        with Conn(gw.port) as c:
            assert c.request("GET", "/fresh/%d" % i).status == 200
    assert upstream.connections_accepted < 20, upstream.connections_accepted


def test_upstream_connection_close_is_not_reused(gantry, upstream):
    gw = gantry(config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])])]))
    with Conn(gw.port) as c:
        for i in range(5):
            r = c.request("GET", "/close/%d" % i, headers={"X-Echo-Close": "1"})
            assert r.status == 200, r
    assert upstream.connections_accepted == 5


def test_client_connection_close_honoured(gantry, upstream):
    gw = gantry(config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])])]))
    with Conn(gw.port) as c:
        r = c.request("GET", "/bye", headers={"Connection": "close"})
        assert r.status == 200
        assert c.is_closed_by_peer(timeout=3.0)
