#!/bin/sh
# Make sure the Debian packages courtrules needs are installed.
# As root: installs the missing ones. Otherwise: prints the one apt-get line
# needed and fails, so `make demo` / `make test` stop with a clear message.
set -eu

PKGS="build-essential cmake pkg-config liblua5.4-dev libsqlite3-dev sqlite3 \
libcurl4-openssl-dev libjansson-dev libmicrohttpd-dev libssl-dev libcmocka-dev \
lua-check curl python3 tzdata wrk"

missing=""
for p in $PKGS; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    case "$status" in
        ii*) ;;
        *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
else
    echo "deps: missing Debian packages. Run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
fi
