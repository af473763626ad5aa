#!/usr/bin/env bash
# Throughput of a generated service against a bare Express app, in the same run, on two paths:
#   /health         the quiet path (not logged at info, skipped by rate limiting and tracing)
#   /api/v1/items   a resource's list through the usual middleware: request-timeout,
#                   compression and rate-limit (with a limit no run reaches, so it counts and
#                   sets headers but never answers 429), five items in the in-memory repository
# The bare app answers the same paths with the same bodies and nothing else.
#
#     benches/http.sh            (NODE=path/to/node, DURATION=5s, CONNECTIONS=32, ROUNDS=3)
#
# The server runs on CPU 0 and wrk on CPU 1 (taskset). The two apps alternate, and which goes
# first alternates from round to round, so drift on a shared machine affects both alike. Medians
# of the rounds are reported, and every response that is not 2xx is counted (wrk's
# "Non-2xx or 3xx responses"): a run with any is not a measurement of the happy path.
# Needs wrk and curl (Debian packages) and npm with registry access (or a warm cache).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-5s}
connections=${CONNECTIONS:-32}
rounds=${ROUNDS:-3}
node=${NODE:-node}
cargo build --release -q
work=$(mktemp -d /tmp/espresso-http-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

esp=./target/release/espresso
$esp new svc --dir "$work/svc" -q --language javascript --deploy none --ci none
$esp -C "$work/svc" add resource item --field title -q
for kind in request-timeout compression rate-limit; do
  $esp -C "$work/svc" add middleware "$kind" -q
done
(cd "$work/svc" && npm ci --no-audit --no-fund --silent)
# The bare app: same Express, same Node, the same two answers, nothing else.
cat > "$work/svc/bare.js" <<'JS'
import express from 'express';
const app = express();
const now = new Date().toISOString();
const items = Array.from({ length: 5 }, (_, i) => ({
  id: `00000000-0000-4000-8000-00000000000${i}`, title: `item ${i}`, createdAt: now, updatedAt: now,
}));
app.get('/health', (_req, res) => res.json({ status: 'ok' }));
app.get('/api/v1/items', (_req, res) => res.json({ items, total: items.length, limit: 20, offset: 0 }));
app.listen(Number(process.env.PORT));
JS

server_cpu=() client_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 0) client_cpu=(taskset -c 1)
fi

measure() { # port script path -> "requests/s non2xx"
  local port=$1 script=$2 path=$3
  (cd "$work/svc" && PORT=$port NODE_ENV=production RATE_LIMIT_MAX=100000000 exec "${server_cpu[@]}" "$node" "$script" >/dev/null) &
  local pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  if [ "$script" = src/server.js ]; then
    for i in 0 1 2 3 4; do
      curl -sf -X POST -H 'content-type: application/json' -d "{\"title\":\"item $i\"}" \
        "http://127.0.0.1:$port/api/v1/items" >/dev/null
    done
  fi
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d2s "http://127.0.0.1:$port$path" >/dev/null # warm-up
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d"$duration" "http://127.0.0.1:$port$path" |
    awk '/Non-2xx or 3xx responses/ {bad = $NF} /Requests\/sec/ {rps = $2} END {print rps + 0, bad + 0}'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run() { # port script path -> sets rps and bad, or stops the benchmark
  read -r rps bad < <(measure "$@") || true
  if [ -z "${rps:-}" ] || [ "$rps" = 0 ]; then
    echo "no measurement for $2 on $3 (did the server start?)" >&2
    exit 1
  fi
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "| path | app | requests/s (median of $rounds) | runs | non-2xx |"
echo "| --- | --- | ---: | --- | ---: |"
port=38010
for path in /health /api/v1/items; do
  bare_runs=() full_runs=() bare_bad=0 full_bad=0
  for round in $(seq "$rounds"); do
    order=(bare full)
    [ $((round % 2)) = 0 ] && order=(full bare)
    for app in "${order[@]}"; do
      port=$((port + 1))
      if [ "$app" = bare ]; then
        run "$port" bare.js "$path"
        bare_runs+=("$rps"); bare_bad=$((bare_bad + bad))
      else
        run "$port" src/server.js "$path"
        full_runs+=("$rps"); full_bad=$((full_bad + bad))
      fi
    done
  done
  bare=$(printf '%s\n' "${bare_runs[@]}" | median)
  full=$(printf '%s\n' "${full_runs[@]}" | median)
  echo "| $path | bare Express 5 | $bare | ${bare_runs[*]} | $bare_bad |"
  echo "| $path | generated service | $full | ${full_runs[*]} | $full_bad |"
  awk -v f="$full" -v b="$bare" -v p="$path" 'BEGIN { printf "| %s | ratio | %.2fx | | |\n", p, f / b }'
done
echo "(node $("$node" --version); server ${server_cpu[*]:-unpinned}, wrk ${client_cpu[*]:-unpinned} -t1 -c$connections -d$duration; files in $work)"
