#!/usr/bin/env bash
# Commits the repository's first real model history with the project's own CLIs:
#   1. train asOf 2001-04-01, gate it (first model: no champion), promote it   -> champion
#   2. train asOf 2001-05-01, gate it against (1), promote it over (1)          -> champion, (1) previous
# so a fresh clone has a champion and a rollback-ready previous version, each with its card,
# gate evidence and report under models/flight-delay/<version>/.
#
# usage: scripts/bootstrap-history.sh [train options…]     e.g. --trees 500
#   OUT=<dir>   where candidates are trained (default .cache/bootstrap, git-ignored)
#
# Every step stops the script on failure (a failing gate exits 1). Needs a clean working tree
# for the tracked files (promotion refuses otherwise) and no manifests/production.json yet.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${OUT:-.cache/bootstrap}"
if [ -e manifests/production.json ]; then
  echo "manifests/production.json already exists: the history is bootstrapped (npm run status)." >&2
  exit 1
fi

for as_of in 2001-04-01 2001-05-01; do
  dir="$out/$as_of"
  rm -rf "$dir"
  echo "== train $as_of"
  npm run --silent train -- --as-of "$as_of" --out "$dir" "$@"
  echo "== gate $as_of"
  npm run --silent gate -- --candidate "$dir"
  echo "== promote $as_of"
  npm run --silent promote -- --candidate "$dir"
done

echo "== result"
npm run --silent status
npm run --silent registry
npm run --silent registry -- --check
