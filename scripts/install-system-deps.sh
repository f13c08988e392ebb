#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks need, when they are missing.
# As root it uses apt-get; otherwise it names what is missing and fails.
set -euo pipefail

PACKAGES=(
  redis-server   # the reference server of the conformance suite
  redis-tools    # redis-cli, redis-benchmark
  redis-sentinel # the Sentinels of the failover tests
  nutcracker     # twemproxy, the proxy reference of npm run bench (bench/proxy.ts)
  etcd-server    # the etcd coordinator of the coordinator contract suite
  etcd-client    # etcdctl, to look into that etcd by hand
  zookeeper      # the ZooKeeper coordinator of the coordinator contract suite
  default-jre-headless  # ZooKeeper runs on Java
  chromium       # the browser of the codis-fe tests (driven by playwright-core)
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
# Same for etcd on 2379: the tests start their own servers on free ports.
if command -v systemctl >/dev/null 2>&1; then
  systemctl stop redis-server >/dev/null 2>&1 || true
  systemctl stop redis-sentinel >/dev/null 2>&1 || true
  systemctl stop etcd >/dev/null 2>&1 || true
  systemctl stop nutcracker >/dev/null 2>&1 || true
fi
