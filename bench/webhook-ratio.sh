#!/usr/bin/env bash
# Pairs/s with one webhook destination for the importer against pairs/s without one (issue 13's figure, which
# ../shared/bench/compare.sh cannot measure: it registers no destination).
#   bench/webhook-ratio.sh [ROUNDS]   (3 by default)
# Each round is two runs of `bench/run.sh cohosted`, each on a fresh cluster (its own new PostgreSQL and gateway, as
# compare.sh gives the product): one with --webhook (the load generator's loopback receiver answers 200), one without.
# The order alternates from round to round, because a fresh gateway's first seconds (the JIT) weigh on whichever run
# comes first. BENCH_ARGS replaces the load generator's arguments (default below); the cluster settings of
# bench/run.sh and deploy/local-cluster.sh apply.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-3}
args=${BENCH_ARGS:-"--sessions 10000 --warmup 2000 --concurrency 16 --reads 1000"}
log=$(mktemp /tmp/orleansshare-webhook-ratio.XXXXXX)
trap 'rm -f "$log"' EXIT

# Pairs/s of one run; its delivery line (with --webhook) goes to stderr.
pairs_per_second() {
  # shellcheck disable=SC2086
  "$repo/bench/run.sh" cohosted $args "$@" > "$log" 2>&1 || { tail -20 "$log" >&2; return 1; }
  grep -E '^webhooks:' "$log" >&2 || true
  grep -oE '= [0-9.]+ pairs/s' "$log" | tail -1 | grep -oE '[0-9.]+'
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); date: $(date -u +%Y-%m-%dT%H:%MZ); bench: $args"
printf '%-6s %-12s %12s %14s %7s\n' round first "no dest." "a destination" ratio
results=()
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) = 1 ]; then
    with=$(pairs_per_second --webhook); without=$(pairs_per_second); first=destination
  else
    without=$(pairs_per_second); with=$(pairs_per_second --webhook); first="no dest."
  fi
  results+=("$without $with")
  awk -v r="$round" -v f="$first" -v a="$without" -v b="$with" 'BEGIN { printf "%-6s %-12s %12.1f %14.1f %7.3f\n", r, f, a, b, b / a }'
done
printf '%s\n' "${results[@]}" | awk '{ a += $1; b += $2 } END { printf "%-6s %-12s %12.1f %14.1f %7.3f\n", "mean", "", a / NR, b / NR, b / a }'
