"""Basic proxying: forwarded headers, X-Forwarded-*, Via, Host rules, strip_path, query, 404."""

import threading

from gantry_harness import Conn, config, header, request, route, service


def start(gantry, upstream, **route_fields):
    svc_path = route_fields.pop("service_path", "")
    cfg = config(services=[
        service("echo", url="http://127.0.0.1:%d%s" % (upstream.port, svc_path), routes=[
            route("r", paths=["/api"], **route_fields)]),
    ])
    return gantry(cfg)


def test_headers_and_body_forwarded(gantry, upstream):
    gw = start(gantry, upstream)
    r = request(gw.port, "POST", "/api/things", headers={
        "X-Custom": "one", "X-Multi": "a", "Accept": "text/plain", "User-Agent": "itest/1"},
        body=b"hello body")
    assert r.status == 200, r
    e = r.json()
    assert e["method"] == "POST"
    assert e["body"] == "hello body"
    assert header(e["headers"], "x-custom") == "one"
    assert header(e["headers"], "user-agent") == "itest/1"
    assert header(e["headers"], "accept") == "text/plain"
    assert header(e["headers"], "content-length") == "10"


def test_x_forwarded_headers(gantry, upstream):
    gw = start(gantry, upstream)
    r = request(gw.port, "GET", "/api/x", host="client.example:1234",
                headers={"X-Forwarded-For": "10.9.8.7"})
    assert r.status == 200, r
    h = r.json()["headers"]
    xff = header(h, "x-forwarded-for")
    assert xff is not None, h
    assert [p.strip() for p in xff.split(",")] == ["10.9.8.7", "127.0.0.1"], xff
    assert header(h, "x-real-ip") in (None, "127.0.0.1")
    assert header(h, "x-forwarded-proto") == "http"
    assert header(h, "x-forwarded-host") == "client.example"
    assert header(h, "x-forwarded-port") == str(gw.port)
    assert header(h, "x-forwarded-path") == "/api/x"


def test_via_header(gantry, upstream):
    gw = start(gantry, upstream)
    r = request(gw.port, "GET", "/api/via")
    assert r.status == 200, r
    via = r.header("via")
    assert via is not None and "gantry" in via.lower(), r.headers
    up_via = header(r.json()["headers"], "via")  # a proxy adds Via to forwarded requests too
    assert up_via is not None and "gantry" in up_via.lower(), r.json()["headers"]


def test_hop_by_hop_headers_not_forwarded(gantry, upstream):
    gw = start(gantry, upstream)
    r = request(gw.port, "GET", "/api/hop", headers={
        "Connection": "keep-alive, X-Hop", "X-Hop": "secret", "Keep-Alive": "timeout=5",
        "Proxy-Connection": "keep-alive", "TE": "trailers"})
    assert r.status == 200, r
    h = r.json()["headers"]
    assert header(h, "x-hop") is None, h
    assert header(h, "keep-alive") is None, h
    assert header(h, "proxy-connection") is None, h


def test_host_rewritten_without_preserve_host(gantry, upstream):
    gw = start(gantry, upstream, preserve_host=False)
    r = request(gw.port, "GET", "/api/h", host="client.example")
    assert r.status == 200, r
    assert header(r.json()["headers"], "host") == "127.0.0.1:%d" % upstream.port


def test_host_kept_with_preserve_host(gantry, upstream):
    gw = start(gantry, upstream, preserve_host=True)
    r = request(gw.port, "GET", "/api/h", host="client.example:8443")
    assert r.status == 200, r
    assert header(r.json()["headers"], "host") == "client.example:8443"


def test_strip_path_joins_service_path(gantry, upstream):
    gw = start(gantry, upstream, service_path="/base", strip_path=True)
    assert request(gw.port, "GET", "/api/foo/bar").json()["path"] == "/base/foo/bar"
    assert request(gw.port, "GET", "/api").json()["path"] == "/base"


def test_strip_path_without_service_path(gantry, upstream):
    gw = start(gantry, upstream, strip_path=True)
    assert request(gw.port, "GET", "/api/foo").json()["path"] == "/foo"
    assert request(gw.port, "GET", "/api").json()["path"] == "/"


def test_no_strip_path_keeps_route_prefix(gantry, upstream):
    gw = start(gantry, upstream, service_path="/base", strip_path=False)
    assert request(gw.port, "GET", "/api/foo").json()["path"] == "/base/api/foo"


def test_query_string_preserved_verbatim(gantry, upstream):
    gw = start(gantry, upstream)
    q = "a=1&b=%20x%2Fy&a=2&empty=&flag"
    r = request(gw.port, "GET", "/api/q?" + q)
    assert r.status == 200, r
    assert r.json()["query"] == q


def test_no_route_is_404_json(gantry, upstream):
    gw = start(gantry, upstream)
    r = request(gw.port, "GET", "/nothing/here")
    assert r.status == 404, r
    assert "application/json" in (r.header("content-type") or ""), r.headers
    body = r.json()
    assert "message" in body, body
    assert upstream.requests_handled == 0


def test_methods_and_hosts_restrict_routes(gantry, upstream):
    cfg = config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[
            route("get-only", paths=["/m"], methods=["GET"], hosts=["api.example"])]),
    ])
    gw = gantry(cfg)
    assert request(gw.port, "GET", "/m", host="api.example").status == 200
    assert request(gw.port, "POST", "/m", host="api.example", body=b"x").status == 404
    assert request(gw.port, "GET", "/m", host="other.example").status == 404


def test_head_request(gantry, upstream):
    gw = start(gantry, upstream)
    with Conn(gw.port) as c:
        r = c.request("HEAD", "/api/head")
        assert r.status == 200, r
        assert r.body == b""
        assert int(r.header("content-length")) > 0  # the length a GET would have
        assert c.request("GET", "/api/after").json()["path"] == "/after"


def test_http10_client(gantry, upstream):
    gw = start(gantry, upstream)
    with Conn(gw.port) as c:
        c.send(b"GET /api/old HTTP/1.0\r\nHost: x\r\n\r\n")
        r = c.read_response()
        assert r.status == 200, r
        assert r.json()["path"] == "/old"
        assert c.is_closed_by_peer(timeout=3)


def test_two_workers_concurrent_clients(gantry, upstream):
    cfg = config(services=[service("echo", url="http://127.0.0.1:%d" % upstream.port,
                                   routes=[route("r", paths=["/api"])])],
                 gantry={"workers": 2})
    gw = gantry(cfg)
    assert len({port for _, port in gw.addresses}) == 1, gw.addresses
    results = []

    def client(n):
        with Conn(gw.port) as c:
            for i in range(20):
                r = c.request("GET", "/api/w%d/%d" % (n, i))
                results.append(r.status == 200 and r.json()["path"] == "/w%d/%d" % (n, i))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 160 and all(results)
