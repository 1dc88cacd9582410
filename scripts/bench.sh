#!/usr/bin/env bash
# Runs a benchmark against a fresh Azurite that keeps its data on disk (in a temporary folder, deleted afterwards:
# the in-memory Azurite stalled for 14-200 s under load) and prints its figures.
# Usage: scripts/bench.sh latency [MODEL_S=30] [POLL_S=5] [RUNS=3] [QUEUE_POLL_MS=1000]
#        scripts/bench.sh copy [MEGABYTES=300]
#        scripts/bench.sh throughput [JOBS=1000] [QUEUE_POLL_MS=1000]
#        scripts/bench.sh cost [MODEL_S=30] [POLL_S=5] [JOBS=5] [QUEUE_POLL_MS=1000]
#        scripts/bench.sh durable [INSTANCES] [STEPS] [TIMERS]
#        scripts/bench.sh jobs [JOBS] [SLOTS]
#        scripts/bench.sh slots [JOBS] [SLOTS] [HOLD_MS] [RETRY_MS]
#        scripts/bench.sh backlog [JOBS=8] [MODEL_S=30]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund --loglevel=error

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
blob=$(port); queue=$(port); table=$(port)
data=$(mktemp -d "${TMPDIR:-/tmp}/vace-bench.XXXXXX")
debug=()
# The cost and backlog benchmarks count storage transactions in Azurite's request log.
if [ "$1" = cost ] || [ "$1" = backlog ]; then
  export BENCH_AZURITE_LOG="$data/requests.log"
  debug=(--debug "$BENCH_AZURITE_LOG")
fi
node_modules/.bin/azurite --silent --location "$data" "${debug[@]}" --skipApiVersionCheck --loose --disableTelemetry \
  --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" --tableHost 127.0.0.1 --tablePort "$table" \
  > /dev/null 2>&1 &
azurite=$!
trap 'kill $azurite 2>/dev/null || true; wait $azurite 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do (echo > "/dev/tcp/127.0.0.1/$table") 2>/dev/null && break; sleep 0.1; done

key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
storage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet run --project tools/Benchmarks -c Release -- "$1" "$storage" "${@:2}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
