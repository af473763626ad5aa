#!/usr/bin/env bash
# The TypeScript service against the JavaScript one made from the same choices, in one run:
#   start    time from spawning `node src/server.<ext>` to the first 200 from /live, for
#            JavaScript, TypeScript with a cold compile cache (every start strips the types) and
#            TypeScript with the cache warmed as the image warms it (`--warm-compile-cache`)
#   /health  requests per second (wrk), JavaScript against TypeScript with the warm cache
#
#     benches/typescript.sh      (NODE=path/to/node, STARTS=21, DURATION=5s, CONNECTIONS=32, ROUNDS=3)
#
# The variants alternate and rotate their order every round, so drift on a shared machine
# affects all alike; medians are reported with the ratios against JavaScript. The server runs
# on CPU 0 and wrk on CPU 1 (taskset). Needs wrk and curl (Debian packages), and npm with
# registry access (or a warm cache).
set -euo pipefail
cd "$(dirname "$0")/.."
starts=${STARTS:-21}
duration=${DURATION:-5s}
connections=${CONNECTIONS:-32}
rounds=${ROUNDS:-3}
node=${NODE:-node}
cargo build --release -q
work=$(mktemp -d /tmp/espresso-ts-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

esp=./target/release/espresso
for lang in javascript typescript; do
  $esp new svc --dir "$work/$lang" --language "$lang" -q --deploy none --ci none
  (cd "$work/$lang" && npm ci --omit=dev --no-audit --no-fund --silent)
done
(cd "$work/typescript" && NODE_COMPILE_CACHE="$work/cache" "$node" src/server.ts --warm-compile-cache)

server_cpu=() client_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 0) client_cpu=(taskset -c 1)
fi

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

first_200() { # variant -> milliseconds
  local poll=("${client_cpu[@]}" "$node" benches/first-200.mjs)
  case $1 in
    js) "${poll[@]}" "$work/javascript" "" "${server_cpu[@]}" "$node" src/server.js ;;
    ts-cold) "${poll[@]}" "$work/typescript" "" "${server_cpu[@]}" "$node" src/server.ts ;;
    ts-warm) "${poll[@]}" "$work/typescript" "$work/cache" "${server_cpu[@]}" "$node" src/server.ts ;;
  esac
}

port=38110
declare -A runs=([js]="" [ts-cold]="" [ts-warm]="")
order=(js ts-cold ts-warm)
for i in $(seq "$starts"); do
  order=("${order[@]:1}" "${order[0]}")
  for variant in "${order[@]}"; do
    runs[$variant]+="$(first_200 "$variant") "
  done
done
js_start=$(printf '%s\n' ${runs[js]} | median)
echo "| start to first 200 | median of $starts (ms) | ratio to JavaScript |"
echo "| --- | ---: | ---: |"
for variant in js ts-cold ts-warm; do
  m=$(printf '%s\n' ${runs[$variant]} | median)
  awk -v n="$variant" -v m="$m" -v j="$js_start" 'BEGIN { printf "| %s | %s | %.2fx |\n", n, m, m / j }'
done

throughput() { # dir entry port cache -> requests/s
  local dir=$1 entry=$2 port=$3 cache=$4
  (cd "$dir" && PORT=$port NODE_ENV=production NODE_COMPILE_CACHE=$cache exec "${server_cpu[@]}" "$node" "$entry" >/dev/null) &
  local pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d2s "http://127.0.0.1:$port/health" >/dev/null # warm-up
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d"$duration" "http://127.0.0.1:$port/health" |
    awk '/Non-2xx or 3xx responses/ {bad = $NF} /Requests\/sec/ {rps = $2} END {if (bad) rps = 0; print rps + 0}'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

js_runs=() ts_runs=()
for round in $(seq "$rounds"); do
  first=js
  [ $((round % 2)) = 0 ] && first=ts
  for variant in $first $([ $first = js ] && echo ts || echo js); do
    port=$((port + 1))
    if [ "$variant" = js ]; then
      js_runs+=("$(throughput "$work/javascript" src/server.js "$port" "")")
    else
      ts_runs+=("$(throughput "$work/typescript" src/server.ts "$port" "$work/cache")")
    fi
  done
done
js_rps=$(printf '%s\n' "${js_runs[@]}" | median)
ts_rps=$(printf '%s\n' "${ts_runs[@]}" | median)
echo
echo "| /health | requests/s (median of $rounds) | runs |"
echo "| --- | ---: | --- |"
echo "| JavaScript | $js_rps | ${js_runs[*]} |"
echo "| TypeScript (warm cache) | $ts_rps | ${ts_runs[*]} |"
awk -v t="$ts_rps" -v j="$js_rps" 'BEGIN { printf "| ratio | %.2fx | |\n", t / j }'
echo "(node $("$node" --version); server ${server_cpu[*]:-unpinned}, wrk ${client_cpu[*]:-unpinned} -t1 -c$connections -d$duration; files in $work)"
