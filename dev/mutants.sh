#!/bin/sh
# Mutation testing of espresso's own code with cargo-mutants (crates.io), run in a session, not in
# CI (it takes hours on two cores). Usage:
#
#     dev/mutants.sh src/engine/journal.rs src/engine/apply.rs ...     (OUT=dir, JOBS=2)
#
# Every mutant runs the whole test suite, and the tests run as whoever runs this, often root. A
# mutant can turn a cleanup into a recursive delete of the wrong directory; one did, and took
# /etc with it. So the run happens in a private mount namespace (unshare, util-linux) in which /
# is read-only and only scratch space is writable: /tmp (cargo-mutants' copies), the output
# directory, and the caches the tests write to (cargo's, npm's). It needs root for the mounts.
#
# The source is a fresh clone of HEAD, so uncommitted work is neither mutated nor at risk.
# `CARGO_PROFILE_DEV_OPT_LEVEL=1` makes the suite (hundreds of espresso processes) about twice
# as fast; nextest stops at the first failing test, so a caught mutant costs seconds.
set -eu
[ "$#" -gt 0 ] || { echo "usage: dev/mutants.sh <file.rs>..." >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-/tmp/espresso-mutants}
mkdir -p "$out"
src=$(mktemp -d "$out/src.XXXXXX")
git clone -q "$repo" "$src"
files=""
for f in "$@"; do files="$files --file $f"; done
export CARGO_PROFILE_DEV_OPT_LEVEL=1
# shellcheck disable=SC2016,SC2086
exec unshare --mount --propagation private -- sh -c '
  set -e
  out=$1 src=$2
  shift 2
  for d in /tmp "$out" "$HOME/.cargo" "$HOME/.npm"; do
    if [ -d "$d" ]; then mount --bind "$d" "$d"; fi
  done
  mount -o remount,bind,ro /
  cd "$src"
  exec cargo mutants --test-tool nextest -j "${JOBS:-2}" --no-shuffle -o "$out/report" "$@"
' mutants "$out" "$src" $files
