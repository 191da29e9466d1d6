#!/usr/bin/env bash
# Installs what Gantry needs on Debian 12, idempotently. Run as root (or with sudo available).
#
#   scripts/deps.sh            build + test dependencies
#   scripts/deps.sh --bench    also nginx and wrk (bench/run)
#
# When every package is already installed (checked with dpkg -s) apt is not touched at all, so a
# second run takes well under a second.
set -euo pipefail

want_bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) want_bench=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

packages=(build-essential cmake ninja-build pkg-config
          libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
          libuv1-dev libnghttp2-dev node-llhttp nlohmann-json3-dev catch2 libyaml-cpp-dev curl)
if ! command -v python3 >/dev/null 2>&1; then
  packages+=(python3 python3-pytest)
fi
if [[ $want_bench == 1 ]]; then
  packages+=(nginx wrk)
fi

missing=()
for p in "${packages[@]}"; do
  # "install ok installed" is the only state that means the package is really there.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi
}

if ((${#missing[@]})); then
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pytest for the integration tests: whichever python3 is first on PATH must have it.
if ! python3 -m pytest --version >/dev/null 2>&1; then
  if [[ $(command -v python3) == /usr/bin/python3 ]]; then
    # Debian's python is "externally managed": use the packaged pytest.
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq python3-pytest >/dev/null
  else
    python3 -m pip install --quiet pytest || python3 -m pip install --quiet --break-system-packages pytest
  fi
fi
