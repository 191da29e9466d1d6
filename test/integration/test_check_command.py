"""`gantry check -c FILE`: 0 on the shipped example, non-zero with the error's path on a bad file."""

import json
import os
import re
import subprocess

import pytest

from gantry_harness import REPO, config, gantry_bin, route, service


def check(path, cwd=None):
    return subprocess.run([gantry_bin(), "check", "-c", str(path)], capture_output=True,
                          text=True, timeout=60, cwd=cwd)


def test_check_accepts_example(tmp_path):
    # `gantry check` starts the plugin servers the file declares and validates the plugin configs
    # against them. The example's go-hello command is relative to the file ("go-hello/go-hello",
    # which scripts/demo builds); here the file is checked from a copy next to the go-hello that the
    # build produced (go_plugins target).
    plugins_dir = os.environ.get("GANTRY_PLUGINS_DIR", str(REPO / "build" / "plugins"))
    go_hello = os.path.join(plugins_dir, "go-hello")
    assert os.path.exists(go_hello), "the build did not produce %s (go_plugins target)" % go_hello
    example = REPO / "examples" / "gantry.yaml"
    commands = re.findall(r'^\s*command:\s*\["([^"]+)"', example.read_text(), re.M)
    assert commands == ["go-hello/go-hello"], commands
    copy = tmp_path / "gantry.yaml"
    copy.write_text(example.read_text())
    (tmp_path / "go-hello").mkdir()
    os.symlink(go_hello, tmp_path / "go-hello" / "go-hello")
    p = check(copy)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "ok" in p.stdout


def test_check_accepts_harness_config(tmp_path):
    f = tmp_path / "ok.yaml"
    f.write_text(json.dumps(config(services=[service("s", url="http://127.0.0.1:9",
                                                     routes=[route("r", ["/a"])])])))
    p = check(f)
    assert p.returncode == 0, p.stdout + p.stderr


def test_check_rejects_bad_route_path(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("""_format_version: "3.0"
services:
  - name: a
    url: http://127.0.0.1:9000
    routes:
      - name: ok
        paths: ["/ok"]
  - name: b
    url: http://127.0.0.1:9001
    routes:
      - name: first
        paths: ["/fine"]
      - name: second
        paths: ["/good", "missing-slash"]
""")
    p = check(f)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert "services[1].routes[1].paths[1]" in out, out


def test_check_reports_every_error(tmp_path):
    f = tmp_path / "bad2.yaml"
    f.write_text("""_format_version: "3.0"
gantry:
  workers: -3
services:
  - name: a
    url: http://127.0.0.1:9000
    retries: "many"
""")
    p = check(f)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert "gantry.workers" in out, out
    assert "services[0].retries" in out, out


def test_check_missing_file(tmp_path):
    p = check(tmp_path / "nope.yaml")
    assert p.returncode != 0
    assert "nope.yaml" in p.stdout + p.stderr
