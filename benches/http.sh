#!/usr/bin/env bash
# Throughput of a generated service's full middleware stack against a bare Express app, in the
# same run: both answer GET /health on the same Node.js, one after the other, under wrk.
#
#     benches/http.sh            (NODE=path/to/node, DURATION=5s, CONNECTIONS=32, ROUNDS=3)
#
# The server runs on CPU 0 and wrk on CPU 1 (taskset), so the load generator does not steal the
# server's core; the two apps alternate for ROUNDS rounds and the medians are reported.
# Needs wrk (Debian package) and npm with registry access (or a warm cache).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-5s}
connections=${CONNECTIONS:-32}
rounds=${ROUNDS:-3}
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

server_cpu=() client_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 0) client_cpu=(taskset -c 1)
fi

measure() { # port script -> requests/s
  local port=$1 script=$2
  (cd "$work/svc" && PORT=$port NODE_ENV=production exec "${server_cpu[@]}" "$node" "$script" >/dev/null) &
  local pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d2s "http://127.0.0.1:$port/health" >/dev/null # warm-up
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d"$duration" "http://127.0.0.1:$port/health" | awk '/Requests\/sec/ {print $2}'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

bare_runs=() full_runs=()
for round in $(seq "$rounds"); do
  bare_runs+=("$(measure $((38010 + 2 * round)) bare.js)")
  full_runs+=("$(measure $((38011 + 2 * round)) src/server.js)")
done
bare=$(printf '%s\n' "${bare_runs[@]}" | median)
full=$(printf '%s\n' "${full_runs[@]}" | median)
echo "| app | requests/s (median of $rounds) | runs |"
echo "| --- | ---: | --- |"
echo "| bare Express 5 | $bare | ${bare_runs[*]} |"
echo "| generated service (full stack) | $full | ${full_runs[*]} |"
awk -v f="$full" -v b="$bare" 'BEGIN { printf "| ratio | %.2fx | |\n", f / b }'
echo "(node $("$node" --version); server ${server_cpu[*]:-unpinned}, wrk ${client_cpu[*]:-unpinned} -t1 -c$connections -d$duration; files in $work)"
