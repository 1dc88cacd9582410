#!/usr/bin/env bash
# Runs a benchmark against a fresh in-memory Azurite and prints its figures.
# Usage: scripts/bench.sh durable [INSTANCES] [STEPS] [TIMERS]
#        scripts/bench.sh jobs [JOBS] [SLOTS]
#        scripts/bench.sh copy [MEGABYTES]
#        scripts/bench.sh slots [JOBS] [SLOTS] [HOLD_MS] [RETRY_MS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund --loglevel=error

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
blob=$(port); queue=$(port); table=$(port)
node_modules/.bin/azurite --silent --inMemoryPersistence --skipApiVersionCheck --loose --disableTelemetry \
  --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" --tableHost 127.0.0.1 --tablePort "$table" \
  > /dev/null 2>&1 &
azurite=$!
trap 'kill $azurite 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$table") 2>/dev/null && break; sleep 0.1; done

key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
storage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"
dotnet run --project tools/Benchmarks -c Release -- "$1" "$storage" "${@:2}"
