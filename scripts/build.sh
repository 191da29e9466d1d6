#!/usr/bin/env bash
# Configures and builds Gantry with CMake + Ninja.
#
#   scripts/build.sh [--sanitize] [--type BUILD_TYPE] [TARGET...]
#
# Default: build/ with CMAKE_BUILD_TYPE=RelWithDebInfo. --sanitize: build-asan/ with
# -DGANTRY_SANITIZE=ON (AddressSanitizer + UBSan). GANTRY_BUILD_DIR overrides the directory (each
# engineer working in parallel uses their own, see docs/TEAM_NOTES.md). GANTRY_JOBS overrides -j2.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
build_type=RelWithDebInfo
extra=()
targets=()
while (($#)); do
  case "$1" in
    --sanitize) build_dir=build-asan; extra+=(-DGANTRY_SANITIZE=ON) ;;
    --type) build_type="$2"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
build_dir="${GANTRY_BUILD_DIR:-$build_dir}"

# Reconfigure only when needed: ninja re-runs cmake by itself when a CMakeLists.txt changes.
if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" "${extra[@]}"
fi
# 2 cores on the reference machine: -j2 beats ninja's default -j4 (build-notes §4 pitfall 7).
ninja -C "$build_dir" -j"${GANTRY_JOBS:-2}" "${targets[@]}"
