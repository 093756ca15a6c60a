#!/usr/bin/env bash
# Runs `salesbot sweep` as N shards side by side inside one CI job, so the whole
# sharded sweep holds the job's `salesbot` resource group and never writes while
# `run`, `dashboard` or `handover` do (see "In GitLab CI" in README.md).
#
#   scripts/sweep-shards.sh N SALESBOT-COMMAND...
#   scripts/sweep-shards.sh 4 .venv/bin/python -m automation
#
# Shard I of N is `SALESBOT-COMMAND sweep --shard I/N`: the shards own disjoint
# issues. Each shard's lines are prefixed with "[shard I/N]". The script waits for
# every shard and exits with the worst exit code (2 over 1 over 0), so one failed
# shard fails the job while the others still finish their share.
set -uo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: $0 SHARDS SALESBOT-COMMAND..." >&2
  exit 1
fi
shards="$1"
shift
case "$shards" in
  '' | *[!0-9]*) shards_ok=0 ;;
  *) shards_ok=$(( 10#$shards >= 1 && 10#$shards <= 16 )) ;;
esac
if [ "$shards_ok" -ne 1 ]; then
  echo "sweep-shards: SALESBOT_SWEEP_SHARDS must be a whole number from 1 to 16, not '$shards'" >&2
  exit 1
fi
shards=$(( 10#$shards ))

if [ "$shards" -eq 1 ]; then
  exec "$@" sweep
fi

pids=()
for i in $(seq 1 "$shards"); do
  (
    "$@" sweep --shard "$i/$shards" 2>&1 | sed -u "s|^|[shard $i/$shards] |"
    exit "${PIPESTATUS[0]}"
  ) &
  pids+=("$!")
done

status=0
for i in $(seq 1 "$shards"); do
  wait "${pids[$((i - 1))]}"
  code=$?
  echo "sweep-shards: shard $i/$shards exited $code"
  if [ "$code" -gt "$status" ]; then status=$code; fi
done
echo "sweep-shards: $shards shards finished (exit $status)"
exit "$status"
