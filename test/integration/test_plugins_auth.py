"""go-key-auth with consumers and keyauth_credentials (lookup through the FindCredential fetch),
and consumer-scoped plugin configs chosen after authentication."""

import pytest

from echo_upstream import header
from gantry_harness import request, route
from plugin_harness import echo_service, managed, plugin, plugin_config

HOST = "example.com"
ALICE = "11111111-1111-4111-8111-111111111111"
BOB = "22222222-2222-4222-8222-222222222222"
CAROL = "33333333-3333-4333-8333-333333333333"
ALICE_CRED = "aaaaaaaa-1111-4111-8111-111111111111"


def auth_cfg(upstream, extra_plugins=(), key_auth_config=None):
    routes = [route("r-auth", ["/auth"]), route("r-open", ["/open"])]
    consumers = [
        {"id": ALICE, "username": "alice", "custom_id": "c-alice",
         "keyauth_credentials": [{"id": ALICE_CRED, "key": "alice-key"}]},
        {"id": BOB, "username": "bob"},
        {"id": CAROL, "username": "carol"},
    ]
    creds = {"keyauth_credentials": [{"consumer": "bob", "key": "bob-key"},
                                     {"consumer": {"username": "carol"}, "key": "carol-key"}]}
    plugins = [plugin("go-key-auth", key_auth_config or {}, route="r-auth")] + list(extra_plugins)
    return plugin_config(services=[echo_service(upstream, routes)],
                         plugin_servers=[managed("go-key-auth"), managed("go-hello")],
                         plugins=plugins, consumers=consumers, credentials=creds)


def get(port, path, headers=None):
    return request(port, "GET", path, headers=headers, host=HOST)


def upstream_headers(r):
    assert r.status == 200, r
    return r.json()["headers"]


@pytest.fixture
def gw(gantry, upstream):
    return gantry(auth_cfg(upstream))


def test_no_key_is_401(gw, upstream):
    before = len(upstream.seen)
    r = get(gw.port, "/auth/x")
    assert r.status == 401, r
    assert r.json() == {"message": "No API key found in request"}, r
    assert r.header("www-authenticate") == "Key", r
    assert "json" in (r.header("content-type") or ""), r
    assert int(r.header("content-length")) == len(r.body), r
    assert len(upstream.seen) == before, "a rejected request reached the upstream"


def test_bad_key_is_401(gw, upstream):
    before = len(upstream.seen)
    for headers in ({"apikey": "nope"}, {"apikey": "alice-key-but-longer"}):
        r = get(gw.port, "/auth/x", headers)
        assert r.status == 401, r
        assert r.json() == {"message": "Invalid authentication credentials"}, r
    r = get(gw.port, "/auth/x?apikey=wrong")
    assert r.status == 401 and r.json()["message"] == "Invalid authentication credentials", r
    assert len(upstream.seen) == before


def test_good_key_reaches_upstream_as_consumer(gw):
    r = get(gw.port, "/auth/x", {"apikey": "alice-key"})
    hdrs = upstream_headers(r)
    assert header(hdrs, "x-consumer-username") == "alice", hdrs
    assert header(hdrs, "x-consumer-id") == ALICE, hdrs
    assert header(hdrs, "x-consumer-custom-id") == "c-alice", hdrs
    assert header(hdrs, "x-credential-identifier") == ALICE_CRED, hdrs
    # Without hide_credentials the key goes upstream too.
    assert header(hdrs, "apikey") == "alice-key", hdrs
    # A top-level credential (consumer referenced by name), key in the query string.
    hdrs = upstream_headers(get(gw.port, "/auth/x?apikey=bob-key"))
    assert header(hdrs, "x-consumer-username") == "bob", hdrs
    assert header(hdrs, "x-consumer-custom-id") is None, hdrs
    # A route without the plugin is open.
    assert get(gw.port, "/open").status == 200


def test_client_cannot_spoof_consumer_headers(gw):
    r = get(gw.port, "/auth/x", [("apikey", "carol-key"), ("X-Consumer-Username", "alice"),
                                 ("X-Consumer-ID", ALICE), ("X-Anonymous-Consumer", "true")])
    hdrs = upstream_headers(r)
    assert [v for k, v in hdrs if k.lower() == "x-consumer-username"] == ["carol"], hdrs
    assert [v for k, v in hdrs if k.lower() == "x-consumer-id"] == [CAROL], hdrs
    assert header(hdrs, "x-anonymous-consumer") is None, hdrs


def test_hide_credentials(gantry, upstream):
    gw = gantry(auth_cfg(upstream, key_auth_config={"key_names": ["x-key"],
                                                    "hide_credentials": True}))
    hdrs = upstream_headers(get(gw.port, "/auth/x", {"x-key": "alice-key"}))
    assert header(hdrs, "x-key") is None, hdrs
    assert header(hdrs, "x-consumer-username") == "alice", hdrs
    # The default key name is not looked at any more.
    assert get(gw.port, "/auth/x", {"apikey": "alice-key"}).status == 401


def test_consumer_scoped_config_chosen_after_authentication(gantry, upstream):
    """go-hello: route-scoped "route"; alice has a route+consumer config, bob a consumer-only
    config (more specific than route-only in Kong's precedence); carol has none."""
    extra = [
        plugin("go-hello", {"message": "route"}, route="r-auth"),
        plugin("go-hello", {"message": "for-alice"}, route="r-auth", consumer="alice"),
        plugin("go-hello", {"message": "for-bob"}, consumer={"username": "bob"}),
    ]
    gw = gantry(auth_cfg(upstream, extra_plugins=extra))
    expect = {"alice-key": "for-alice", "bob-key": "for-bob", "carol-key": "route"}
    # Interleaved, several rounds: the choice is per request, never cached across consumers.
    for _ in range(3):
        for key, message in expect.items():
            r = get(gw.port, "/auth/p", {"apikey": key})
            assert r.status == 200, r
            assert r.header("x-hello-from-go") == "Go says %s to %s" % (message, HOST), (key, r)
    # Unauthenticated on the open route: bob's consumer-only config does not apply to
    # anonymous requests, and the route-scoped config is r-auth's only.
    r = get(gw.port, "/open")
    assert r.status == 200 and r.header("x-hello-from-go") is None, r
    # A rejected request never ran go-hello (exit stops the access phase).
    r = get(gw.port, "/auth/p", {"apikey": "wrong"})
    assert r.status == 401 and r.header("x-hello-from-go") is None, r
