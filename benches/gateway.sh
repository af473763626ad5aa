#!/usr/bin/env bash
# What the API gateway costs a request: GET /api/v1/items on a generated service (five items in
# memory) directly, and through a generated gateway in front of it, in the same run.
#
#     benches/gateway.sh            (NODE=path/to/node, DURATION=5s, CONNECTIONS=32, ROUNDS=3)
#
# Both servers run on CPU 0 and wrk on CPU 1 (taskset), so through the gateway CPU 0 does the
# service's work and the gateway's for each request: the throughput ratio is the service's cost
# over the cost of both, and p99 shows the hop's latency under the same load. Direct and
# gateway runs alternate, and which goes first alternates by round. Medians of the rounds are
# reported, with every response that is not 2xx counted (a run with any is not a measurement).
# Needs wrk and curl (Debian packages) and npm with registry access (or a warm cache).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-5s}
connections=${CONNECTIONS:-32}
rounds=${ROUNDS:-3}
node=${NODE:-node}
cargo build --release -q
work=$(mktemp -d /tmp/espresso-gateway-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

esp=./target/release/espresso
$esp new users --dir "$work/users" -q --language javascript --deploy none --ci none
$esp -C "$work/users" add resource item --field title -q
$esp new gateway --dir "$work/gateway" -q --language javascript --preset api-gateway --deploy none --ci none
$esp -C "$work/gateway" add upstream users --path /api/v1/items -q
for dir in users gateway; do (cd "$work/$dir" && npm ci --no-audit --no-fund --silent); done

pin=() client=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin=(taskset -c 0) client=(taskset -c 1)
fi

start() { # dir port env... -> pid of a server answering /health
  local dir=$1 port=$2; shift 2
  # Its output goes nowhere: the caller reads this function's output for the pid.
  (cd "$work/$dir" && exec env PORT="$port" NODE_ENV=production LOG_LEVEL=warn "$@" "${pin[@]}" "$node" src/server.js) >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  echo "$pid"
}

measure() { # port -> "requests/s p99-ms non2xx"
  "${client[@]}" wrk -t1 -c"$connections" -d2s "http://127.0.0.1:$1/api/v1/items" >/dev/null # warm-up
  "${client[@]}" wrk -t1 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$1/api/v1/items" |
    awk '/Non-2xx or 3xx responses/ {bad = $NF}
         /Requests\/sec/ {rps = $2}
         $1 == "99%" {v = $2; if (v ~ /us$/) ms = v / 1000; else if (v ~ /ms$/) ms = v + 0; else ms = v * 1000}
         END {print rps + 0, ms + 0, bad + 0}'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

users_port=38101
users_pid=$(start users "$users_port")
for i in 0 1 2 3 4; do
  curl -sf -X POST -H 'content-type: application/json' -d "{\"title\":\"item $i\"}" "http://127.0.0.1:$users_port/api/v1/items" >/dev/null
done
gateway_port=38102
gateway_pid=$(start gateway "$gateway_port" USERS_URL="http://127.0.0.1:$users_port")

direct_rps=() direct_p99=() gateway_rps=() gateway_p99=() bad=0
for round in $(seq "$rounds"); do
  order=(direct gateway)
  [ $((round % 2)) = 0 ] && order=(gateway direct)
  for which in "${order[@]}"; do
    port=$users_port
    [ "$which" = gateway ] && port=$gateway_port
    read -r rps p99 non2xx < <(measure "$port")
    bad=$((bad + non2xx))
    if [ "$which" = direct ]; then direct_rps+=("$rps") direct_p99+=("$p99"); else gateway_rps+=("$rps") gateway_p99+=("$p99"); fi
  done
done
kill "$gateway_pid" "$users_pid"

d_rps=$(printf '%s\n' "${direct_rps[@]}" | median) d_p99=$(printf '%s\n' "${direct_p99[@]}" | median)
g_rps=$(printf '%s\n' "${gateway_rps[@]}" | median) g_p99=$(printf '%s\n' "${gateway_p99[@]}" | median)
echo "| GET /api/v1/items | requests/s (median of $rounds) | p99 ms (median) | runs (requests/s) |"
echo "| --- | ---: | ---: | --- |"
echo "| the service directly | $d_rps | $d_p99 | ${direct_rps[*]} |"
echo "| through the gateway | $g_rps | $g_p99 | ${gateway_rps[*]} |"
awk -v g="$g_rps" -v d="$d_rps" -v gp="$g_p99" -v dp="$d_p99" 'BEGIN { printf "| ratio | %.2fx | %.2fx | |\n", g / d, gp / dp }'
echo "(non-2xx responses: $bad; node $("$node" --version); servers ${pin[*]:-unpinned}, wrk ${client[*]:-unpinned} -t1 -c$connections -d$duration; files in $work)"
