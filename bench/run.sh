#!/usr/bin/env bash
# Runs the load generator against a fresh deployment and prints its figures.
#   bench/run.sh embedded [bench args]   one gateway with its in-process silo, SQLite in a temp folder
#   bench/run.sh cluster  [bench args]   deploy/local-cluster.sh: PostgreSQL, 3 silos, 2 gateways
# Bench args: --sessions N (1000) --reads N (10000) --concurrency N (32) --warmup N (3000, not measured).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-embedded}; shift || true
work=$(mktemp -d /tmp/orleansshare-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

dotnet build "$repo/bench/OrleansShare.Bench" -c Release -o "$work/bench" -v quiet -nologo > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); date: $(date -u +%Y-%m-%dT%H:%MZ)"

case "$mode" in
  embedded)
    dotnet build "$repo/src/Gateway" -c Release -o "$work/gateway" -v quiet -nologo > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
    export Admin__ApiKey="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    Storage__DataDirectory="$work/data" dotnet "$work/gateway/OrleansShare.Gateway.dll" --urls http://127.0.0.1:18080 > "$work/gateway.log" 2>&1 &
    gateway=$!
    trap 'kill $gateway 2>/dev/null || true; rm -rf "$work"' EXIT
    until curl -sf http://127.0.0.1:18080/health/ready > /dev/null; do sleep 0.5; done
    dotnet "$work/bench/OrleansShare.Bench.dll" --gateways http://127.0.0.1:18080 "$@"
    ;;
  cluster)
    "$repo/deploy/local-cluster.sh" up > "$work/cluster.log"
    trap '"$repo/deploy/local-cluster.sh" down > /dev/null; rm -rf "$work"' EXIT
    # shellcheck disable=SC1091
    source "$repo/.local-cluster/env"
    dotnet "$work/bench/OrleansShare.Bench.dll" --gateways http://127.0.0.1:8081,http://127.0.0.1:8082 "$@"
    ;;
  *) echo "usage: $0 embedded|cluster [--sessions N] [--reads N] [--concurrency N]" >&2; exit 2 ;;
esac
