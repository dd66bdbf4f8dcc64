#!/usr/bin/env bash
# Ingest benchmark: broker, database and IOC all on this machine, each scenario with a fresh IOC.
#   scripts/bench.sh                 # all scenarios
#   BENCH_READINGS=200000 scripts/bench.sh
#   BENCH_ONLY="senml-max" scripts/bench.sh       # some scenarios only: senml-max raw-max senml-50k rules alerts
# Prints the figures recorded in BENCHMARKS.md; full output in bench-out/ (git-ignored).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"
cd "$REPO"

N=${BENCH_READINGS:-1000000}
NRAW=${BENCH_RAW_READINGS:-300000}
ioc_ensure_packages
echo "bench: building (release)"
swift build -c release --product ioc 2>&1 | tail -n 1
IOC="$(swift build -c release --show-bin-path)/ioc"

T=$(mktemp -d "${TMPDIR:-/tmp}/ioc-bench.XXXXXX")
chmod 755 "$T"
OUT="$REPO/bench-out"
mkdir -p "$OUT"
SERVE_PID=""
cleanup() {
    [[ -n "$SERVE_PID" ]] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
    ioc_mqtt_stop "$T/mqtt" || true
    ioc_pg_stop "$T/pg" || true
    rm -rf "$T"
}
trap cleanup EXIT

ioc_pg_start "$T/pg" "$(ioc_free_port)"
ioc_mqtt_start "$T/mqtt" "$(ioc_free_port)" GW-BENCH
DB=$IOC_PG_URL
# The alerts scenario's contact is stored sealed: the bench and the server share a throwaway key.
IOC_DATA_KEY=${IOC_DATA_KEY:-$(head -c 32 /dev/urandom | base64)}
export IOC_DATA_KEY
BENCH_PASSWORD=$(ioc_mqtt_password "$T/mqtt" GW-BENCH)
HTTP_PORT=$(ioc_free_port)
"$IOC" migrate --database-url "$DB" >/dev/null

{
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
    echo "versions: $(swift --version 2>&1 | head -n 1); $(postgres --version 2>/dev/null || "$(_ioc_pg_bindir)/postgres" --version); mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p' | head -n 1)"
} | tee "$OUT/machine.txt"

start_serve() {
    IOC_DATABASE_URL="$DB" IOC_MQTT_URL="$IOC_MQTT_URL" IOC_HTTP_PORT="$HTTP_PORT" IOC_LOG_LEVEL=warning \
        IOC_REGISTRY_REFRESH_SECONDS=1 IOC_MQTT_CLIENT_ID="ioc-bench-serve" "$IOC" serve >>"$OUT/serve.log" 2>&1 &
    SERVE_PID=$!
    for _ in $(seq 1 300); do
        curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null && return 0
        sleep 0.1
    done
    echo "bench: ioc serve did not become ready" >&2
    exit 1
}
stop_serve() { kill -TERM "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" || true; SERVE_PID=""; }

scenario() { # NAME ARGS...
    local name=$1
    shift
    [[ -z "${BENCH_ONLY:-}" || " $BENCH_ONLY " == *" $name "* ]] || return 0
    echo
    echo "== $name"
    start_serve
    "$IOC" bench ingest --database-url "$DB" --mqtt-url "mqtt://127.0.0.1:$IOC_MQTT_PORT" --password "$BENCH_PASSWORD" \
        --metrics-url "http://127.0.0.1:$HTTP_PORT/metrics" --ioc-pid "$SERVE_PID" --metrics-out "$OUT/$name.metrics" "$@" 2>&1 | tee "$OUT/$name.txt"
    stop_serve
}

scenario senml-max --format senml --pack 100 --readings "$N" --pre-encode
scenario raw-max --format raw --readings "$NRAW" --no-baseline --pre-encode
scenario senml-50k --format senml --pack 100 --readings "$N" --rate 50000 --no-baseline

wanted() { [[ -z "${BENCH_ONLY:-}" || " $BENCH_ONLY " == *" $1 "* ]]; }

# Rule evaluation on the pipeline alone: 10,000 rules, no broker, no database.
if wanted rules; then
    echo
    echo "== rules"
    "$IOC" bench rules --rules 10000 --sensors 2000 --readings 5000000 --shards 2 | tee "$OUT/rules.txt"
fi

# Reading published → webhook received, while 20,000 readings/s of other traffic flow.
if wanted alerts; then
    echo
    echo "== alerts (background: 20,000 readings/s)"
    start_serve
    "$IOC" bench ingest --database-url "$DB" --mqtt-url "mqtt://127.0.0.1:$IOC_MQTT_PORT" --password "$BENCH_PASSWORD" \
        --metrics-url "http://127.0.0.1:$HTTP_PORT/metrics" --format senml --pack 100 --readings 3000000 --rate 20000 --no-baseline \
        >"$OUT/alerts-background.txt" 2>&1 &
    BACKGROUND=$!
    sleep 10
    "$IOC" bench alerts --database-url "$DB" --mqtt-url "mqtt://127.0.0.1:$IOC_MQTT_PORT" --password "$BENCH_PASSWORD" \
        --probes 200 --interval-ms 500 2>&1 | tee "$OUT/alerts.txt"
    wait "$BACKGROUND" || echo "bench: the background traffic did not finish cleanly (see $OUT/alerts-background.txt)"
    grep -E "readings/s|stored" "$OUT/alerts-background.txt" | tail -n 3
    stop_serve
fi
