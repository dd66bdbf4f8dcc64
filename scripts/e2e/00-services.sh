#!/usr/bin/env bash
# End-to-end check of the service helpers in scripts/lib.sh, against real PostgreSQL and Mosquitto
# started in a temporary directory of its own (the shared test services are left alone):
# start, connect, authentication, the broker's ACL, stop/restart on the same port, and that
# queued QoS 1 messages of a persistent session survive a broker restart.
# Exits non-zero on the first failure.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/ioc-e2e-services.XXXXXX")
chmod 755 "$T"
cleanup() {
    ioc_mqtt_stop "$T/mqtt" || true
    ioc_pg_stop "$T/pg" immediate || true
    if [[ "${KEEP_TEST_DIR:-}" == 1 ]]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

ok() { printf 'ok - %s\n' "$*"; }
fail() { printf 'FAIL - %s\n' "$*" >&2; exit 1; }

ioc_ensure_packages
BIN=$(_ioc_pg_bindir)
PSQL=("$BIN/psql" -X -qAt -v ON_ERROR_STOP=1)

# --- PostgreSQL ---------------------------------------------------------------------------------
PGPORT=$(ioc_free_port)
out=$(ioc_pg_start "$T/pg" "$PGPORT" 2>&1) || fail "ioc_pg_start: $out"
[[ -z "$out" ]] || fail "ioc_pg_start printed: $out"
ioc_pg_start "$T/pg" "$PGPORT" # sets IOC_PG_URL (already running: no-op)
[[ "$IOC_PG_URL" =~ ^postgres://ioc:[0-9a-f]{32}@127\.0\.0\.1:${PGPORT}/ioc$ ]] || fail "IOC_PG_URL=$IOC_PG_URL"
[[ "$("${PSQL[@]}" "$IOC_PG_URL" -c 'SELECT current_user')" == ioc ]] || fail "connect with IOC_PG_URL"
ok "PostgreSQL starts on $PGPORT, URL works"

[[ "$("${PSQL[@]}" "$IOC_PG_URL" -c "SELECT current_setting('synchronous_commit') || ',' || current_setting('listen_addresses')")" == "on,127.0.0.1" ]] ||
    fail "settings"
if PGPASSWORD=wrong "$BIN/psql" -X -h 127.0.0.1 -p "$PGPORT" -U ioc -d ioc -c 'SELECT 1' >/dev/null 2>&1; then
    fail "a wrong password was accepted over TCP"
fi
ok "TCP needs the password"

"${PSQL[@]}" "$IOC_PG_URL" -c 'CREATE TABLE t (v int); INSERT INTO t VALUES (42)'
ioc_pg_stop "$T/pg"
! ioc_pg_running "$T/pg" || fail "still running after ioc_pg_stop"
! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" || fail "port still answers after ioc_pg_stop"
ioc_pg_start "$T/pg"
[[ "$IOC_PG_PORT" == "$PGPORT" ]] || fail "restart changed the port: $IOC_PG_PORT"
[[ "$("${PSQL[@]}" "$IOC_PG_URL" -c 'SELECT v FROM t')" == 42 ]] || fail "data lost over stop/start"
ok "stop and start again on the same port keeps data"

ioc_pg_stop "$T/pg" immediate
ioc_pg_restart "$T/pg"
[[ "$(ioc_pg_psql "$T/pg" -Atc 'SELECT v FROM t')" == 42 ]] || fail "data lost after an immediate stop"
ok "crash-like stop (immediate) recovers"

# --- Mosquitto ----------------------------------------------------------------------------------
MPORT=$(ioc_free_port)
out=$(ioc_mqtt_start "$T/mqtt" "$MPORT" GW-T1 GW-T2 2>&1) || fail "ioc_mqtt_start: $out"
[[ -z "$out" ]] || fail "ioc_mqtt_start printed: $out"
ioc_mqtt_start "$T/mqtt" "$MPORT" GW-T1 GW-T2
[[ "$IOC_MQTT_URL" =~ ^mqtt://ioc:[0-9a-f]{32}@127\.0\.0\.1:${MPORT}$ ]] || fail "IOC_MQTT_URL=$IOC_MQTT_URL"
IOC_PW=$(ioc_mqtt_password "$T/mqtt" ioc)
T1_PW=$(ioc_mqtt_password "$T/mqtt" GW-T1)
T2_PW=$(ioc_mqtt_password "$T/mqtt" GW-T2)
ok "Mosquitto starts on $MPORT"

pub() { # USER PASS TOPIC MESSAGE [extra args]
    local u=$1 p=$2 t=$3 m=$4
    shift 4
    mosquitto_pub -h 127.0.0.1 -p "$MPORT" -u "$u" -P "$p" -q 1 -t "$t" -m "$m" "$@"
}

if mosquitto_pub -h 127.0.0.1 -p "$MPORT" -t ioc/v1/GW-T1/status -m x 2>/dev/null; then
    fail "anonymous publish accepted"
fi
if mosquitto_pub -h 127.0.0.1 -p "$MPORT" -u GW-T1 -P wrong -t ioc/v1/GW-T1/status -m x 2>/dev/null; then
    fail "wrong password accepted"
fi
ok "anonymous and wrong-password clients are refused"

# An ioc subscriber, and a GW-T2 subscriber that must see nothing (gateways have no read access).
mosquitto_sub -h 127.0.0.1 -p "$MPORT" -u ioc -P "$IOC_PW" -q 1 -t 'ioc/v1/#' -v -C 3 -W 20 >"$T/sub-ioc.txt" &
SUB_IOC=$!
mosquitto_sub -h 127.0.0.1 -p "$MPORT" -u GW-T2 -P "$T2_PW" -q 1 -t 'ioc/v1/#' -v -W 30 >"$T/sub-gw.txt" 2>/dev/null &
SUB_GW=$!
sleep 1
pub GW-T1 "$T1_PW" ioc/v1/GW-T1/raw/PY-X/water_level 1.5
pub GW-T1 "$T1_PW" ioc/v1/GW-T2/raw/PY-X/water_level 666    # not its own prefix: dropped
pub GW-T1 "$T1_PW" ioc/v1/other/raw/PY-X/water_level 667    # dropped
pub ioc "$IOC_PW" ioc/v1/GW-T1/raw/PY-X/water_level 668     # the IOC cannot write as a gateway
pub GW-T2 "$T2_PW" ioc/v1/GW-T2/raw/PY-X/water_level 2.5
pub GW-T1 "$T1_PW" ioc/v1/GW-T1/status online -r
wait "$SUB_IOC" || fail "ioc subscriber did not get 3 messages: $(cat "$T/sub-ioc.txt")"
expected="ioc/v1/GW-T1/raw/PY-X/water_level 1.5
ioc/v1/GW-T2/raw/PY-X/water_level 2.5
ioc/v1/GW-T1/status online"
[[ "$(cat "$T/sub-ioc.txt")" == "$expected" ]] || fail "ioc subscriber got: $(cat "$T/sub-ioc.txt")"
sleep 0.5
kill "$SUB_GW" 2>/dev/null || true
wait "$SUB_GW" 2>/dev/null || true
[[ ! -s "$T/sub-gw.txt" ]] || fail "a gateway could read: $(cat "$T/sub-gw.txt")"
ok "ACL: a gateway publishes only under ioc/v1/<its code>/, reads nothing; ioc reads ioc/v1/#"

# Persistent session: queued QoS 1 messages survive a broker restart.
sub_persistent() {
    mosquitto_sub -h 127.0.0.1 -p "$MPORT" -u ioc -P "$IOC_PW" -i ioc-e2e-persistent -c -q 1 -t 'ioc/v1/#' "$@"
}
sub_persistent -E # create the session and its subscription, then disconnect
for i in 1 2 3 4 5; do pub GW-T1 "$T1_PW" ioc/v1/GW-T1/raw/PY-X/rain "$i"; done
ioc_mqtt_restart "$T/mqtt"
[[ "$IOC_MQTT_PORT" == "$MPORT" ]] || fail "restart changed the port"
[[ "$(ioc_mqtt_password "$T/mqtt" GW-T1)" == "$T1_PW" ]] || fail "restart changed a password"
got=$(sub_persistent -C 6 -W 10 | tr '\n' ' ') || fail "persistent session lost messages: got '$got'"
[[ "$got" == "online 1 2 3 4 5 " ]] || fail "persistent session got '$got'"
ok "queued QoS 1 messages of a persistent session survive a broker restart"

# Adding a gateway keeps the existing passwords.
ioc_mqtt_start "$T/mqtt" "$MPORT" GW-T1 GW-T2 GW-T3
[[ "$(ioc_mqtt_password "$T/mqtt" GW-T1)" == "$T1_PW" && "$(ioc_mqtt_password "$T/mqtt" ioc)" == "$IOC_PW" ]] ||
    fail "passwords changed when a gateway was added"
pub GW-T3 "$(ioc_mqtt_password "$T/mqtt" GW-T3)" ioc/v1/GW-T3/status online || fail "new gateway cannot publish"
ok "a new gateway gets a password, the others keep theirs"

ioc_mqtt_kill "$T/mqtt"
! ioc_mqtt_running "$T/mqtt" || fail "still running after ioc_mqtt_kill"
ioc_mqtt_start "$T/mqtt" -
ioc_mqtt_running "$T/mqtt" || fail "no restart after a kill"
ok "restart after SIGKILL"

ioc_mqtt_stop "$T/mqtt"
! _ioc_port_open "$MPORT" || fail "port still open after ioc_mqtt_stop"
ok "ioc_mqtt_stop"
