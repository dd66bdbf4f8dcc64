#!/usr/bin/env bash
# Gateways' broker accounts (Mosquitto's dynamic-security plugin) against the real broker and
# PostgreSQL that scripts/test.sh started, through `ioc gateway` and /api/v1/gateways (an add that
# the broker refuses changes nothing), and then:
#   1. an anonymous client is refused;
#   2. gateway A's publish under gateway B's prefix is dropped by the broker: nothing is stored for
#      B (no reading, no dead letter), while B's own readings and A's are stored;
#   3. the IOC's own account cannot publish readings nor subscribe outside ioc/v1/#;
#   4. a disabled gateway cannot connect, and can again once enabled;
#   5. after a rotation the old password is refused and the new one works;
#   6. every change is in the audit log (actor = the token's name or cli:USER), no password is.
set -euo pipefail

: "${IOC_TEST_DATABASE_URL:?run through scripts/test.sh}" "${IOC_BIN:?run through scripts/test.sh}"
REPO="${IOC_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"
cd "$REPO"

WORK="$IOC_TEST_DIR/scratch/gateways"
rm -rf "$WORK"
mkdir -p "$WORK"
SERVE_PID=""
cleanup() {
    if [[ -n "$SERVE_PID" ]]; then kill "$SERVE_PID" 2>/dev/null || true; fi
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
BASE="http://127.0.0.1:$HTTP_PORT"
PORT=$IOC_TEST_MQTT_PORT
# The test broker is shared by every e2e script and outlives this run: codes of our own.
RUN="$$$RANDOM"
A="E2E-GWA-$RUN"
B="E2E-GWB-$RUN"

ioc_e2e_database e2e_gateways || fail "could not create the database"
sql() { psql -X -qAt "$DB_URL" -c "$1"; }
# A and B as a registry import leaves them (no broker account yet), one station each.
cat >"$WORK/registry.json" <<EOF
{"gateways": [{"code": "$A", "name": "E2E A", "unit": "PY"}, {"code": "$B", "name": "E2E B", "unit": "PY"}],
 "stations": [
  {"code": "ST-A-$RUN", "name": "A", "unit": "PY", "domain": "hydrology", "gateway": "$A", "sensors": [{"metric": "water_level", "unit": "m", "min": -3, "max": 15}]},
  {"code": "ST-B-$RUN", "name": "B", "unit": "PY", "domain": "hydrology", "gateway": "$B", "sensors": [{"metric": "water_level", "unit": "m", "min": -3, "max": 15}]}]}
EOF
"$IOC_BIN" import --database-url "$DB_URL" "$WORK/registry.json" >/dev/null || fail "import of the test registry failed"
ADMIN=e2e-gw-admin
TOKEN=$("$IOC_BIN" token create --database-url "$DB_URL" --name "$ADMIN" --role admin 2>/dev/null) || fail "ioc token create failed"
ioc_e2e_serve "$WORK/serve.log" "ioc-e2e-gw-$RUN" || fail "ioc serve did not start"
gw() { "$IOC_BIN" gateway "$@" --database-url "$DB_URL" --mqtt-url "$IOC_TEST_MQTT_URL" --json 2>>"$WORK/cli.log"; }
api() { # METHOD PATH [BODY] -> body on stdout, status in $WORK/status
    curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} "$BASE$2" >"$WORK/status" || true
    cat "$WORK/body"
}
field() { python3 -c 'import json, sys; v = json.load(sys.stdin); [v := v[k] for k in sys.argv[1:]]; print(v)' "$@"; }

# publish USER PASS TOPIC VALUE: QoS 1; status and output of mosquitto_pub.
publish() {
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -u "$1" -P "$2" -i "e2e-gw-$RUN-$RANDOM" -q 1 -t "$3" -m "$4" 2>&1
}
# readings STATION: the values stored for it, in order of time.
readings() {
    sql "SELECT string_agg(r.value::text, ',' ORDER BY r.ts) FROM readings r JOIN sensors s ON s.id = r.sensor_id
         JOIN stations st ON st.id = s.station_id WHERE st.code = '$1'"
}
wait_for_readings() { # STATION EXPECTED
    local i
    for ((i = 0; i < 200; i++)); do
        [[ "$(readings "$1")" == "$2" ]] && return 0
        sleep 0.1
    done
    fail "readings of $1: expected $2, found '$(readings "$1")'"
}

# --- accounts: A through the API, B through the CLI (both adopt the imported rows) ---------------
body=$(api POST /api/v1/gateways "{\"code\":\"$A\",\"unit\":\"PY\"}")
[[ "$(cat "$WORK/status")" == 201 ]] || fail "POST /api/v1/gateways answered $(cat "$WORK/status"): $body"
PASS_A=$(field password <<<"$body")
[[ ${#PASS_A} == 48 ]] || fail "no password in $body"
[[ "$(field gateway broker_account <<<"$body")" == active ]] || fail "A's account is not active: $body"
PASS_B=$(gw add "$B" --unit PY | field password) || fail "ioc gateway add $B failed: $(cat "$WORK/cli.log")"
api POST /api/v1/gateways "{\"code\":\"$B\",\"unit\":\"PY\"}" >/dev/null
[[ "$(cat "$WORK/status")" == 409 ]] || fail "a second add of $B answered $(cat "$WORK/status"), not 409"
api POST /api/v1/gateways '{"code":"bad/code","unit":"PY"}' >/dev/null
[[ "$(cat "$WORK/status")" == 400 ]] || fail "a code with / answered $(cat "$WORK/status"), not 400"
# The broker refusing the IOC's account (a wrong password): nothing changes, the error says why.
C="E2E-GWC-$RUN"
if out=$("$IOC_BIN" gateway add "$C" --unit PY --database-url "$DB_URL" --mqtt-url "mqtt://ioc:wrong@127.0.0.1:$PORT" --broker-timeout 5 2>&1); then
    fail "ioc gateway add succeeded with a wrong broker password"
fi
grep -q "refused the connection" <<<"$out" || fail "add with the broker refusing: unexpected error: $out"
[[ "$(sql "SELECT count(*) FROM gateways WHERE code = '$C'")" == 0 ]] || fail "add registered $C although the broker refused"
listed=$(api GET /api/v1/gateways)
LISTED=$listed python3 - "$A" "$B" <<'EOF' || fail "GET /api/v1/gateways: $listed"
import json, os, sys
states = {g["code"]: g["broker_account"] for g in json.loads(os.environ["LISTED"])["gateways"]}
assert states[sys.argv[1]] == "active" and states[sys.argv[2]] == "active", states
assert states["GW-PY-HYDRO-01"] in ("active", "missing"), states
EOF
ok "gateways added through the API and the CLI (imported rows adopted), listed with their accounts; nothing changes when the broker refuses"

# --- 1. anonymous ---------------------------------------------------------------------------------
if out=$(mosquitto_pub -h 127.0.0.1 -p "$PORT" -i "e2e-gw-anon-$RUN" -q 1 -t "ioc/v1/$A/status" -m online 2>&1); then
    fail "an anonymous client could publish"
fi
grep -q "not authorised" <<<"$out" || fail "anonymous: unexpected answer: $out"
ok "an anonymous client is refused"

# --- 2. A under B's prefix ------------------------------------------------------------------------
publish "$A" "$PASS_A" "ioc/v1/$A/raw/ST-A-$RUN/water_level" 1.5 >/dev/null || fail "A could not publish under its own prefix"
wait_for_readings "ST-A-$RUN" 1.5
publish "$A" "$PASS_A" "ioc/v1/$B/raw/ST-B-$RUN/water_level" 9.9 >/dev/null ||
    fail "A's publish under B's prefix was not acknowledged (the broker drops it silently, MQTT 3.1.1 cannot refuse it)"
publish "$B" "$PASS_B" "ioc/v1/$B/raw/ST-B-$RUN/water_level" 2.5 >/dev/null || fail "B could not publish under its own prefix"
wait_for_readings "ST-B-$RUN" 2.5
sleep 2 # anything A's message could have caused would be stored by now
[[ "$(readings "ST-B-$RUN")" == 2.5 ]] || fail "B's readings: $(readings "ST-B-$RUN"), expected only 2.5"
[[ "$(sql "SELECT count(*) FROM dead_letters WHERE topic LIKE 'ioc/v1/$B/%' OR gateway = '$B'")" == 0 ]] ||
    fail "dead letters for B: $(sql "SELECT topic, reason FROM dead_letters WHERE gateway = '$B'")"
ok "A's publish under B's prefix is dropped: nothing stored for B; B's and A's own readings are"

# --- 3. the IOC's own account ---------------------------------------------------------------------
IOC_PASS=$(ioc_mqtt_password "$IOC_TEST_MQTT_DIR" ioc)
publish ioc "$IOC_PASS" "ioc/v1/$A/raw/ST-A-$RUN/water_level" 7.7 >/dev/null || true
publish "$A" "$PASS_A" "ioc/v1/$A/raw/ST-A-$RUN/water_level" 1.6 >/dev/null || fail "A could not publish"
wait_for_readings "ST-A-$RUN" 1.5,1.6
sleep 2
[[ "$(readings "ST-A-$RUN")" == 1.5,1.6 ]] || fail "A's readings: $(readings "ST-A-$RUN"): the ioc account published one"
# shellcheck disable=SC2016 # $SYS is a topic, not a variable
for topic in '$SYS/#' 'other/#' '#'; do
    out=$(mosquitto_sub -h 127.0.0.1 -p "$PORT" -u ioc -P "$IOC_PASS" -i "e2e-gw-sub-$RUN" -t "$topic" -C 1 -W 3 -d 2>&1 || true)
    grep -q "Subscribed (mid: 1): 128" <<<"$out" || fail "the ioc account's subscription to $topic was not refused: $out"
done
out=$(mosquitto_sub -h 127.0.0.1 -p "$PORT" -u ioc -P "$IOC_PASS" -i "e2e-gw-sub-$RUN" -t "ioc/v1/$A/none" -q 1 -C 1 -W 2 -d 2>&1 || true)
grep -q "Subscribed (mid: 1): 1" <<<"$out" || fail "the ioc account could not subscribe under ioc/v1/: $out"
ok "the ioc account cannot publish readings nor subscribe outside ioc/v1/#"

# --- 4. disable, enable ---------------------------------------------------------------------------
body=$(api POST "/api/v1/gateways/$B/disable")
[[ "$(cat "$WORK/status")" == 200 && "$(field broker_account <<<"$body")" == disabled ]] || fail "disable answered $(cat "$WORK/status"): $body"
[[ "$(sql "SELECT enabled FROM gateways WHERE code = '$B'")" == f ]] || fail "B is still enabled in the registry"
if out=$(publish "$B" "$PASS_B" "ioc/v1/$B/raw/ST-B-$RUN/water_level" 3.5); then fail "disabled B could connect"; fi
grep -q "not authorised" <<<"$out" || fail "disabled B: unexpected answer: $out"
gw enable "$B" >/dev/null || fail "ioc gateway enable failed: $(cat "$WORK/cli.log")"
publish "$B" "$PASS_B" "ioc/v1/$B/status" online >/dev/null || fail "B could not connect once enabled"
ok "a disabled gateway cannot connect; enabled again, it can"

# --- 5. rotate ------------------------------------------------------------------------------------
NEW_A=$(gw rotate "$A" | field password) || fail "ioc gateway rotate failed: $(cat "$WORK/cli.log")"
[[ ${#NEW_A} == 48 && "$NEW_A" != "$PASS_A" ]] || fail "rotate gave no new password"
if out=$(publish "$A" "$PASS_A" "ioc/v1/$A/status" online); then fail "A's old password still works"; fi
grep -q "not authorised" <<<"$out" || fail "old password: unexpected answer: $out"
publish "$A" "$NEW_A" "ioc/v1/$A/raw/ST-A-$RUN/water_level" 1.7 >/dev/null || fail "A's new password does not work"
wait_for_readings "ST-A-$RUN" 1.5,1.6,1.7
body=$(api POST "/api/v1/gateways/$B/rotate")
[[ "$(cat "$WORK/status")" == 200 && ${#body} -gt 48 ]] || fail "POST rotate answered $(cat "$WORK/status"): $body"
NEW_B=$(field password <<<"$body")
publish "$B" "$NEW_B" "ioc/v1/$B/status" online >/dev/null || fail "B's new password (from the API) does not work"
api POST /api/v1/gateways/NO-SUCH-GW/rotate >/dev/null
[[ "$(cat "$WORK/status")" == 404 ]] || fail "rotate of an unknown gateway answered $(cat "$WORK/status")"
ok "after a rotation (CLI and API) the old password is refused and the new one works"

# --- 6. audit -------------------------------------------------------------------------------------
audit=$(sql "SELECT actor || ' ' || action || ' ' || key FROM audit_log WHERE entity = 'gateway' ORDER BY id")
expected="$ADMIN provision $A
cli:${USER:-${LOGNAME:-unknown}} provision $B
$ADMIN disable $B
cli:${USER:-${LOGNAME:-unknown}} enable $B
cli:${USER:-${LOGNAME:-unknown}} rotate $A
$ADMIN rotate $B"
[[ "$audit" == "$expected" ]] || fail "audit log:
$audit
expected:
$expected"
for secret in "$PASS_A" "$PASS_B" "$NEW_A" "$NEW_B"; do
    [[ "$(sql "SELECT count(*) FROM audit_log WHERE before::text LIKE '%$secret%' OR after::text LIKE '%$secret%'")" == 0 ]] ||
        fail "a password is in the audit log"
    ! grep -qF "$secret" "$WORK/serve.log" "$WORK/cli.log" || fail "a password is in a log"
done
[[ "$(sql "SELECT after->>'enabled' FROM audit_log WHERE entity = 'gateway' AND action = 'disable'")" == false ]] ||
    fail "the audit of disable lacks the state after"
ok "every change is audited with its actor, before and after; no password in the audit log or logs"
