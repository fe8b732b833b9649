#!/usr/bin/env bash
# The test command. The PostgreSQL tests start a throwaway server from this machine's PostgreSQL
# server binaries, and the Kubernetes manifest tests render deploy/kubernetes with kubectl; when either is
# missing this installs it (as root with apt-get: postgresql, kubernetes-client) or says how.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [ -z "${PG_BIN:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "Installing the PostgreSQL server binaries (apt-get install postgresql)..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null
  else
    echo "The tests need the PostgreSQL server binaries. Install them with: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
fi

if [ -z "${KUBECTL:-}" ] && ! command -v kubectl > /dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "Installing kubectl (apt-get install kubernetes-client) to render deploy/kubernetes..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client > /dev/null
  else
    echo "The manifest tests need kubectl (for kubectl kustomize). Install it with: sudo apt-get install -y kubernetes-client" >&2
    exit 1
  fi
fi

dotnet test "$@"
