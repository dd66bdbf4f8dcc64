#!/usr/bin/env bash
# The dashboard API against the live server, with the simulator feeding it through Mosquitto:
#   1. the REST endpoints answer with live data (latest values, GeoJSON, history, summary, export);
#   2. the live WebSocket delivers reading updates within a second (a Python client, stdlib only);
#   3. the OpenAPI document served at /openapi.yaml is checked against the running server by
#      schemathesis (from PyPI, in a venv under the test folder): every documented operation,
#      no 5xx, responses conform to their schemas, status codes and content types documented.
#      The seed is fixed so that CI is repeatable; IOC_SCHEMATHESIS_SEED=random explores
#      (schemathesis then picks one and prints it), IOC_SCHEMATHESIS_EXAMPLES=200 goes deeper.
# It runs a broker of its own (in its scratch folder): schemathesis disables gateways and rotates
# their passwords through /api/v1/gateways, which must not touch the shared test broker's accounts
# that later scripts publish with.
set -euo pipefail

: "${IOC_TEST_DATABASE_URL:?run through scripts/test.sh}" "${IOC_BIN:?run through scripts/test.sh}"
REPO="${IOC_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"
cd "$REPO"

WORK="$IOC_TEST_DIR/scratch/api-schema"
rm -rf "$WORK"
mkdir -p "$WORK"
SERVE_PID="" SIM_PID=""
cleanup() {
    for pid in "$SIM_PID" "$SERVE_PID"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ioc_mqtt_stop "$WORK/mqtt" || true
}
trap cleanup EXIT
ok() { printf 'ok - %s\n' "$*"; }
fail() {
    printf 'FAIL - %s\n' "$*" >&2
    for f in "$WORK"/*.log; do [[ -f "$f" ]] && { echo "--- $f (tail)" >&2; tail -n 30 "$f" >&2; }; done
    exit 1
}

# schemathesis in its own venv (cached between runs in the test folder's parent when possible).
VENV="${IOC_TEST_VENV:-$IOC_TEST_DIR/venv-schemathesis}"
if [[ ! -x "$VENV/bin/schemathesis" ]]; then
    /usr/bin/python3 -m venv "$VENV" || fail "python3 -m venv failed (python3-venv missing?)"
    "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis>=4,<5" >"$WORK/pip.log" 2>&1 ||
        fail "pip install schemathesis failed"
fi
"$VENV/bin/schemathesis" --version

HTTP_PORT=$(ioc_free_port)
BASE="http://127.0.0.1:$HTTP_PORT"
RUN="$$-$RANDOM"
ioc_e2e_database e2e_api deploy/sample/rules.json || fail "could not create the database"
sql() { psql -X -qAt "$DB_URL" -c "$1"; }
# Every /api/v1 request carries a token: an admin's for the checks and schemathesis, a viewer's to
# show what a role may not do.
ADMIN_TOKEN=$("$IOC_BIN" token create --database-url "$DB_URL" --name e2e-admin --role admin 2>/dev/null) || fail "ioc token create failed"
VIEWER_TOKEN=$("$IOC_BIN" token create --database-url "$DB_URL" --name e2e-viewer --role viewer 2>/dev/null) || fail "ioc token create failed"
AUTH=(-H "Authorization: Bearer $ADMIN_TOKEN")
mapfile -t GATEWAYS < <(python3 -c 'import json; [print(g["code"]) for g in json.load(open("deploy/sample/registry.json"))["gateways"]]')
ioc_mqtt_start "$WORK/mqtt" "$(ioc_free_port)" "${GATEWAYS[@]}" || fail "could not start this script's broker"
IOC_TEST_MQTT_URL=$IOC_MQTT_URL # for ioc_e2e_serve
ioc_e2e_serve "$WORK/serve.log" "ioc-e2e-api-$RUN" --log-level warning || fail "ioc serve did not start"
curl -sf "$BASE/readyz" >/dev/null || fail "ioc serve not ready"
"$IOC_BIN" simulate --registry deploy/sample/registry.json --credentials "$IOC_MQTT_CREDENTIALS" \
    --mqtt-url "mqtt://127.0.0.1:$IOC_MQTT_PORT" --rate 50 --client-prefix "e2e-api-$RUN-" </dev/null >>"$WORK/simulate.log" 2>&1 &
SIM_PID=$!

# --- 1. REST with live data -----------------------------------------------------------------------
for _ in $(seq 1 150); do
    n=$(curl -sf "${AUTH[@]}" "$BASE/api/v1/latest" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])' 2>/dev/null || echo 0)
    ((n >= 10)) && break
    sleep 0.2
done
((n >= 10)) || fail "no live values after 30 s of the simulator (latest count $n)"
# GeoJSON reads latest_values, which the rollup service folds every few seconds: give it time.
geojson_live() {
    curl -sf "${AUTH[@]}" "$BASE/api/v1/stations.geojson" | /usr/bin/python3 -c 'import json,sys; fc = json.load(sys.stdin); sys.exit(0 if any(f["properties"]["latest"] for f in fc["features"]) else 1)'
}
for _ in $(seq 1 60); do geojson_live && break; sleep 0.5; done
curl -sf "${AUTH[@]}" "$BASE/api/v1/stations.geojson" | /usr/bin/python3 -c '
import json, sys
fc = json.load(sys.stdin)
assert fc["type"] == "FeatureCollection" and fc["features"], fc
live = [f for f in fc["features"] if f["properties"]["latest"]]
assert live, "no station has latest values"
lon, lat = live[0]["geometry"]["coordinates"]
assert 100 < lon < 115 and 8 < lat < 24, (lon, lat)
print("geojson:", len(fc["features"]), "stations,", len(live), "with live values")
' || fail "GeoJSON without live data"
sensor=$(sql "SELECT sensor_id FROM latest_values ORDER BY ts DESC LIMIT 1")
from=$(date -u -d '-10 min' +%FT%TZ)
to=$(date -u -d '+1 min' +%FT%TZ)
curl -sf "${AUTH[@]}" "$BASE/api/v1/history?sensor=$sensor&from=$from&to=$to&step=raw" | /usr/bin/python3 -c '
import json, sys
h = json.load(sys.stdin)
points = h["series"][0]["points"]
assert points, h
print("history: sensor", h["series"][0]["sensor"], len(points), "raw points")
' || fail "no history for sensor $sensor"
rows=$(curl -sf "${AUTH[@]}" "$BASE/api/v1/export?from=$from&format=csv" | wc -l)
((rows > 10)) || fail "the export has $rows lines"
echo "export: $rows CSV lines for the last 10 minutes"
ok "REST endpoints answer with the simulator's live data"

# Derived metrics (every IOC_DERIVED_INTERVAL_MS, 5 s by default) show up in /latest like readings.
derived_metrics() {
    curl -sf "${AUTH[@]}" "$BASE/api/v1/latest" | /usr/bin/python3 -c '
import json, sys
metrics = {v["metric"] for v in json.load(sys.stdin)["values"]}
want = {"alarm_level", "rain_1h", "rain_24h", "rain_risk", "useful_capacity", "congestion"}
missing = sorted(want - metrics)
print(" ".join(missing) if missing else "")
sys.exit(1 if missing else 0)'
}
for _ in $(seq 1 60); do missing=$(derived_metrics) && break; sleep 0.5; done
derived_metrics >/dev/null || fail "derived metrics missing from /api/v1/latest after 30 s: $missing"
curl -sf "${AUTH[@]}" "$BASE/api/v1/sensors" | /usr/bin/python3 -c '
import json, sys
sensors = json.load(sys.stdin)["sensors"]
derived = [s for s in sensors if s["derived"]]
assert any(s["metric"] == "vn_aqi" for s in derived), "no vn_aqi sensor"
print("sensors:", len(sensors), "of which", len(derived), "derived")
' || fail "derived sensors not listed"
ok "derived metrics (alarm level, rain windows and risk, useful capacity, congestion) are served with the readings"

# --- 1b. tokens -------------------------------------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/latest")
[[ "$code" == 401 ]] || fail "/api/v1/latest without a token answered $code, expected 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $VIEWER_TOKEN" -X POST "$BASE/api/v1/rules" -H 'Content-Type: application/json' -d '{}')
[[ "$code" == 403 ]] || fail "a viewer creating a rule answered $code, expected 403"
curl -sf -H "Authorization: Bearer $VIEWER_TOKEN" "$BASE/api/v1/rules" >/dev/null || fail "a viewer cannot read the rules"
"$IOC_BIN" token list --database-url "$DB_URL" | grep -q '^e2e-viewer  *viewer' || fail "ioc token list does not show e2e-viewer"
"$IOC_BIN" token revoke --database-url "$DB_URL" e2e-viewer >/dev/null || fail "ioc token revoke failed"
revoked_refused() { [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $VIEWER_TOKEN" "$BASE/api/v1/rules")" == 401 ]]; }
for _ in $(seq 1 40); do revoked_refused && break; sleep 0.25; done
revoked_refused || fail "the revoked viewer token is still accepted 10 s later"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/metrics")" == 200 ]] || fail "/metrics is open by default"
ok "tokens: none → 401, a viewer may read but not write (403), revoked with ioc token revoke → 401 within seconds"

# --- 2. live WebSocket --------------------------------------------------------------------------------
if /usr/bin/python3 "$REPO/scripts/e2e/ws_probe.py" "127.0.0.1" "$HTTP_PORT" "/api/v1/live?domain=hydrology" 1 >"$WORK/ws-anonymous.json" 2>&1; then
    fail "the live feed accepted a WebSocket without a token"
fi
IOC_TOKEN=$ADMIN_TOKEN /usr/bin/python3 "$REPO/scripts/e2e/ws_probe.py" "127.0.0.1" "$HTTP_PORT" "/api/v1/live?domain=hydrology" 10 >"$WORK/ws.json" ||
    fail "the live feed did not deliver: $(cat "$WORK/ws.json")"
/usr/bin/python3 - "$WORK/ws.json" <<'PY' || fail "live feed frames not as expected"
import json, sys
r = json.load(open(sys.argv[1]))
types = r["types"]
assert types.get("hello") == 1 and types.get("snapshot", 0) >= 1, types
assert types.get("readings", 0) >= 1, types
assert r["max_age_s"] < 5, r
print("live feed:", types, "newest reading age at receipt p50 %.3f s, max %.3f s" % (r["p50_age_s"], r["max_age_s"]))
PY
ok "the live WebSocket delivers hydrology readings as they are committed"

# --- 3. the OpenAPI document against the running server ------------------------------------------
curl -sf "$BASE/openapi.yaml" -o "$WORK/openapi.yaml" || fail "/openapi.yaml not served"
seed=(--seed "${IOC_SCHEMATHESIS_SEED:-20261127}")
[[ "${IOC_SCHEMATHESIS_SEED:-}" == random ]] && seed=()
# fuzz TOKEN LOG [CHECK]: schemathesis over every documented operation (but the WebSocket) with
# TOKEN, the standard checks and CHECK; fails the script with the report's tail when it finds any.
fuzz() {
    local token=$1 log=$2 status
    set +e
    "$VENV/bin/schemathesis" run "$BASE/openapi.yaml" --url "$BASE" -H "Authorization: Bearer $token" \
        --checks "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance${3:+,$3}" \
        --max-examples "${IOC_SCHEMATHESIS_EXAMPLES:-25}" "${seed[@]}" --workers 1 --request-timeout 20 \
        --exclude-path /api/v1/live --no-color >"$log" 2>&1
    status=$?
    set -e
    tail -n 25 "$log"
    ((status == 0)) || fail "schemathesis found problems (full report: $log)"
}
fuzz "$ADMIN_TOKEN" "$WORK/schemathesis.log"
kill -0 "$SERVE_PID" 2>/dev/null || fail "ioc serve died during the schema check"
ok "schemathesis: every documented operation, no 5xx, responses match the OpenAPI document"

# --- 4. the same with a viewer limited to one district ---------------------------------------------
# Besides the checks above, no successful answer may name a station outside the district
# (scripts/e2e/st_scope_hooks.py). The list of those stations is checked first: the admin sees them.
SCOPE_UNIT=PY-TUYHOA
DISTRICT_TOKEN=$("$IOC_BIN" token create --database-url "$DB_URL" --name e2e-district --role viewer --unit "$SCOPE_UNIT" 2>/dev/null) ||
    fail "ioc token create --unit failed"
OUTSIDE=$(python3 - "$SCOPE_UNIT" <<'PY'
import json, sys
registry = json.load(open("deploy/sample/registry.json"))
parent = {u["code"]: u.get("parent") for u in registry["units"]}
def inside(unit):
    while unit is not None:
        if unit == sys.argv[1]:
            return True
        unit = parent.get(unit)
    return False
print(",".join(s["code"] for s in registry["stations"] if not inside(s["unit"])))
PY
)
[[ -n "$OUTSIDE" ]] || fail "no station outside $SCOPE_UNIT in the sample registry"
all_stations=$(curl -sf "${AUTH[@]}" "$BASE/api/v1/stations?limit=1000") || fail "/api/v1/stations failed for the admin"
for code in ${OUTSIDE//,/ }; do
    grep -q "\"$code\"" <<<"$all_stations" || fail "station $code (outside $SCOPE_UNIT) is not listed for the admin either"
done
district_stations=$(curl -sf -H "Authorization: Bearer $DISTRICT_TOKEN" "$BASE/api/v1/stations?limit=1000") || fail "/api/v1/stations failed for the district viewer"
python3 -c 'import json,sys; codes=[s["unit"] for s in json.load(sys.stdin)["stations"]]; assert codes and set(codes) == {sys.argv[1]}, codes' "$SCOPE_UNIT" <<<"$district_stations" ||
    fail "the district viewer's station list is not exactly $SCOPE_UNIT's stations"
rm -f "$WORK/scope-checked.log"
IOC_SCOPE_CHECKED_LOG="$WORK/scope-checked.log" IOC_OUTSIDE_STATIONS=$OUTSIDE IOC_SCOPE_UNIT=$SCOPE_UNIT SCHEMATHESIS_HOOKS=st_scope_hooks \
    PYTHONPATH="$REPO/scripts/e2e" fuzz "$DISTRICT_TOKEN" "$WORK/schemathesis-district.log" no_data_outside_scope
# The check ran on successful answers of the data routes.
for path in /api/v1/stations /api/v1/latest /api/v1/summary /api/v1/alerts /api/v1/units; do
    grep -q "^GET $path\$" "$WORK/scope-checked.log" 2>/dev/null || fail "the scope check saw no successful GET $path"
done
checked=$(wc -l <"$WORK/scope-checked.log")
kill -0 "$SERVE_PID" 2>/dev/null || fail "ioc serve died during the district schema check"
ok "schemathesis with a viewer limited to $SCOPE_UNIT: no 5xx, responses match, no station outside $SCOPE_UNIT in any of $checked successful answers"
