#!/bin/sh
# Installs the Debian packages the tests and benchmarks run, and nothing else.
#
#   sh scripts/setup-system.sh [test] [bench-serve] [bench-train]      (default: test)
#
#   test         promtool + prometheus (package prometheus): metrics and alert-rule tests, the real
#                Prometheus test; chromium (/usr/bin/chromium): the dashboard browser test;
#                git with `git http-backend` (package git): the GitHub emulator serves git over HTTP
#   bench-serve  wrk, the load generator of `npm run bench:serve`
#   bench-train  python3-xgboost, the baseline of `npm run bench:train` (Debian's /usr/bin/python3)
#
# `npm test` runs this first (its `pretest`), so a fresh clone needs no step the README does not show.
# Nothing is done when everything is there. As root it runs `apt-get update` once and installs what is
# missing with --no-install-recommends; as another user it prints the command to run and exits 1.
# Packages are installed for their binaries: the tests start their own Prometheus on a free loopback
# port, so the package's service is not started during the install (policy-rc.d, see below).
set -eu

groups="${*:-test}"
missing=""      # Debian packages to install
why=""          # one line per missing tool, for the message

need() { # need <package> <what it is for> <check command…>
  package=$1 reason=$2
  shift 2
  if ! "$@" >/dev/null 2>&1; then
    case " $missing " in *" $package "*) ;; *) missing="$missing $package" ;; esac
    why="$why
  $package: $reason"
  fi
}

has_git_http_backend() { command -v git && test -x "$(git --exec-path)/git-http-backend"; }
has_xgboost() { /usr/bin/python3 -c 'import xgboost'; }

check() {
  missing="" why=""
  for group in $groups; do
    case $group in
      test)
        need prometheus 'promtool (metrics and alert-rule tests)' command -v promtool
        need prometheus 'prometheus (the real-Prometheus test)' command -v prometheus
        need chromium '/usr/bin/chromium (the dashboard browser test)' test -x /usr/bin/chromium
        need git 'git with git http-backend (the GitHub emulator)' has_git_http_backend
        ;;
      bench-serve) need wrk 'wrk (npm run bench:serve)' command -v wrk ;;
      bench-train) need python3-xgboost 'xgboost for /usr/bin/python3 (npm run bench:train)' has_xgboost ;;
      *)
        echo "setup-system: unknown group '$group' (test, bench-serve, bench-train)" >&2
        exit 2
        ;;
    esac
  done
}

check
[ -z "$missing" ] && exit 0
packages=${missing# }

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  {
    echo "setup-system: missing system packages:$why"
    if command -v apt-get >/dev/null 2>&1; then
      echo "Install them as root, then run the command again:"
      echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $packages"
    else
      echo "This machine has no apt-get: install the tools above with its package manager (the names are Debian's)."
    fi
  } >&2
  exit 1
fi

# A package's maintainer scripts ask /usr/sbin/policy-rc.d whether they may start services; 101 means
# no. Debian's prometheus starts its daemon otherwise (on :9090, or failing where there is no init,
# as in a chroot). Docker images ship this file already; keep theirs, and remove only our own.
policy=/usr/sbin/policy-rc.d
if [ ! -e $policy ]; then
  trap 'rm -f $policy' EXIT
  printf '#!/bin/sh\n# written by taxiway scripts/setup-system.sh for one apt-get install\nexit 101\n' >$policy
  chmod 755 $policy
fi

echo "setup-system: installing$why"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # one word per package
apt-get install -y -q --no-install-recommends $packages

check
if [ -n "$missing" ]; then
  echo "setup-system: still missing after apt-get install:$why" >&2
  exit 1
fi
echo "setup-system: installed $packages"
