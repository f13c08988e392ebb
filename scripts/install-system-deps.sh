#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks need, when they are missing.
# As root it uses apt-get; otherwise it names what is missing and fails.
set -euo pipefail

PACKAGES=(
  redis-server   # the reference server of the conformance suite
  redis-tools    # redis-cli, redis-benchmark
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg -s "$package" >/dev/null 2>&1; then missing+=("$package"); fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "system dependencies: all present (${PACKAGES[*]})"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "system dependencies missing: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "installing system dependencies: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts a system redis-server on 6379 after installing it; the tests never use it.
if command -v systemctl >/dev/null 2>&1; then systemctl stop redis-server >/dev/null 2>&1 || true; fi
