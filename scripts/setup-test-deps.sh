#!/bin/sh
# Installs the Debian tools the service tests and bench use: promtool (package `prometheus`)
# checks the /metrics exposition, wrk drives the load bench. Idempotent: installs only what is missing.
set -eu

missing=""
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup-test-deps: need root (or sudo) to install:$missing" >&2
    exit 1
  fi
else
  SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# --no-install-recommends: we only need the binaries, not the services' extras.
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
