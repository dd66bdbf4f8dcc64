#!/usr/bin/env bash
# Stops what scripts/up.sh started in this checkout: asks a running up.sh to stop, then stops
# any leftover ioc simulate / ioc serve, Mosquitto and PostgreSQL of .data/.
#
#   scripts/down.sh           stop; keep .data/ (database, broker queue, passwords)
#   scripts/down.sh --purge   stop, then delete .data/
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"
DATA=$REPO/.data

purge=
case "${1:-}" in
"") ;;
--purge) purge=1 ;;
*)
    echo "usage: scripts/down.sh [--purge]" >&2
    exit 2
    ;;
esac

if [[ -d "$DATA" ]]; then
    # A running up.sh cleans up itself on SIGTERM: give it the time to.
    if pid=$(cat "$DATA/run/up.pid" 2>/dev/null) && _ioc_pid_alive "$pid" &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'up\.sh'; then
        echo "stopping up.sh (pid $pid)"
        ioc_stop_pid_file "$DATA/run/up.pid" 120 up.sh
    fi
    ioc_stop_pid_file "$DATA/run/simulate.pid" 15 ioc
    ioc_stop_pid_file "$DATA/run/serve.pid" 60 ioc
    ioc_mqtt_stop "$DATA/mqtt"
    ioc_pg_stop "$DATA/pg"
    rm -f "$DATA/run/up.pid"
fi
if [[ -n "$purge" ]]; then
    rm -rf "$DATA"
    echo "stopped; .data/ deleted"
else
    echo "stopped"
fi
