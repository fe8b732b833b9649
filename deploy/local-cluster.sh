#!/usr/bin/env bash
# A throwaway OrleansShare cluster on this machine: a private PostgreSQL (initdb + pg_ctl in a temp
# folder, on its own port), SILOS dedicated silos (src/Silo, 3 by default) and 2 gateways (src/Gateway) on
# loopback. Each gateway is also a silo of the cluster unless Cluster__HostSilo=false (co-hosted, the default),
# so SILOS=0 is a cluster of co-hosted processes only and Cluster__HostSilo=false a split one (gateways as pure
# Orleans clients). Logs, pids and the generated environment live in one folder (LOCAL_CLUSTER_DIR, default
# ./.local-cluster).
#
#   deploy/local-cluster.sh up       build, start everything, wait until every gateway sees every silo
#   deploy/local-cluster.sh status   each process with its role (silo, gateway+silo, gateway), pid, state, address
#   deploy/local-cluster.sh down     stop exactly what `up` started and remove the database
#
# Settings (environment): SILOS (3), GATEWAY_PORTS ("8081 8082"), Cluster__HostSilo (true), PG_PORT (55432),
# SILO_PORT_BASE (11111), GATEWAY_PORT_BASE (30000): silo i and then co-hosted gateway n take the next silo and
# Orleans gateway ports from these; PG_BIN (PostgreSQL server binaries). An Admin__ApiKey,
# ShareTokens__SigningKeys__<kid> or Storage__EncryptionKeys__<kid> in your environment is used as is; only what is
# missing is generated.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${LOCAL_CLUSTER_DIR:-$repo/.local-cluster}
silos=${SILOS:-3}
gateway_ports=${GATEWAY_PORTS:-"8081 8082"}
pg_port=${PG_PORT:-55432}
silo_port_base=${SILO_PORT_BASE:-11111}
gateway_port_base=${GATEWAY_PORT_BASE:-30000}
host_silo=$(echo "${Cluster__HostSilo:-true}" | tr '[:upper:]' '[:lower:]')

die() { echo "local-cluster: $*" >&2; exit 1; }

find_pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] || die "PostgreSQL server binaries not found. Install them: sudo apt-get install -y postgresql (or set PG_BIN)."
  echo "$dir"
}

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

record() { # name role pid address
  echo "$1 $2 $3 $4" >> "$state/processes"
}

start_process() { # name role address log dll [env...]
  local name=$1 role=$2 address=$3 log=$4 dll=$5; shift 5
  env "$@" nohup dotnet "$dll" > "$log" 2>&1 &
  record "$name" "$role" "$!" "$address"
}

wait_ready() { # url expected-silos
  local url=$1 expected=$2 body name role pid _
  for _ in $(seq 1 180); do
    if body=$(curl -fsS "$url/health/ready" 2>/dev/null) && grep -q "\"silos\":$expected[,}]" <<<"$body"; then
      return 0
    fi
    while read -r name role pid _; do
      kill -0 "$pid" 2>/dev/null || die "$name ($role) exited during start; see $state/logs/$name.log"
    done < "$state/processes"
    sleep 1
  done
  die "$url did not become ready with $expected silos (last answer: ${body:-none}); see $state/logs"
}

cmd_up() {
  [ -f "$state/processes" ] && die "a cluster is already up (see '$0 status'); run '$0 down' first"
  case "$host_silo" in true|false) ;; *) die "Cluster__HostSilo must be true or false, not '$Cluster__HostSilo'" ;; esac
  [[ "$silos" =~ ^[0-9]+$ ]] || die "SILOS must be a number, not '$silos'"
  local gateways; gateways=$(wc -w <<<"$gateway_ports")
  [ "$gateways" -gt 0 ] || die "GATEWAY_PORTS names no port"
  local expected=$silos
  [ "$host_silo" = true ] && expected=$((silos + gateways))
  [ "$expected" -gt 0 ] || die "no silo at all: SILOS=0 needs gateways that host silos (Cluster__HostSilo=true)"
  command -v dotnet >/dev/null || die "the .NET 10 SDK (dotnet) is required"
  command -v curl >/dev/null || die "curl is required"
  local pg_bin; pg_bin=$(find_pg_bin)
  mkdir -p "$state/logs" "$state/bin"
  : > "$state/processes"

  echo "Building silo and gateway (Release)..."
  dotnet build "$repo/src/Silo" -c Release -o "$state/bin/silo" -v quiet -nologo > "$state/logs/build-silo.log" 2>&1 || die "silo build failed: $state/logs/build-silo.log"
  dotnet build "$repo/src/Gateway" -c Release -o "$state/bin/gateway" -v quiet -nologo > "$state/logs/build-gateway.log" 2>&1 || die "gateway build failed: $state/logs/build-gateway.log"

  local pgdata; pgdata=$(mktemp -d /tmp/orleansshare-pg.XXXXXX)
  echo "$pgdata" > "$state/pgdata"
  [ "$(id -u)" = 0 ] && chown postgres: "$pgdata"
  as_pg "$pg_bin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 > "$state/logs/initdb.log" 2>&1 || die "initdb failed: $state/logs/initdb.log"
  as_pg "$pg_bin/pg_ctl" -D "$pgdata" -l "$pgdata/postgres.log" -w \
    -o "-p $pg_port -c listen_addresses=127.0.0.1 -c max_connections=200 -k $pgdata" start > "$state/logs/pg_ctl.log" 2>&1 \
    || die "PostgreSQL did not start (port $pg_port in use?): $state/logs/pg_ctl.log"
  record postgres postgres "$(head -n 1 "$pgdata/postmaster.pid")" "127.0.0.1:$pg_port"
  as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres orleansshare

  # Secrets: the operator's own are passed on; only what is missing is generated, kept in $state/env.
  local admin_key=${Admin__ApiKey:-}
  if [ -z "$admin_key" ]; then admin_key="osk_admin_$(head -c 24 /dev/urandom | base64 | tr -d '=+/' )"; fi
  local signing=()
  if ! env | grep -q '^ShareTokens__SigningKeys__'; then
    signing=("ShareTokens__SigningKeys__local$(date +%Y%m%d)=$(head -c 32 /dev/urandom | base64)")
  fi
  # The master key of encryption at rest (sessions' personal data); kept with the others, needed to read the database.
  local storage_key=()
  if ! env | grep -q '^Storage__EncryptionKeys__'; then
    storage_key=("Storage__EncryptionKeys__local$(date +%Y%m%d)=$(head -c 32 /dev/urandom | base64)")
  fi
  umask 077
  {
    echo "export Admin__ApiKey='$admin_key'"
    for s in "${signing[@]}" "${storage_key[@]}"; do echo "export ${s%%=*}='${s#*=}'"; done
  } > "$state/env"
  umask 022

  local connection="Host=127.0.0.1;Port=$pg_port;Database=orleansshare;Username=postgres"
  local common=(Cluster__Mode=AdoNet "ConnectionStrings__OrleansShare=$connection" "Admin__ApiKey=$admin_key" "${signing[@]}" "${storage_key[@]}" DOTNET_ENVIRONMENT=Production)

  local i sp gp
  for i in $(seq 0 $((silos - 1))); do
    sp=$((silo_port_base + i)) gp=$((gateway_port_base + i))
    start_process "silo-$((i + 1))" silo "127.0.0.1:$sp (gateway $gp)" "$state/logs/silo-$((i + 1)).log" "$state/bin/silo/OrleansShare.Silo.dll" \
      "${common[@]}" "Cluster__SiloPort=$sp" "Cluster__GatewayPort=$gp"
  done

  # Gateways: co-hosted ones are silos too, on the ports after the dedicated silos'.
  local n=1 port
  for port in $gateway_ports; do
    local url="http://127.0.0.1:$port"
    if [ "$host_silo" = true ]; then
      sp=$((silo_port_base + silos + n - 1)) gp=$((gateway_port_base + silos + n - 1))
      start_process "gateway-$n" gateway+silo "$url (silo 127.0.0.1:$sp, gateway $gp)" "$state/logs/gateway-$n.log" "$state/bin/gateway/OrleansShare.Gateway.dll" \
        "${common[@]}" Cluster__HostSilo=true "Cluster__SiloPort=$sp" "Cluster__GatewayPort=$gp" "ASPNETCORE_URLS=$url" "Gateway__PublicBaseUrl=$url"
    else
      start_process "gateway-$n" gateway "$url" "$state/logs/gateway-$n.log" "$state/bin/gateway/OrleansShare.Gateway.dll" \
        "${common[@]}" Cluster__HostSilo=false "ASPNETCORE_URLS=$url" "Gateway__PublicBaseUrl=$url"
    fi
    n=$((n + 1))
  done

  for port in $gateway_ports; do wait_ready "http://127.0.0.1:$port" "$expected"; done
  echo "Cluster is up. Operator key, signing key and storage encryption key: source $state/env"
  cmd_status
}

cmd_status() {
  [ -f "$state/processes" ] || { echo "No local cluster is up."; return 0; }
  printf '%-10s %-13s %-8s %-8s %s\n' NAME ROLE PID STATE ADDRESS
  while read -r name role pid address; do
    local st=running
    kill -0 "$pid" 2>/dev/null || st=stopped
    printf '%-10s %-13s %-8s %-8s %s\n' "$name" "$role" "$pid" "$st" "$address"
  done < "$state/processes"
}

cmd_down() {
  [ -f "$state/processes" ] || { echo "No local cluster is up."; return 0; }
  # Gateways first (co-hosted ones drain their requests, then hand their grains off), then silos (SIGTERM: they
  # hand off), then the database.
  local pids=() name role pid
  while read -r name role pid _; do
    [ "$role" = postgres ] && continue
    echo "Stopping $name ($role, pid $pid)"
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid") || true
  done < <(tac "$state/processes")
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -f "$state/pgdata" ]; then
    local pgdata pg_bin; pgdata=$(cat "$state/pgdata"); pg_bin=$(find_pg_bin)
    [ -d "$pgdata" ] && as_pg "$pg_bin/pg_ctl" -D "$pgdata" -m fast -w stop > /dev/null 2>&1 || true
    rm -rf "$pgdata" "$state/pgdata"
  fi
  rm -f "$state/processes" "$state/env"
  echo "Local cluster stopped; logs kept in $state/logs."
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
