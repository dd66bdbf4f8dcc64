#!/usr/bin/env bash
# Dashboard API and live-feed benchmarks, each beside a baseline measured in the same run:
#   latest   GET /api/v1/latest (10,000 sensors in one call) with wrk, p50/p99;
#            baseline: PostgreSQL alone running the same query (pgbench, same concurrency)
#   history  GET /api/v1/history of one random sensor, 30 days at 1 h steps, over a readings table
#            of 100 million rows, with wrk; baseline: pgbench running the rollup query
#   live     1,000 WebSocket clients of /api/v1/live while the simulator publishes 10,000
#            readings/s through Mosquitto: delivery age p50/p99 at probe clients, and ingest with
#            and without the clients (ioc bench live)
#
#   latest-load  GET /api/v1/latest at 1 connection while 10,000 readings/s are ingested
#
#   scripts/bench-api.sh                       # all of them
#   BENCH_ONLY="latest history" scripts/bench-api.sh
#
# The dataset (10,000 sensors, 100 million readings over 30 days, their hourly rollups) is made
# once in BENCH_API_DIR (default .data/bench-api, git-ignored; about 12 GB) and reused.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"
cd "$REPO"

DIR="${BENCH_API_DIR:-$REPO/.data/bench-api}"
ROWS=${BENCH_API_ROWS:-100000000}
SENSORS=10000
DURATION=${BENCH_API_SECONDS:-20}
OUT="$REPO/bench-out"
mkdir -p "$DIR" "$OUT"
wanted() { [[ -z "${BENCH_ONLY:-}" || " $BENCH_ONLY " == *" $1 "* ]]; }
say() { printf 'bench-api: %s\n' "$*" >&2; }

ioc_ensure_packages
say "building (release)"
swift build -c release --product ioc 2>&1 | tail -n 1
IOC="$(swift build -c release --show-bin-path)/ioc"

GATEWAYS=()
for i in $(seq -w 1 25); do GATEWAYS+=("GW-B$i"); done
SERVE_PID="" SIM_PID=""
cleanup() {
    for pid in "$SIM_PID" "$SERVE_PID"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ioc_mqtt_stop "$DIR/mqtt" || true
    ioc_pg_stop "$DIR/pg" || true
}
trap cleanup EXIT

if [[ -f "$DIR/pg/port" ]]; then ioc_pg_start "$DIR/pg"; else ioc_pg_start "$DIR/pg" "$(ioc_free_port)"; fi
ioc_mqtt_start "$DIR/mqtt" "$(ioc_free_port)" "${GATEWAYS[@]}"
DB=$IOC_PG_URL
sql() { psql -X -qAt "$DB" -c "$1"; }

# --- the dataset, once ---------------------------------------------------------------------------------
if [[ ! -f "$DIR/generated-$ROWS" ]]; then
    say "generating: registry of $SENSORS sensors, $ROWS readings over 30 days, hourly rollups (once; tens of minutes)"
    /usr/bin/python3 - "$DIR/registry.json" "${GATEWAYS[@]}" <<'PY'
import json, sys
path, gateways = sys.argv[1], sys.argv[2:]
units = [{"code": "BP", "name": "Tỉnh Bình Phước thử", "level": "province", "parent": None}]
units += [{"code": f"BP-D{d:02}", "name": f"Huyện {d}", "level": "district", "parent": "BP"} for d in range(1, 11)]
metrics = [("water_level", "m", -5, 30), ("rain", "mm", 0, 500), ("pm2_5", "µg/m³", 0, 1000), ("temperature", "°C", -10, 60)]
stations = []
for i in range(2500):
    stations.append({"code": f"BP-S{i:04}", "name": f"Trạm {i}", "unit": f"BP-D{i % 10 + 1:02}",
                     "domain": ["hydrology", "rain", "air", "weather"][i % 4], "gateway": gateways[i % len(gateways)],
                     "lat": 11.2 + (i % 50) * 0.02, "lon": 106.5 + (i // 50) * 0.02,
                     "attributes": {"alarm_levels": {"I": 10, "II": 12, "III": 14}},
                     "sensors": [{"metric": m, "unit": u, "min": lo, "max": hi} for m, u, lo, hi in metrics]})
json.dump({"units": units, "gateways": [{"code": g, "name": g, "unit": "BP"} for g in gateways], "stations": stations},
          open(path, "w"), ensure_ascii=False)
PY
    psql -X -qAt "$DB" -c "DROP DATABASE IF EXISTS bench_api WITH (FORCE)" -c "CREATE DATABASE bench_api" >/dev/null
    DB="${IOC_PG_URL%/*}/bench_api"
    "$IOC" migrate --database-url "$DB" >/dev/null
    "$IOC" import --database-url "$DB" "$DIR/registry.json" >/dev/null
    per_sensor=$((ROWS / SENSORS))
    step=$(/usr/bin/python3 -c "print(30 * 86400 / $per_sensor)")
    start=$(date -u +%s)
    psql -X -q "$DB" <<SQL
SET synchronous_commit = off;
SELECT ensure_readings_partitions((now() - interval '31 days')::date, (now() + interval '2 days')::date);
-- Sensor by sensor, each in time order (a nested loop, no sort): each partition's primary key
-- grows at its right edge.
INSERT INTO readings (sensor_id, ts, value)
SELECT s.id, date_trunc('second', now()) - interval '30 days' + (g.n * interval '$step seconds'),
       10 + 3 * sin(g.n / 40.0 + s.id) + random()
FROM (SELECT id FROM sensors ORDER BY id) AS s, LATERAL generate_series(0, $per_sensor - 1) AS g(n);
INSERT INTO readings_1h (sensor_id, bucket, min, max, sum, count)
SELECT sensor_id, date_trunc('hour', ts), min(value), max(value), sum(value), count(*) FROM readings GROUP BY 1, 2;
INSERT INTO latest_values (sensor_id, ts, value)
SELECT DISTINCT ON (sensor_id) sensor_id, ts, value FROM readings WHERE ts > now() - interval '1 day' ORDER BY sensor_id, ts DESC
ON CONFLICT (sensor_id) DO UPDATE SET ts = excluded.ts, value = excluded.value;
VACUUM ANALYZE;
SQL
    say "generated in $(($(date -u +%s) - start)) s: $(psql -X -qAt "$DB" -c "SELECT count(*) FROM readings") readings"
    touch "$DIR/generated-$ROWS"
fi
DB="${IOC_PG_URL%/*}/bench_api"

{
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
    echo "dataset: $(psql -X -qAt "$DB" -c "SELECT count(*) FROM sensors") sensors, $(psql -X -qAt "$DB" -c "SELECT count(*) FROM readings") readings, $(psql -X -qAt "$DB" -c "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'readings'::regclass") on disk"
} | tee "$OUT/api-machine.txt"

HTTP_PORT=$(ioc_free_port)
BASE="http://127.0.0.1:$HTTP_PORT"
# The per-token rate limit is off: this measures how fast the API answers, not the limiter.
IOC_DATABASE_URL="$DB" IOC_MQTT_URL="$IOC_MQTT_URL" IOC_HTTP_PORT="$HTTP_PORT" IOC_LOG_LEVEL=warning \
    IOC_HTTP_RATE_LIMIT=0 IOC_MQTT_CLIENT_ID="ioc-bench-api" "$IOC" serve >>"$OUT/api-serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 600); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/readyz" >/dev/null || { say "ioc serve not ready; see $OUT/api-serve.log"; exit 1; }
# The API answers tokens only; a viewer's reads everything measured here (/metrics is open by default).
TOKEN=$("$IOC" token create --database-url "$DB" --name "bench-$$-$RANDOM" --role viewer 2>/dev/null) || { say "ioc token create failed"; exit 1; }
AUTH=(-H "Authorization: Bearer $TOKEN")

# p50 and p99 (ms) of wrk --latency output
wrk_p() { awk -v q="$2" '$1 == q { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }' "$1"; }
# pgbench with per-transaction logs: requests/s, p50 and p99 in ms
pg_p() { # SCRIPT CLIENTS NAME
    local logdir="$OUT/pgbench-$3"
    rm -rf "$logdir"; mkdir -p "$logdir"
    (cd "$logdir" && pgbench -n -f "$1" -c "$2" -j 2 -T "$DURATION" -l "$DB" >summary.txt 2>&1)
    cat "$logdir"/pgbench_log.* | awk '{print $3 / 1000}' | sort -n | awk '{a[NR] = $1} END {printf "%d %.2f %.2f\n", NR / '"$DURATION"', a[int(NR * 0.5)], a[int(NR * 0.99)]}'
}

for CONC in ${BENCH_API_CONNECTIONS:-1 8}; do
if wanted latest; then
    say "latest: GET /api/v1/latest ($SENSORS sensors), $CONC connections, ${DURATION}s"
    bytes=$(curl -sf "${AUTH[@]}" "$BASE/api/v1/latest" | wc -c)
    count=$(curl -sf "${AUTH[@]}" "$BASE/api/v1/latest" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
    wrk -t"$(( CONC < 2 ? 1 : 2 ))" -c"$CONC" -d"${DURATION}s" --latency "${AUTH[@]}" "$BASE/api/v1/latest" >"$OUT/wrk-latest.txt"
    rps=$(awk '/Requests\/sec/ {print int($2)}' "$OUT/wrk-latest.txt")
    cat >"$OUT/latest.sql" <<'SQL'
SELECT se.id, s.id, s.code, se.metric, se.unit, lv.ts, lv.value
FROM latest_values lv JOIN sensors se ON se.id = lv.sensor_id JOIN stations s ON s.id = se.station_id
ORDER BY s.code COLLATE "C", se.metric COLLATE "C";
SQL
    read -r brps bp50 bp99 < <(pg_p "$OUT/latest.sql" "$CONC" latest)
    printf 'latest, %s connection(s): %s values (%s bytes) per response: %s req/s, p50 %s ms, p99 %s ms | PostgreSQL alone (same query, pgbench): %s q/s, p50 %s ms, p99 %s ms\n' \
        "$CONC" "$count" "$bytes" "$rps" "$(wrk_p "$OUT/wrk-latest.txt" 50%)" "$(wrk_p "$OUT/wrk-latest.txt" 99%)" "$brps" "$bp50" "$bp99" | tee "$OUT/latest-c$CONC.txt"
fi

if wanted history; then
    from=$(date -u -d '-30 days' +%FT%TZ)
    to=$(date -u +%FT%TZ)
    low=$(sql "SELECT min(id) FROM sensors") high=$(sql "SELECT max(id) FROM sensors")
    say "history: one random sensor of $low..$high, $from → $to at 1 h, $CONC connections, ${DURATION}s"
    points=$(curl -sf "${AUTH[@]}" "$BASE/api/v1/history?sensor=$low&from=$from&to=$to&step=1h" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["series"][0]["points"]))')
    cat >"$OUT/history.lua" <<LUA
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/history?sensor=" .. math.random($low, $high) .. "&from=$from&to=$to&step=1h")
end
LUA
    wrk -t"$(( CONC < 2 ? 1 : 2 ))" -c"$CONC" -d"${DURATION}s" --latency "${AUTH[@]}" -s "$OUT/history.lua" "$BASE" >"$OUT/wrk-history.txt"
    rps=$(awk '/Requests\/sec/ {print int($2)}' "$OUT/wrk-history.txt")
    errors=$(awk '/Non-2xx/ {print $NF}' "$OUT/wrk-history.txt")
    cat >"$OUT/history.sql" <<SQL
\\set id random($low, $high)
SELECT bucket, min, max, sum, count FROM readings_1h
WHERE sensor_id = :id AND bucket >= '$from' AND bucket < date_trunc('hour', now()) ORDER BY bucket;
SELECT date_trunc('hour', ts), min(value), max(value), sum(value), count(*) FROM readings
WHERE sensor_id = :id AND ts >= date_trunc('hour', now()) AND ts < '$to' GROUP BY 1 ORDER BY 1;
SQL
    read -r brps bp50 bp99 < <(pg_p "$OUT/history.sql" "$CONC" history)
    printf 'history, %s connection(s): %s points per response (30 days at 1 h): %s req/s, p50 %s ms, p99 %s ms%s | PostgreSQL alone (rollup + raw tail, pgbench): %s q/s, p50 %s ms, p99 %s ms\n' \
        "$CONC" "$points" "$rps" "$(wrk_p "$OUT/wrk-history.txt" 50%)" "$(wrk_p "$OUT/wrk-history.txt" 99%)" "${errors:+, $errors non-2xx}" "$brps" "$bp50" "$bp99" | tee "$OUT/history-c$CONC.txt"
fi
done

if wanted latest-load; then
    # The same call while 10,000 readings/s are ingested: the cached answer is re-encoded after
    # every flush that changed a value (4 times a second).
    say "latest-load: GET /api/v1/latest, 1 connection, while the simulator publishes ${BENCH_LIVE_RATE:-10000} readings/s"
    "$IOC" simulate --registry "$DIR/registry.json" --credentials "$DIR/mqtt/credentials.json" --mqtt-url "mqtt://127.0.0.1:$(cat "$DIR/mqtt/port")" \
        --rate "${BENCH_LIVE_RATE:-10000}" --format packs --client-prefix bench-latest- </dev/null >>"$OUT/api-simulate.log" 2>&1 &
    SIM_PID=$!
    sleep 8
    wrk -t1 -c1 -d"${DURATION}s" --latency "${AUTH[@]}" "$BASE/api/v1/latest" >"$OUT/wrk-latest-load.txt"
    stored=$(curl -sf "$BASE/metrics" | awk '$1 == "ioc_writer_readings_stored_total" {print int($2)}')
    kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=""
    printf 'latest under %s readings/s of ingest, 1 connection: %s req/s, p50 %s ms, p99 %s ms (%s readings stored so far)\n' "${BENCH_LIVE_RATE:-10000}" \
        "$(awk '/Requests\/sec/ {print int($2)}' "$OUT/wrk-latest-load.txt")" "$(wrk_p "$OUT/wrk-latest-load.txt" 50%)" "$(wrk_p "$OUT/wrk-latest-load.txt" 99%)" "$stored" | tee "$OUT/latest-load.txt"
fi

if wanted live; then
    say "live: ${BENCH_LIVE_CLIENTS:-1000} WebSocket clients while the simulator publishes ${BENCH_LIVE_RATE:-10000} readings/s"
    "$IOC" bench live --url "ws://127.0.0.1:$HTTP_PORT/api/v1/live" --metrics-url "$BASE/metrics" --token "$TOKEN" \
        --clients "${BENCH_LIVE_CLIENTS:-1000}" --seconds "${BENCH_LIVE_SECONDS:-30}" \
        --simulate "$IOC simulate --registry $DIR/registry.json --credentials $DIR/mqtt/credentials.json --mqtt-url mqtt://127.0.0.1:$(cat "$DIR/mqtt/port") --rate ${BENCH_LIVE_RATE:-10000} --format packs --client-prefix bench-live-" \
        | tee "$OUT/live.txt"
fi
