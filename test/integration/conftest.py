"""Fixtures shared by every integration test file (see gantry_harness.py for the machinery)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from echo_upstream import EchoUpstream  # noqa: E402
from gantry_harness import Gantry  # noqa: E402


@pytest.fixture
def upstream():
    """A fresh echo upstream on a loopback port (stopped after the test)."""
    up = EchoUpstream().start()
    yield up
    up.stop()


@pytest.fixture
def upstream_factory():
    """Makes more echo upstreams (for multi-target tests)."""
    made = []

    def make():
        up = EchoUpstream().start()
        made.append(up)
        return up

    yield make
    for up in made:
        up.stop()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, so fixtures can tell a failed test."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def gantry(tmp_path, request):
    """gantry(cfg) starts the real binary with cfg and returns the running Gantry. At teardown
    every started gantry gets SIGTERM and must exit 0 within its drain time: a crash or a non-zero
    exit fails the test (unless the test already stopped it itself)."""
    started = []

    def start(cfg, name=None, env=None):
        gw = Gantry(cfg, tmp_path / (name or "gantry%d" % len(started)), env=env)
        started.append(gw)
        return gw.start()

    yield start
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        # Shown under "Captured stdout teardown" with the failure.
        for gw in started:
            print("---- gantry %s (pid %s, exit %s) stderr:\n%s" % (
                gw.workdir.name, gw.proc.pid if gw.proc else None,
                gw.proc.poll() if gw.proc else None, gw.log_text()))
    errors = []
    for gw in started:
        if gw.stopped:
            continue
        try:
            gw.assert_running()
            gw.stop()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)
