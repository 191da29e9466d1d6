"""Go plugins, the basics: go-hello on a route, not on other routes, global, disabled; precedence
of a route-scoped config over a global one; `gantry check` names unknown plugins and bad configs
(validated against the schema the plugin server declares)."""

from gantry_harness import request, route
from plugin_harness import (check, echo_service, managed, pid_alive, plugin, plugin_config,
                            server_pid, server_pids, wait_until)

HOST = "example.com"


def hello_cfg(upstream, plugins, **kw):
    routes = [route("r-hello", ["/hello"]), route("r-plain", ["/plain"])]
    return plugin_config(services=[echo_service(upstream, routes)],
                         plugin_servers=[managed("go-hello")], plugins=plugins, **kw)


def hello_header(port, path, host=HOST):
    r = request(port, "GET", path, host=host)
    assert r.status == 200, r
    return r, r.header("x-hello-from-go")


def test_route_plugin_sets_header_only_on_its_route(gantry, upstream):
    gw = gantry(hello_cfg(upstream, [plugin("go-hello", {"message": "hi"}, route="r-hello")]))
    r, value = hello_header(gw.port, "/hello/x")
    assert value == "Go says hi to %s" % HOST, r
    # The upstream answered (the plugin ran in access, the request was proxied).
    assert r.json()["path"] == "/x", r
    # Several requests on one keep-alive connection, different Host headers.
    for i in range(5):
        host = "h%d.example.org" % i
        r, value = hello_header(gw.port, "/hello/%d" % i, host=host)
        assert value == "Go says hi to %s" % host, r
    r, value = hello_header(gw.port, "/plain/x")
    assert value is None, "plugin of route r-hello ran on r-plain: %r" % r


def test_default_message(gantry, upstream):
    gw = gantry(hello_cfg(upstream, [plugin("go-hello", route="r-hello")]))
    _, value = hello_header(gw.port, "/hello")
    assert value == "Go says hello to %s" % HOST


def test_global_plugin_applies_everywhere(gantry, upstream):
    gw = gantry(hello_cfg(upstream, [plugin("go-hello", {"message": "global"})]))
    for path in ("/hello/a", "/plain/b"):
        r, value = hello_header(gw.port, path)
        assert value == "Go says global to %s" % HOST, (path, r)
    # No route matched: Kong runs global plugins on 404s too (rewrite/access of the 404 is not
    # proxied); only the status is checked here, the header is not required.
    assert request(gw.port, "GET", "/nowhere", host=HOST).status == 404


def test_route_config_wins_over_global(gantry, upstream):
    gw = gantry(hello_cfg(upstream, [plugin("go-hello", {"message": "global"}),
                                     plugin("go-hello", {"message": "route"}, route="r-hello")]))
    _, value = hello_header(gw.port, "/hello")
    assert value == "Go says route to %s" % HOST
    _, value = hello_header(gw.port, "/plain")
    assert value == "Go says global to %s" % HOST


def test_nested_route_plugin(gantry, upstream):
    routes = [route("r-hello", ["/hello"], plugins=[plugin("go-hello", {"message": "nested"})]),
              route("r-plain", ["/plain"])]
    cfg = plugin_config(services=[echo_service(upstream, routes)],
                        plugin_servers=[managed("go-hello")])
    gw = gantry(cfg)
    assert hello_header(gw.port, "/hello")[1] == "Go says nested to %s" % HOST
    assert hello_header(gw.port, "/plain")[1] is None


def test_disabled_plugin_does_nothing(gantry, upstream):
    gw = gantry(hello_cfg(upstream, [
        plugin("go-hello", {"message": "off"}, route="r-hello", enabled=False),
        plugin("go-hello", {"message": "off-global"}, enabled=False)]))
    for path in ("/hello", "/plain"):
        r, value = hello_header(gw.port, path)
        assert value is None, (path, r)


def test_check_accepts_plugin_config(tmp_path, upstream):
    code, out = check(hello_cfg(upstream, [plugin("go-hello", {"message": "hi"},
                                                  route="r-hello")]), tmp_path)
    assert code == 0, out


def test_check_rejects_unknown_plugin(tmp_path, upstream):
    cfg = hello_cfg(upstream, [plugin("no-such-plugin", {}, route="r-hello"),
                               plugin("go-hello", {"message": "fine"})])
    code, out = check(cfg, tmp_path)
    assert code != 0, out
    assert "plugins[0].name" in out, out
    assert "no-such-plugin" in out, out
    assert "plugins[1]" not in out, "the valid plugin was reported too:\n" + out


def test_check_rejects_plugin_without_any_server(tmp_path, upstream):
    cfg = plugin_config(services=[echo_service(upstream, [route("r", ["/r"])])],
                        plugins=[plugin("go-hello", {"message": "hi"})])
    code, out = check(cfg, tmp_path)
    assert code != 0, out
    assert "plugins[0].name" in out, out


def test_check_rejects_bad_config_type(tmp_path, upstream):
    cfg = hello_cfg(upstream, [plugin("go-hello", {"message": "ok"}, route="r-plain"),
                               plugin("go-hello", {"message": 5}, route="r-hello")])
    code, out = check(cfg, tmp_path)
    assert code != 0, out
    assert "plugins[1].config.message" in out, out
    assert "plugins[0]" not in out, out


def test_check_rejects_unknown_config_field(tmp_path, upstream):
    cfg = hello_cfg(upstream, [plugin("go-hello", {"message": "ok", "nope": 1})])
    code, out = check(cfg, tmp_path)
    assert code != 0, out
    assert "plugins[0].config.nope" in out, out


def test_start_refuses_bad_plugin_config(tmp_path, upstream):
    """`gantry start` with a config check rejects must not start serving."""
    from gantry_harness import Gantry, GantryError
    gw = Gantry(hello_cfg(upstream, [plugin("go-hello", {"message": 5})]), tmp_path / "gw",
                start_timeout=20)
    try:
        gw.start()
    except GantryError as e:
        assert "plugins[0].config.message" in str(e), str(e)
        return
    finally:
        if gw.proc and gw.proc.poll() is None:
            gw.kill()
    raise AssertionError("gantry started with an invalid plugin config")


def test_plugin_server_does_not_outlive_gantry(gantry, upstream):
    gw = gantry(hello_cfg(upstream, [plugin("go-hello", {"message": "hi"})]))
    assert hello_header(gw.port, "/hello")[1] == "Go says hi to %s" % HOST
    pid = server_pid(gw, "go-hello")
    gw.stop()
    wait_until(lambda: not pid_alive(pid), 5, what="go-hello (pid %d) exiting with gantry" % pid)


def test_reload_adds_and_removes_plugins(gantry, upstream):
    gw = gantry(hello_cfg(upstream, [plugin("go-hello", {"message": "a"}, route="r-hello")]))
    assert hello_header(gw.port, "/plain")[1] is None
    pid = server_pid(gw, "go-hello")
    mark = gw.reload(hello_cfg(upstream, [plugin("go-hello", {"message": "b"}, route="r-plain")]))
    gw.wait_for_log(r"configuration reloaded", timeout=10, since=mark)
    assert hello_header(gw.port, "/plain")[1] == "Go says b to %s" % HOST
    assert hello_header(gw.port, "/hello")[1] is None
    mark = gw.reload(hello_cfg(upstream, []))
    gw.wait_for_log(r"configuration reloaded", timeout=10, since=mark)
    assert hello_header(gw.port, "/plain")[1] is None
    assert server_pids(gw, "go-hello") == [pid]


def test_reload_with_bad_plugin_config_keeps_the_old_one(gantry, upstream):
    gw = gantry(hello_cfg(upstream, [plugin("go-hello", {"message": "old"})]))
    mark = gw.reload(hello_cfg(upstream, [plugin("go-hello", {"message": ["not", "a", "string"]}),
                                          plugin("ghost", {}, route="r-plain")]))
    gw.wait_for_log(r"plugins\[0\]\.config\.message", timeout=10, since=mark)
    gw.wait_for_log(r"plugins\[1\]\.name", timeout=10, since=mark)
    gw.assert_running()
    assert hello_header(gw.port, "/hello")[1] == "Go says old to %s" % HOST


def test_non_utf8_request_bytes_reach_plugins_without_breaking_the_stream(gantry, upstream):
    """HTTP allows bytes that are not UTF-8 in header values, paths, queries (and gantry accepts
    them in Host); protobuf string fields must be UTF-8, and a Go plugin server rejects a whole
    batch otherwise. Gantry repairs the plugin's copy (U+FFFD) and forwards the original bytes:
    every request succeeds and the event stream never breaks."""
    from gantry_harness import raw_exchange
    from plugin_harness import status_json, status_port
    cfg = hello_cfg(upstream, [plugin("go-hello", {"message": "hi"}, route="r-hello")])
    cfg["gantry"]["status_listen"] = "127.0.0.1:0"
    gw = gantry(cfg)
    for req in (b"GET /hello/x HTTP/1.1\r\nHost: h\r\nX-Latin: caf\xe9\r\n\r\n",
                b"GET /hello/caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n",
                b"GET /hello/x?q=\xe9\xff HTTP/1.1\r\nHost: h\r\n\r\n",
                b"GET /hello/x HTTP/1.1\r\nHost: caf\xe9.example\r\n\r\n"):
        r, _ = raw_exchange(gw.port, req)
        assert r is not None and r.status == 200, (req, r)
        assert r.header("x-hello-from-go", "").startswith("Go says hi to "), (req, r)
    r, _ = raw_exchange(gw.port, b"GET /hello/x HTTP/1.1\r\nHost: h\r\nX-Latin: caf\xe9\r\n\r\n")
    seen = {k.lower(): v for k, v in r.json()["headers"]}
    assert seen["x-latin"] == "caf\xe9", "the upstream must get the original bytes: %r" % seen
    counters = status_json(status_port(gw))["plugins"]
    assert counters["failures"] == 0, counters
    assert counters["servers"]["go-hello"]["generation"] == 1, "the event stream broke: %r" % counters
