"""100 MiB streamed through in each direction with bounded gateway memory.

Bound: gantry's peak VmRSS during the transfer may exceed its idle RSS (measured after warm-up)
by at most RSS_BOUND_MB. The receiving side pauses for 0.5 s before reading, so a gateway that
buffers instead of applying back-pressure would have to hold hundreds of MB."""

import zlib

from echo_upstream import pattern_chunks, pattern_crc32
from gantry_harness import Conn, RssSampler, config, route, rss_env, service

SIZE = 100 * 1024 * 1024
RSS_BOUND_MB = 64


def start(gantry, upstream):
    gw = gantry(config(services=[
        service("echo", url="http://127.0.0.1:%d" % upstream.port, routes=[route("r", ["/"])],
                read_timeout=60000, write_timeout=60000)]), env=rss_env())
    with Conn(gw.port) as c:  # warm-up: first connections, buffers, pools
        for _ in range(3):
            assert c.request("POST", "/warm", body=b"x" * 100000).status == 200
    return gw


def check_rss(gw, sampler, idle_kb):
    grown_mb = (sampler.peak_kb - idle_kb) / 1024.0
    assert sampler.samples > 5, "RSS was sampled only %d times" % sampler.samples
    assert grown_mb < RSS_BOUND_MB, (
        "gantry RSS grew by %.1f MB (idle %.1f MB, peak %.1f MB) while streaming %d MB; bound %d MB"
        % (grown_mb, idle_kb / 1024.0, sampler.peak_kb / 1024.0, SIZE >> 20, RSS_BOUND_MB))


def test_upload_100mb_streams(gantry, upstream):
    gw = start(gantry, upstream)
    idle = gw.rss_kb()
    with RssSampler(gw) as sampler, Conn(gw.port, timeout=60) as c:
        c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
               b"X-Echo-Read-Delay-Ms: 500\r\n\r\n" % SIZE)
        for piece in pattern_chunks(SIZE, 256 * 1024):
            c.send(piece)
        r = c.read_response()
    assert r.status == 200, r
    e = r.json()
    assert e["body_len"] == SIZE
    assert e["body_crc32"] == pattern_crc32(SIZE)
    check_rss(gw, sampler, idle)


def test_upload_100mb_chunked_streams(gantry, upstream):
    gw = start(gantry, upstream)
    idle = gw.rss_kb()
    with RssSampler(gw) as sampler, Conn(gw.port, timeout=60) as c:
        c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               b"X-Echo-Read-Delay-Ms: 500\r\n\r\n")
        for piece in pattern_chunks(SIZE, 256 * 1024):
            c.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        c.send(b"0\r\n\r\n")
        r = c.read_response()
    assert r.status == 200, r
    e = r.json()
    assert e["body_len"] == SIZE
    assert e["body_crc32"] == pattern_crc32(SIZE)
    check_rss(gw, sampler, idle)


def download(gw, chunked):
    state = {"len": 0, "crc": 0, "first": True}

    def sink(piece):
        if state["first"]:
            state["first"] = False
            import time
            time.sleep(0.5)  # a slow reader: the gateway must stop reading the upstream
        state["len"] += len(piece)
        state["crc"] = zlib.crc32(piece, state["crc"])

    with Conn(gw.port, timeout=60) as c:
        hdrs = {"X-Echo-Stream-Bytes": str(SIZE)}
        if chunked:
            hdrs["X-Echo-Chunked"] = "1"
        c.send_request("GET", "/download", headers=hdrs)
        r = c.read_response(sink=sink)
    assert r.status == 200, r
    assert state["len"] == SIZE
    assert state["crc"] == pattern_crc32(SIZE)


def test_download_100mb_streams(gantry, upstream):
    gw = start(gantry, upstream)
    idle = gw.rss_kb()
    with RssSampler(gw) as sampler:
        download(gw, chunked=False)
    check_rss(gw, sampler, idle)


def test_download_100mb_chunked_streams(gantry, upstream):
    gw = start(gantry, upstream)
    idle = gw.rss_kb()
    with RssSampler(gw) as sampler:
        download(gw, chunked=True)
    check_rss(gw, sampler, idle)
