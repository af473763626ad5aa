#!/usr/bin/env bash
# Start-up against express-generator's app, in one run: time from spawning `node` to the first
# 200, for
#   express-generator   `npx express-generator --no-view` (Express 4), answering GET /
#   js, js-20           the JavaScript service from its sources (`npm start`), fresh and with 20
#                       resources, answering /live
#   js-image, ...       the same as its image runs it: the bundle `npm run build` writes
#                       (scripts/build.mjs), with Node's compile cache warmed as the image warms it
#   ts, ts-20           the TypeScript service from its sources, with the compile cache warmed
#                       (typescript.sh measures it cold)
#   ts-image, ...       the TypeScript service as its image runs it, likewise
# and, for the services with 20 resources, the first 200 from a resource's list (the first
# request that validates: schemas are compiled on first use).
#
#     benches/startup.sh         (NODE=path/to/node, STARTS=15)
#
# ESPRESSO=path/to/espresso generates the projects with another build (to compare releases).
# The variants rotate their order every round, so drift on a shared machine affects all alike;
# medians are reported with the ratio to express-generator's app. The server runs on CPU 0 and
# the poller on CPU 1 (taskset). Needs npm with registry access (or a warm cache).
set -euo pipefail
cd "$(dirname "$0")/.."
starts=${STARTS:-15}
node=${NODE:-node}
esp=${ESPRESSO:-./target/release/espresso}
[ -n "${ESPRESSO:-}" ] || cargo build --release -q
work=$(mktemp -d /tmp/espresso-startup-bench.XXXXXX)

(cd "$work" && npx -y express-generator@4.16.1 --no-view generator >/dev/null)
(cd "$work/generator" && npm install --omit=dev --no-audit --no-fund --silent)
for lang in javascript typescript; do
  for size in 0 20; do
    dir="$work/$lang-$size"
    $esp new svc --dir "$dir" --language "$lang" -q --deploy none --ci none
    for i in $(seq "$size"); do
      $esp -C "$dir" add resource "thing$i" --field title --field quantity:integer:default=1 --field sku:string:unique --field due:date:optional -q
    done
    # As the image: every package to build the bundle, then the production ones only.
    (cd "$dir" && npm ci --no-audit --no-fund --silent && "$node" scripts/build.mjs && npm prune --omit=dev --no-audit --no-fund --silent)
    (cd "$dir" && NODE_ENV=production NODE_COMPILE_CACHE="$work/image-cache-$lang-$size" "$node" dist/server.js --warm-compile-cache)
  done
done
for size in 0 20; do
  (cd "$work/typescript-$size" && NODE_COMPILE_CACHE="$work/cache-$size" "$node" src/server.ts --warm-compile-cache)
done

server_cpu=() client_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 0) client_cpu=(taskset -c 1)
fi
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

first_200() { # variant -> milliseconds
  local poll=("${client_cpu[@]}" "$node" benches/first-200.mjs)
  case $1 in
    express-generator) PROBE_PATH=/ "${poll[@]}" "$work/generator" "" "${server_cpu[@]}" "$node" bin/www ;;
    js) "${poll[@]}" "$work/javascript-0" "" "${server_cpu[@]}" "$node" src/server.js ;;
    js-20) "${poll[@]}" "$work/javascript-20" "" "${server_cpu[@]}" "$node" src/server.js ;;
    js-20-api) PROBE_PATH=/api/v1/thing7s "${poll[@]}" "$work/javascript-20" "" "${server_cpu[@]}" "$node" src/server.js ;;
    js-image) "${poll[@]}" "$work/javascript-0" "$work/image-cache-javascript-0" "${server_cpu[@]}" "$node" dist/server.js ;;
    js-20-image) "${poll[@]}" "$work/javascript-20" "$work/image-cache-javascript-20" "${server_cpu[@]}" "$node" dist/server.js ;;
    js-20-image-api) PROBE_PATH=/api/v1/thing7s "${poll[@]}" "$work/javascript-20" "$work/image-cache-javascript-20" "${server_cpu[@]}" "$node" dist/server.js ;;
    ts) "${poll[@]}" "$work/typescript-0" "$work/cache-0" "${server_cpu[@]}" "$node" src/server.ts ;;
    ts-20) "${poll[@]}" "$work/typescript-20" "$work/cache-20" "${server_cpu[@]}" "$node" src/server.ts ;;
    ts-20-api) PROBE_PATH=/api/v1/thing7s "${poll[@]}" "$work/typescript-20" "$work/cache-20" "${server_cpu[@]}" "$node" src/server.ts ;;
    ts-image) "${poll[@]}" "$work/typescript-0" "$work/image-cache-typescript-0" "${server_cpu[@]}" "$node" dist/server.js ;;
    ts-20-image) "${poll[@]}" "$work/typescript-20" "$work/image-cache-typescript-20" "${server_cpu[@]}" "$node" dist/server.js ;;
  esac
}

variants=(express-generator js js-20 js-20-api js-image js-20-image js-20-image-api ts ts-20 ts-20-api ts-image ts-20-image)
declare -A runs
order=("${variants[@]}")
for i in $(seq "$starts"); do
  order=("${order[@]:1}" "${order[0]}")
  for variant in "${order[@]}"; do
    runs[$variant]+="$(first_200 "$variant") "
  done
done
base=$(printf '%s\n' ${runs[express-generator]} | median)
echo "Node $("$node" --version), $starts starts each, $(date -u +%F)"
echo "| start to first 200 | median (ms) | ratio to express-generator |"
echo "| --- | ---: | ---: |"
for variant in "${variants[@]}"; do
  m=$(printf '%s\n' ${runs[$variant]} | median)
  echo "| $variant | $m | $(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.2fx", a / b }') |"
done
