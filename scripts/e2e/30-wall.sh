#!/usr/bin/env bash
# Wall displays in a real browser (Debian's chromium, headless) against the real `ioc serve`,
# PostgreSQL, Mosquitto and the simulator:
#   1. the page, its assets and the 404s: content types, Cache-Control, no path traversal;
#   2. with no data flowing, the check below FAILS (the page says it has no data): the check can fail;
#   3. with the simulator running, /wall/province-overview (live feed, or polling when the server has
#      no WebSocket) and /wall/flood-watch?live=off (REST polling only) show their stations, live
#      values, the clock, a fresh data age, the open-alert list; the English page its English title.
# The DOM is what chromium --dump-dom prints after --virtual-time-budget (fetch, timers and the
# WebSocket all run under virtual time); scripts/e2e/wall_check.py reads it. Screenshots are kept in
# the scratch directory and in test-artifacts/.
set -euo pipefail

: "${IOC_TEST_DATABASE_URL:?run through scripts/test.sh}" "${IOC_BIN:?run through scripts/test.sh}"
REPO="${IOC_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"
cd "$REPO"

WORK="$IOC_TEST_DIR/scratch/wall"
ARTIFACTS="$REPO/test-artifacts"
rm -rf "$WORK"
mkdir -p "$WORK" "$ARTIFACTS"
SERVE_PID="" SIM_PID=""
cleanup() {
    for pid in "$SIM_PID" "$SERVE_PID"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

ok() { printf 'ok - %s\n' "$*"; }
fail() {
    printf 'FAIL - %s\n' "$*" >&2
    for f in "$WORK"/*.log; do [[ -f "$f" ]] && { echo "--- $f (tail)" >&2; tail -n 30 "$f" >&2; }; done
    exit 1
}
command -v chromium >/dev/null || fail "chromium is not installed (scripts/lib.sh ioc_ensure_packages installs it)"

HTTP_PORT=$(ioc_free_port)
BASE="http://127.0.0.1:$HTTP_PORT"
RUN="$$-$RANDOM"

ioc_e2e_database e2e_wall deploy/sample/rules.json || fail "could not create the database"
# The wall page is open; the data it fetches needs a token, and a display token is all it needs.
DISPLAY_TOKEN=$("$IOC_BIN" token create --database-url "$DB_URL" --name e2e-wall --role display 2>/dev/null) || fail "ioc token create failed"
AUTH=(-H "Authorization: Bearer $DISPLAY_TOKEN")
ioc_e2e_serve "$WORK/serve.log" "ioc-e2e-wall-$RUN" --log-level info || fail "ioc serve did not start"

wait_for() { # SECONDS DESCRIPTION COMMAND...
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    while ((SECONDS < deadline)); do "$@" && return 0; sleep 0.5; done
    fail "timed out after waiting for: $what"
}

# --- 1. routes --------------------------------------------------------------------------------------
head_of() { curl -s -o "$WORK/body" -D - "$1" | tr -d '\r'; }
h=$(head_of "$BASE/wall/province-overview")
grep -q '^HTTP/1.1 200' <<<"$h" && grep -qi '^content-type: text/html; charset=utf-8' <<<"$h" || fail "/wall/province-overview: $h"
grep -q '/wall/assets/wall.js' "$WORK/body" || fail "the page does not load /wall/assets/wall.js"
h=$(head_of "$BASE/wall/assets/wall.js")
grep -q '^HTTP/1.1 200' <<<"$h" && grep -qi '^content-type: text/javascript' <<<"$h" && grep -qi '^cache-control: public, max-age=' <<<"$h" || fail "/wall/assets/wall.js: $h"
h=$(head_of "$BASE/wall/assets/wall.css")
grep -qi '^content-type: text/css' <<<"$h" || fail "/wall/assets/wall.css: $h"
h=$(head_of "$BASE/wall/no-such-wall")
grep -q '^HTTP/1.1 404' <<<"$h" && grep -qi '^content-type: text/html' <<<"$h" && grep -q 'flood-watch' "$WORK/body" || fail "an unknown layout should be a 404 page listing the layouts: $h $(cat "$WORK/body")"
for bad in '..%2Fflood-watch.json' '..%2F..%2FPackage.swift' '.hidden.js' 'wall.sh' '%2Fetc%2Fpasswd' 'wall.js%00.css'; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/wall/assets/$bad")
    [[ "$code" == 404 ]] || fail "/wall/assets/$bad answered $code, expected 404"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$BASE/wall/assets/../../Package.swift")
[[ "$code" == 404 ]] || fail "/wall/assets/../../Package.swift answered $code, expected 404"
for path in api/v1/latest api/v1/dashboards/province-overview api/v1/live; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/$path")
    [[ "$code" == 401 ]] || fail "/$path without a token answered $code, expected 401"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$BASE/api/v1/rules")
[[ "$code" == 403 ]] || fail "a display token reading /api/v1/rules answered $code, expected 403"
ok "routes: page and assets with their content types and Cache-Control; unknown layout 404 with the list; no traversal; the data needs a token (401), a display token reads only the wall's data (403)"

# --- the browser ------------------------------------------------------------------------------------
# browse URL NAME: the DOM after 20 s of virtual time in $WORK/NAME.html, a screenshot in $WORK/NAME.png.
browse() {
    local url=$1 name=$2 mode
    for mode in dump-dom screenshot; do
        local profile
        profile=$(mktemp -d "$WORK/profile.XXXXXX")
        local args=(--headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
            --disable-background-networking --user-data-dir="$profile" --window-size=1920,1080 --virtual-time-budget=20000)
        if [[ $mode == dump-dom ]]; then
            timeout 120 chromium "${args[@]}" --dump-dom "$url" >"$WORK/$name.html" 2>>"$WORK/chromium.log" || fail "chromium could not load $url"
        else
            timeout 120 chromium "${args[@]}" --screenshot="$WORK/$name.png" "$url" >>"$WORK/chromium.log" 2>&1 || fail "chromium could not screenshot $url"
        fi
        rm -rf "$profile"
    done
}
check() { # NAME LAYOUT [wall_check.py options]
    local name=$1 layout=$2
    shift 2
    python3 "$REPO/scripts/e2e/wall_check.py" "$WORK/$name.html" --registry deploy/sample/registry.json --layout "dashboards/$layout.json" "$@"
}

# --- 2. no data: the check must fail ------------------------------------------------------------------
browse "$BASE/wall/province-overview?token=$DISPLAY_TOKEN" no-data
if check no-data province-overview --min-values 5 >"$WORK/no-data-check.log" 2>&1; then
    cat "$WORK/no-data-check.log"
    fail "the browser check passed while no data was flowing: it cannot tell a dead wall from a live one"
fi
grep -q 'NOT OK: live values' "$WORK/no-data-check.log" && grep -q 'NOT OK: data age' "$WORK/no-data-check.log" ||
    fail "with no data, the check failed for another reason than missing live data: $(cat "$WORK/no-data-check.log")"
sed 's/^/    /' "$WORK/no-data-check.log"
ok "with no data flowing the page says so and the browser check fails (as it must)"

# --- 3. live data ---------------------------------------------------------------------------------------
"$IOC_BIN" simulate --registry deploy/sample/registry.json --credentials "$IOC_TEST_MQTT_CREDENTIALS" \
    --mqtt-url "mqtt://127.0.0.1:$IOC_TEST_MQTT_PORT" --rate 100 --client-prefix "e2e-wall-$RUN" >>"$WORK/simulate.log" 2>&1 &
SIM_PID=$!
# Measured sensors only: derived ones (daily AQI, …) get values on their own schedule.
curl -sf "${AUTH[@]}" "$BASE/api/v1/sensors" | python3 -c 'import json,sys; print(" ".join(str(s["id"]) for s in json.load(sys.stdin)["sensors"] if not s["derived"]))' >"$WORK/measured"
sensors=$(wc -w <"$WORK/measured")
measured_with_values() {
    curl -sf "${AUTH[@]}" "$BASE/api/v1/latest" | python3 -c 'import json,sys; m=set(open(sys.argv[1]).read().split()); print(sum(1 for v in json.load(sys.stdin)["values"] if str(v["sensor"]) in m))' "$WORK/measured"
}
latest_count() { curl -sf "${AUTH[@]}" "$BASE/api/v1/latest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
every_measured_has_a_value() { [[ $(measured_with_values) -ge $sensors ]]; }
wait_for 90 "a latest value for every one of the $sensors measured sensors" every_measured_has_a_value
echo "simulator running: $(latest_count) latest values"

# With a live feed on the server the default page must use it; without one it falls back to polling.
live_code=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$BASE/api/v1/live")
if [[ "$live_code" == 426 ]]; then CONN=live; else CONN=polling; fi
echo "GET /api/v1/live without upgrade: $live_code, so the default page must be: $CONN"

browse "$BASE/wall/province-overview?token=$DISPLAY_TOKEN" province-overview
check province-overview province-overview --min-values 20 --min-stations 20 --connection "$CONN" || fail "/wall/province-overview does not show live data"
ok "/wall/province-overview shows stations, live values, clock, fresh data age, alert list ($CONN)"

browse "$BASE/wall/flood-watch?live=off&token=$DISPLAY_TOKEN" flood-watch
check flood-watch flood-watch --min-values 4 --min-stations 4 --connection polling || fail "/wall/flood-watch?live=off does not show live data"
ok "/wall/flood-watch?live=off (REST polling only) shows stations, live values, clock, fresh data age, alert list"

browse "$BASE/wall/province-overview?lang=en&token=$DISPLAY_TOKEN" province-overview-en
check province-overview-en province-overview --lang en --min-values 20 --connection "$CONN" || fail "/wall/province-overview?lang=en"
ok "/wall/province-overview?lang=en shows the English page"

for name in province-overview flood-watch province-overview-en; do
    cp "$WORK/$name.png" "$ARTIFACTS/wall-$name.png"
done
echo "screenshots: $WORK/province-overview.png $WORK/flood-watch.png $WORK/province-overview-en.png"
echo "kept as test artifacts: $ARTIFACTS/wall-province-overview.png $ARTIFACTS/wall-flood-watch.png $ARTIFACTS/wall-province-overview-en.png"

kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=""
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "ioc serve did not stop cleanly"
SERVE_PID=""
