#!/usr/bin/env bash
# Throughput of a generated service's full middleware stack against a bare Express app, in the
# same run: both answer GET /health on the same Node.js, one after the other, under wrk.
#
#     benches/http.sh            (NODE=path/to/node, DURATION=10s, CONNECTIONS=64)
#
# Needs wrk (Debian package) and npm with registry access (or a warm cache).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
node=${NODE:-node}
cargo build --release -q
work=$(mktemp -d /tmp/espresso-http-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

./target/release/espresso new svc --dir "$work/svc" -q --deploy none --ci none
(cd "$work/svc" && npm ci --no-audit --no-fund --silent)
# The bare app: same Express, same Node, one route, nothing else.
cat > "$work/svc/bare.js" <<'JS'
import express from 'express';
const app = express();
app.get('/health', (_req, res) => res.json({ status: 'ok' }));
app.listen(Number(process.env.PORT));
JS

measure() { # name port command...
  local name=$1 port=$2
  shift 2
  (cd "$work/svc" && PORT=$port NODE_ENV=production exec "$@" >/dev/null) &
  local pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  wrk -t2 -c"$connections" -d2s "http://127.0.0.1:$port/health" >/dev/null # warm-up
  local rps
  rps=$(wrk -t2 -c"$connections" -d"$duration" "http://127.0.0.1:$port/health" | awk '/Requests\/sec/ {print $2}')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$name $rps"
}

bare=$(measure bare 38011 "$node" bare.js | awk '{print $2}')
full=$(measure full 38012 "$node" src/server.js | awk '{print $2}')
echo "| app | requests/s |"
echo "| --- | ---: |"
echo "| bare Express 5 | $bare |"
echo "| generated service (full stack) | $full |"
awk -v f="$full" -v b="$bare" 'BEGIN { printf "| ratio | %.2fx |\n", f / b }'
echo "(node $("$node" --version), wrk -t2 -c$connections -d$duration, output in $work)"
