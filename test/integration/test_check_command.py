"""`gantry check -c FILE`: 0 on the shipped example, non-zero with the error's path on a bad file."""

import json
import re
import subprocess

import pytest

from gantry_harness import REPO, config, gantry_bin, route, service


def check(path, cwd=None):
    return subprocess.run([gantry_bin(), "check", "-c", str(path)], capture_output=True,
                          text=True, timeout=60, cwd=cwd)


def test_check_accepts_example():
    # As the README runs it: from the repository root. `gantry check` starts the plugin servers
    # the file declares, so their commands must have been built.
    example = REPO / "examples" / "gantry.yaml"
    missing = [c for c in re.findall(r'^\s*command:\s*\["([^"]+)"', example.read_text(), re.M)
               if not (REPO / c).exists()]
    if missing:
        pytest.xfail("missing build step: examples/gantry.yaml declares plugin server command(s) "
                     "%s that the default build does not produce (only scripts/demo builds them)"
                     % ", ".join(missing))
    p = check(example, cwd=REPO)
    assert p.returncode == 0, p.stdout + p.stderr


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
