#!/usr/bin/env bash
# The in-memory repository (the default store) at scale: does a list page or a write get slower
# as the store grows? A resource with a unique field, measured with wrk in one run:
#   list    GET a page of 20 from a store of 100 items, and from the middle of MANY items
#   create  POST new items (unique values) into an empty store, and into one of MANY items
# and, for the list, a bare Express handler answering the same 20 items (the floor).
#
#     benches/store.sh           (NODE=path/to/node, MANY=80000, DURATION=5s, CONNECTIONS=32)
#
# ESPRESSO=path/to/espresso generates the project with another build (to compare releases).
#
# The server runs on CPU 0 and wrk and the loader on CPU 1 (taskset). Every response that is not
# 2xx is counted, and a run with any is refused. Needs wrk and curl (Debian packages), and npm
# with registry access (or a warm cache).
set -euo pipefail
cd "$(dirname "$0")/.."
many=${MANY:-80000}
duration=${DURATION:-5s}
connections=${CONNECTIONS:-32}
node=${NODE:-node}
esp=${ESPRESSO:-./target/release/espresso}
[ -n "${ESPRESSO:-}" ] || cargo build --release -q
work=$(mktemp -d /tmp/espresso-store-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

$esp new svc --dir "$work/svc" -q --language javascript --deploy none --ci none
$esp -C "$work/svc" add resource item --field title --field sku:string:unique -q
(cd "$work/svc" && npm ci --omit=dev --no-audit --no-fund --silent)
cat > "$work/svc/bare.js" <<'JS'
import express from 'express';
const app = express();
const now = new Date().toISOString();
const items = Array.from({ length: 20 }, (_, i) => ({
  id: `00000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`, title: `item ${i}`, sku: `sku-${i}`, createdAt: now, updatedAt: now,
}));
app.get('/api/v1/items', (_req, res) => res.json({ items, total: 80000, limit: 20, offset: 40000 }));
app.listen(Number(process.env.PORT));
JS
# Creates `count` items with unique skus, 16 requests at a time.
cat > "$work/load.mjs" <<'JS'
const [port, count, prefix] = process.argv.slice(2);
let next = 0;
async function worker() {
  while (next < Number(count)) {
    const i = next++;
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: `item ${i}`, sku: `${prefix}-${i}` }),
    });
    if (res.status !== 201) throw new Error(`POST answered ${res.status}`);
  }
}
await Promise.all(Array.from({ length: 16 }, worker));
JS
# A wrk script posting a new sku on every request; each run passes its own prefix.
cat > "$work/post.lua" <<'LUA'
local n = 0
local prefix = "wrk"
init = function(args) prefix = args[1] or prefix end
request = function()
  n = n + 1
  local body = string.format('{"title":"t","sku":"%s-%d"}', prefix, n)
  return wrk.format("POST", "/api/v1/items", { ["content-type"] = "application/json" }, body)
end
LUA

server_cpu=() client_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 0) client_cpu=(taskset -c 1)
fi

start() { # port script -> pid in $pid
  (cd "$work/svc" && PORT=$1 NODE_ENV=production exec "${server_cpu[@]}" "$node" "$2" >/dev/null) &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/api/v1/items" >/dev/null && return; sleep 0.1; done
  echo "the server on $1 did not start" >&2
  exit 1
}

runs=0
wrk_rate() { # url [lua] -> requests/s, refusing any non-2xx
  local script=()
  [ -n "${2:-}" ] && script=(-s "$2")
  runs=$((runs + 1))
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d2s "${script[@]}" "$1" -- "warm-$runs" >/dev/null # warm-up
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d"$duration" "${script[@]}" "$1" -- "run-$runs" |
    awk '/Non-2xx or 3xx responses/ {bad = $NF} /Requests\/sec/ {rps = $2} END {if (bad) {print "non-2xx: " bad > "/dev/stderr"; exit 1} print rps + 0}'
}

load() { "${client_cpu[@]}" "$node" "$work/load.mjs" "$@"; }

start 38201 src/server.js
load 38201 100 small
list_small=$(wrk_rate "http://127.0.0.1:38201/api/v1/items")
load 38201 $((many - 100)) big
list_big=$(wrk_rate "http://127.0.0.1:38201/api/v1/items?offset=$((many / 2))")
create_big=$(wrk_rate "http://127.0.0.1:38201/api/v1/items" "$work/post.lua")
kill "$pid"; wait "$pid" 2>/dev/null || true

start 38202 src/server.js
create_empty=$(wrk_rate "http://127.0.0.1:38202/api/v1/items" "$work/post.lua")
kill "$pid"; wait "$pid" 2>/dev/null || true

start 38203 bare.js
bare=$(wrk_rate "http://127.0.0.1:38203/api/v1/items")
kill "$pid"; wait "$pid" 2>/dev/null || true

echo "| operation | small store | $many items | ratio |"
echo "| --- | ---: | ---: | ---: |"
awk -v a="$list_small" -v b="$list_big" 'BEGIN { printf "| list a page of 20 (req/s) | %s | %s | %.2fx |\n", a, b, b / a }'
awk -v a="$create_empty" -v b="$create_big" 'BEGIN { printf "| create, unique sku (req/s) | %s (from empty) | %s | %.2fx |\n", a, b, b / a }'
awk -v b="$list_big" -v f="$bare" 'BEGIN { printf "| the %s-item page against a bare Express handler (%s req/s) | | | %.2fx |\n", 20, f, b / f }'
echo "(node $("$node" --version); server ${server_cpu[*]:-unpinned}, wrk ${client_cpu[*]:-unpinned} -t1 -c$connections -d$duration; files in $work)"
