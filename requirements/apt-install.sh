#!/usr/bin/env bash
# Install the Debian packages of a list (requirements/apt.txt by default) that are missing (`make system-packages`;
# `make test` runs it, `make bench` with requirements/apt-bench.txt).
# Nothing is fetched when all are installed. As root, or through sudo otherwise.
set -euo pipefail
list="${1:-$(dirname "$0")/apt.txt}"

mapfile -t packages < <(sed -e 's/#.*//' "$list" | tr -s '[:space:]' '\n' | sed '/^$/d')
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -qx 'install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600)

# Debian starts some daemons on install (named, knot, ddclient, inadyn, redis-server, postgresql, pdns on their
# standard ports); the tests and benchmarks start their own on free ports, so the ones this install started are
# stopped again. Only systemd units, only when systemd runs, and only those that were not running before: a
# PostgreSQL or Redis already running on this machine, under systemd or not, is left alone.
units=(named bind9 knot ddclient inadyn redis-server postgresql pdns)
systemd=false
[ -d /run/systemd/system ] && command -v systemctl >/dev/null && systemd=true
was_active=()
if $systemd; then
    for unit in "${units[@]}"; do
        systemctl is-active --quiet "$unit" && was_active+=("$unit")
    done
fi

echo "== installing Debian packages: ${missing[*]}"
"${apt[@]}" update
"${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null

if $systemd; then
    for unit in "${units[@]}"; do
        [[ " ${was_active[*]} " == *" $unit "* ]] && continue
        if systemctl is-active --quiet "$unit"; then
            echo "== stopping $unit (started by its package; the tests and benchmarks start their own)"
            "${sudo[@]}" systemctl stop "$unit"
        fi
    done
fi
