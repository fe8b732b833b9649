#!/usr/bin/env bash
# Runs the load generator against a fresh deployment and prints its figures.
#   bench/run.sh embedded [bench args]   one gateway with its in-process silo, SQLite in a temp folder
#   bench/run.sh cohosted [bench args]   PostgreSQL; gateways that are also the silos (Cluster__HostSilo=true), no
#                                        dedicated silo; 1 process unless GATEWAY_PORTS names more
#   bench/run.sh split    [bench args]   PostgreSQL; dedicated silos (SILOS, 1) + gateways as pure Orleans clients
#                                        (Cluster__HostSilo=false); 1 gateway unless GATEWAY_PORTS names more
#   bench/run.sh cluster  [bench args]   deploy/local-cluster.sh as its settings say (default: 3 silos + 2 co-hosted gateways)
# The PostgreSQL topologies start and stop deploy/local-cluster.sh, whose settings (PG_PORT, GATEWAY_PORTS,
# SILO_PORT_BASE, GATEWAY_PORT_BASE, LOCAL_CLUSTER_DIR) apply.
# Bench args: --sessions N (1000) --reads N (10000) --concurrency N (32) --warmup N (3000, not measured), --governance
# (purpose, scope of four sections and consent on every share), --webhook (a webhook destination for the importer on a
# loopback receiver of the load generator; reports the delivery latency, and allows loopback destinations in cluster mode).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-embedded}; shift || true
work=$(mktemp -d /tmp/orleansshare-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

case "$mode" in
  embedded|cohosted|split|cluster) ;;
  *) echo "usage: $0 embedded|cohosted|split|cluster [--sessions N] [--reads N] [--concurrency N] [--warmup N]" >&2; exit 2 ;;
esac

# The load comes from one API key per application and one address, far past API.md's default limits (2,000 requests a
# second per key): raise them out of the way, as ../shared/bench/compare.sh does, unless the caller chose its own.
export RateLimiting__PermitsPerSecond=${RateLimiting__PermitsPerSecond:-1000000} RateLimiting__Burst=${RateLimiting__Burst:-1000000}
case " $* " in *" --webhook "*) export Webhooks__AllowPrivateNetworks=${Webhooks__AllowPrivateNetworks:-true} ;; esac

dotnet build "$repo/bench/OrleansShare.Bench" -c Release -o "$work/bench" -v quiet -nologo > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); date: $(date -u +%Y-%m-%dT%H:%MZ)"

# A cluster from deploy/local-cluster.sh (its own PostgreSQL), stopped on exit; $1 = SILOS, $2 = Cluster__HostSilo.
run_cluster() {
  local silos=$1 host_silo=$2; shift 2
  local ports=${GATEWAY_PORTS:-"8081 8082"} cluster_dir=${LOCAL_CLUSTER_DIR:-$repo/.local-cluster}
  echo "topology: $mode ($silos dedicated silos, gateways on ports $ports, Cluster__HostSilo=$host_silo)"
  SILOS=$silos Cluster__HostSilo=$host_silo GATEWAY_PORTS=$ports "$repo/deploy/local-cluster.sh" up > "$work/cluster.log" \
    || { cat "$work/cluster.log"; "$repo/deploy/local-cluster.sh" down > /dev/null; exit 1; }
  trap '"$repo/deploy/local-cluster.sh" down > /dev/null; rm -rf "$work"' EXIT
  grep -A 20 '^NAME' "$work/cluster.log"
  # shellcheck disable=SC1091
  source "$cluster_dir/env"
  local urls; urls=$(for p in $ports; do printf 'http://127.0.0.1:%s,' "$p"; done)
  dotnet "$work/bench/OrleansShare.Bench.dll" --gateways "${urls%,}" "$@"
}

case "$mode" in
  embedded)
    echo "topology: embedded (one gateway with its in-process silo, SQLite)"
    dotnet build "$repo/src/Gateway" -c Release -o "$work/gateway" -v quiet -nologo > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
    export Admin__ApiKey="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    Storage__DataDirectory="$work/data" dotnet "$work/gateway/OrleansShare.Gateway.dll" --urls http://127.0.0.1:18080 > "$work/gateway.log" 2>&1 &
    gateway=$!
    trap 'kill $gateway 2>/dev/null || true; rm -rf "$work"' EXIT
    until curl -sf http://127.0.0.1:18080/health/ready > /dev/null; do
      kill -0 "$gateway" 2>/dev/null || { tail -20 "$work/gateway.log"; exit 1; }
      sleep 0.5
    done
    dotnet "$work/bench/OrleansShare.Bench.dll" --gateways http://127.0.0.1:18080 "$@"
    ;;
  cohosted) GATEWAY_PORTS=${GATEWAY_PORTS:-8081} run_cluster 0 true "$@" ;;
  split) GATEWAY_PORTS=${GATEWAY_PORTS:-8081} run_cluster "${SILOS:-1}" false "$@" ;;
  cluster) run_cluster "${SILOS:-3}" "${Cluster__HostSilo:-true}" "$@" ;;
esac
