#!/usr/bin/env bash
# End to end through the real `ioc` binary, Mosquitto and PostgreSQL started by scripts/test.sh:
# every valid reading published with QoS 1 is in `readings` after each of
#   1. SIGTERM to IOC mid-stream and a restart,
#   2. PostgreSQL stopped for 30 s mid-stream,
#   3. Mosquitto restarted mid-stream (persistence on),
# and 4. 10,000 malformed messages of many kinds leave IOC running, each dead-lettered with its
# reason, with the good messages in between all stored. Each scenario uses a database of its own.
# Scenarios 1-3 publish SenML and compact JSON, whose readings carry their own time: a raw reading
# is stamped when received, so a raw message the broker redelivers after a stop is stored twice.
set -euo pipefail

: "${IOC_TEST_DATABASE_URL:?run through scripts/test.sh}" "${IOC_BIN:?run through scripts/test.sh}"
REPO="${IOC_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"
cd "$REPO"

WORK="$IOC_TEST_DIR/scratch/resilience"
mkdir -p "$WORK"
SERVE_PID=""
SIM_PID=""
cleanup() {
    [[ -n "$SIM_PID" ]] && kill "$SIM_PID" 2>/dev/null || true
    [[ -n "$SERVE_PID" ]] && kill "$SERVE_PID" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

ok() { printf 'ok - %s\n' "$*"; }
fail() {
    printf 'FAIL - %s\n' "$*" >&2
    for f in "$WORK"/*.log; do [[ -f "$f" ]] && { echo "--- $f (tail)" >&2; tail -n 30 "$f" >&2; }; done
    exit 1
}

HTTP_PORT=$(ioc_free_port)
MQTT_BASE="mqtt://127.0.0.1:$IOC_TEST_MQTT_PORT"
RUN="$$-$RANDOM" # MQTT client ids of this run: a persistent session of an earlier run must not leak in

# Ends a persistent session of IOC's on the broker (connect once with clean session), so that
# later scenarios do not queue messages for it.
forget_session() {
    mosquitto_sub -h 127.0.0.1 -p "$IOC_TEST_MQTT_PORT" -u ioc -P "$(ioc_mqtt_password "$IOC_TEST_MQTT_DIR" ioc)" \
        -i "ioc-e2e-$1-$RUN" -t "ioc/v1/none" -E >/dev/null 2>&1 || true
}

new_database() { ioc_e2e_database "$1" || fail "could not create database $1"; } # NAME -> sets DB_URL

sql() { psql -X -qAt "$DB_URL" -c "$1"; }
# Readings of measured sensors: what gateways published (derived sensors get values of their own).
MEASURED="SELECT count(*) FROM readings r JOIN sensors s ON s.id = r.sensor_id WHERE NOT s.derived"

start_serve() { ioc_e2e_serve "$WORK/serve-$1.log" "ioc-e2e-$1-$RUN" || fail "ioc serve did not start"; } # SCENARIO

stop_serve() {
    kill -TERM "$SERVE_PID"
    local rc=0
    wait "$SERVE_PID" || rc=$?
    SERVE_PID=""
    [[ $rc == 0 ]] || fail "ioc serve exited with status $rc after SIGTERM"
    grep -q "stopped cleanly" "$WORK/serve-$1.log" || fail "ioc serve did not report a clean stop"
}

finish_scenario() { forget_session "$1"; }

start_sim() { # SCENARIO ARGS...
    local name=$1
    shift
    "$IOC_BIN" simulate --credentials "$IOC_TEST_MQTT_CREDENTIALS" --mqtt-url "$MQTT_BASE" --client-prefix "sim-$name-$RUN" --progress 2 "$@" \
        >"$WORK/sim-$name.log" 2>&1 &
    SIM_PID=$!
}

wait_sim() { # SCENARIO -> sets PUBLISHED
    local rc=0
    wait "$SIM_PID" || rc=$?
    SIM_PID=""
    [[ $rc == 0 ]] || fail "simulator exited with status $rc"
    PUBLISHED=$(sed -n 's/^simulate: published \([0-9]*\) readings.*/\1/p' "$WORK/sim-$1.log")
    [[ -n "$PUBLISHED" ]] || fail "simulator did not report what it published"
}

wait_stored() { # EXPECTED SECONDS -> sets STORED
    local expected=$1 deadline=$((SECONDS + $2))
    while ((SECONDS < deadline)); do
        STORED=$(sql "$MEASURED")
        ((STORED >= expected)) && break
        sleep 0.5
    done
    STORED=$(sql "$MEASURED")
}

# --- 1. SIGTERM mid-stream, restart ---------------------------------------------------------------
new_database e2e_sigterm
start_serve sigterm
start_sim sigterm --rate 2000 --count 20000 --format packs
sleep 3
stop_serve sigterm
before=$(sql "$MEASURED")
sleep 2 # the simulator goes on; the broker queues for IOC's persistent session
start_serve sigterm
wait_sim sigterm
wait_stored "$PUBLISHED" 120
metrics=$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics")
echo "sigterm (after restart only): accepted $(awk '/^ioc_ingest_readings_accepted_total/ {print $2}' <<<"$metrics"), duplicates $(awk '/^ioc_writer_readings_duplicate_total/ {print $2}' <<<"$metrics"), dead letters $(sql "SELECT count(*) FROM dead_letters")"
stop_serve sigterm
finish_scenario sigterm
echo "sigterm: published $PUBLISHED, stored $before at the stop, $STORED after the restart, missing $((PUBLISHED - STORED))"
[[ "$STORED" == "$PUBLISHED" ]] || fail "SIGTERM mid-stream: stored $STORED of $PUBLISHED"
ok "SIGTERM to IOC mid-stream and restart: all $PUBLISHED readings stored exactly once"

# --- 2. PostgreSQL stopped for 30 s mid-stream ----------------------------------------------------
new_database e2e_pgdown
start_serve pgdown
start_sim pgdown --rate 1000 --count 45000 --format packs
sleep 5
ioc_pg_stop "$IOC_TEST_PGDIR" fast
down_at=$SECONDS
sleep 30
curl -s "http://127.0.0.1:$HTTP_PORT/readyz" | grep -q '"database":false' || fail "/readyz should report the database down"
kill -0 "$SERVE_PID" || fail "ioc serve died while PostgreSQL was down"
ioc_pg_start "$IOC_TEST_PGDIR"
echo "pgdown: PostgreSQL was down for $((SECONDS - down_at)) s"
wait_sim pgdown
wait_stored "$PUBLISHED" 180
retries=$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^ioc_writer_retries_total/ {print $2}')
stop_serve pgdown
finish_scenario pgdown
echo "pgdown: published $PUBLISHED, stored $STORED, writer retries ${retries:-0}"
[[ "$STORED" == "$PUBLISHED" ]] || fail "PostgreSQL down 30 s: stored $STORED of $PUBLISHED"
ok "PostgreSQL stopped 30 s mid-stream: all $PUBLISHED readings stored after it came back, without restarting IOC"

# --- 3. Mosquitto restarted mid-stream ------------------------------------------------------------
# Besides the count, IOC's own counters must balance: every reading it accepted is stored or was a
# duplicate (the broker redelivers what was in flight when it stopped).
new_database e2e_brokerrestart
start_serve brokerrestart
start_sim brokerrestart --rate 1500 --count 20000 --format senml
sleep 4
ioc_mqtt_restart "$IOC_TEST_MQTT_DIR"
wait_sim brokerrestart
wait_stored "$PUBLISHED" 60
metrics=$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics")
accepted=$(awk '/^ioc_ingest_readings_accepted_total/ {print $2}' <<<"$metrics")
duplicates=$(awk '/^ioc_writer_readings_duplicate_total/ {print $2}' <<<"$metrics")
connected=$(awk '/^ioc_ingest_mqtt_connected/ {print $2}' <<<"$metrics")
stop_serve brokerrestart
finish_scenario brokerrestart
echo "brokerrestart: published $PUBLISHED, IOC accepted $accepted (duplicates $duplicates), stored $STORED, missing $((PUBLISHED - STORED))"
[[ "${connected%.*}" == 1 ]] || fail "IOC did not reconnect to the restarted broker"
((STORED + duplicates == accepted)) || fail "IOC lost readings it had received: accepted $accepted, stored $STORED + duplicates $duplicates"
[[ "$STORED" == "$PUBLISHED" ]] || fail "Mosquitto restarted mid-stream: stored $STORED of $PUBLISHED"
ok "Mosquitto restarted mid-stream: all $PUBLISHED readings stored"

# --- 4. 10,000 malformed messages among good ones -------------------------------------------------
new_database e2e_malformed
start_serve malformed
start_sim malformed --rate 8000 --count 20000 --malformed 10000
wait_sim malformed
wait_stored "$PUBLISHED" 120
expected_bad=$(sed -n 's/^simulate: published .*(\([0-9]*\) malformed).*/\1/p' "$WORK/sim-malformed.log")
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)) && (($(sql "SELECT count(*) FROM dead_letters") < expected_bad)); do sleep 0.5; done
dead=$(sql "SELECT count(*) FROM dead_letters")
kinds=$(sql "SELECT count(DISTINCT kind) FROM dead_letters")
curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null || fail "IOC is not healthy after the malformed messages"
sql "SELECT kind, count(*) FROM dead_letters GROUP BY kind ORDER BY kind"
stop_serve malformed
finish_scenario malformed
echo "malformed: published $PUBLISHED good readings and $expected_bad malformed messages; stored $STORED; dead letters $dead of $kinds kinds"
[[ "$expected_bad" == 10000 ]] || fail "the simulator sent $expected_bad malformed messages, not 10000"
[[ "$dead" == 10000 ]] || fail "dead letters: $dead, expected 10000 (one per malformed message)"
((kinds >= 10)) || fail "only $kinds kinds of dead letters"
[[ "$STORED" == "$PUBLISHED" ]] || fail "good readings among malformed ones: stored $STORED of $PUBLISHED"
ok "10,000 malformed messages: each dead-lettered with its reason ($kinds kinds), all $PUBLISHED good readings stored, IOC healthy"
