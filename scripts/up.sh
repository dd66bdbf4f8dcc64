#!/usr/bin/env bash
# The run command: brings up the whole IOC on this machine and stays in the foreground.
#
#   scripts/up.sh          Ctrl-C stops everything; scripts/down.sh stops leftovers
#
# 1. installs missing Debian packages (PostgreSQL, Mosquitto, ...)
# 2. swift build -c release
# 3. PostgreSQL (port 5433, or a free one) and Mosquitto (port 1883, or a free one, accounts in its
#    dynamic-security plugin) with state in .data/ of this checkout
# 4. ioc migrate; ioc import deploy/sample/registry.json; ioc import-rules deploy/sample/rules.json;
#    ioc import-paging deploy/sample/paging.json (contacts, rota, escalation policies); a broker
#    account for every gateway of the registry (ioc gateway add, or rotate when its password is
#    not in .data/mqtt/credentials.json), passwords kept in .data/mqtt/credentials.json
# 5. ioc serve in the background (log: .data/logs/ioc.log), waits for /readyz
# 6. ioc simulate in the background (log: .data/logs/simulate.log): a believable province, plus any
#    named scenarios of IOC_SIM_SCENARIOS
# Running it again reuses .data/ (same database, passwords, broker queue, data key). .data/env holds
# the environment for running other ioc commands by hand (source .data/env), with IOC_DATA_KEY,
# generated on the first run: the key of contacts' personal data.
#
# Environment: IOC_HTTP_PORT (default 8080, or a free port), IOC_UP_PG_PORT, IOC_UP_MQTT_PORT
# (fixed ports), IOC_REGISTRY (default deploy/sample/registry.json), IOC_SIM_RATE (default 200
# readings/s), IOC_SIM_BACKGROUND (realistic, steady or off; default realistic), IOC_SIM_SCENARIOS
# (comma-separated scenario names, e.g. "flood-crest,rush-hour-jam"; `ioc simulate --list-scenarios`
# lists them), IOC_SIM_TIME_SCALE (play the scenarios this many times faster; default 1),
# IOC_BIN (an ioc executable to use instead of building one).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"

DATA=$REPO/.data
REGISTRY=${IOC_REGISTRY:-$REPO/deploy/sample/registry.json}
RATE=${IOC_SIM_RATE:-200}
SIM_ARGS=(--rate "$RATE" --background "${IOC_SIM_BACKGROUND:-realistic}")
if [[ -n "${IOC_SIM_SCENARIOS:-}" ]]; then
    IFS=', ' read -ra _scenarios <<<"$IOC_SIM_SCENARIOS"
    for _name in "${_scenarios[@]}"; do [[ -z "$_name" ]] || SIM_ARGS+=(--scenario "$_name"); done
    SIM_ARGS+=(--time-scale "${IOC_SIM_TIME_SCALE:-1}")
fi
SERVE_PID=
SIM_PID=
STARTED=

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'up.sh: %s\n' "$*" >&2; exit 1; }

mkdir -p "$DATA/logs" "$DATA/run"

# One up.sh per checkout.
if old=$(cat "$DATA/run/up.pid" 2>/dev/null) && [[ "$old" != "$$" ]] && _ioc_pid_alive "$old" &&
    tr '\0' ' ' <"/proc/$old/cmdline" 2>/dev/null | grep -q 'up\.sh'; then
    die "already running (pid $old). Stop it with Ctrl-C in its terminal, or scripts/down.sh"
fi
echo "$$" >"$DATA/run/up.pid"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [[ -n "$STARTED" ]]; then
        say "stopping"
    fi
    # Reverse order of start: the simulator, the IOC (its writer flushes), the broker, the database.
    ioc_stop_pid_file "$DATA/run/simulate.pid" 15 ioc
    ioc_stop_pid_file "$DATA/run/serve.pid" 60 ioc
    ioc_mqtt_stop "$DATA/mqtt"
    ioc_pg_stop "$DATA/pg"
    rm -f "$DATA/run/up.pid"
    [[ -z "$STARTED" ]] || echo "stopped; state kept in .data/ (scripts/up.sh starts it again)"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Leftovers of an earlier run that ended without cleaning up.
ioc_stop_pid_file "$DATA/run/simulate.pid" 15 ioc
ioc_stop_pid_file "$DATA/run/serve.pid" 60 ioc

# PORT for a service of DIR: an explicit one; else the one DIR used last time, if it is still
# ours or free; else DEFAULT if free; else any free port.
choose_port() { # DIR DEFAULT EXPLICIT RUNNING_FUNCTION
    local dir=$1 default=$2 explicit=$3 running=$4 stored
    if [[ -n "$explicit" ]]; then
        echo "$explicit"
        return
    fi
    stored=$(cat "$dir/port" 2>/dev/null || true)
    if [[ -n "$stored" ]] && { "$running" "$dir" || ioc_port_is_free "$stored"; }; then
        echo "$stored"
    elif ioc_port_is_free "$default"; then
        echo "$default"
    else
        ioc_free_port
    fi
}

say "1/6 packages"
ioc_ensure_packages
echo "ok"

say "2/6 build"
if [[ -n "${IOC_BIN:-}" ]]; then
    BIN=$IOC_BIN
    echo "IOC_BIN=$BIN: not building"
else
    command -v swift >/dev/null ||
        die "swift not found: install a Swift toolchain (https://www.swift.org/install/linux/) and put it on PATH"
    swift build -c release </dev/null
    BIN="$(swift build -c release --show-bin-path </dev/null | tail -n 1)/ioc"
fi
[[ -x "$BIN" ]] || die "no executable at $BIN"
# A bad scenario name or option stops here, before anything starts, with the valid names.
if [[ -n "${IOC_SIM_SCENARIOS:-}" ]]; then
    "$BIN" simulate --registry "$REGISTRY" --list-scenarios "${SIM_ARGS[@]}" </dev/null >/dev/null ||
        die "IOC_SIM_SCENARIOS / IOC_SIM_TIME_SCALE / IOC_SIM_BACKGROUND: see the error above"
fi

say "3/6 PostgreSQL and Mosquitto (state in .data/)"
[[ -r "$REGISTRY" ]] || die "no registry at $REGISTRY"
ioc_pg_start "$DATA/pg" "$(choose_port "$DATA/pg" 5433 "${IOC_UP_PG_PORT:-}" ioc_pg_running)"
echo "PostgreSQL on 127.0.0.1:$IOC_PG_PORT"
ioc_mqtt_start "$DATA/mqtt" "$(choose_port "$DATA/mqtt" 1883 "${IOC_UP_MQTT_PORT:-}" ioc_mqtt_running)"
echo "Mosquitto on 127.0.0.1:$IOC_MQTT_PORT"
STARTED=1

if [[ -z "${IOC_HTTP_PORT:-}" ]]; then
    if ioc_port_is_free 8080; then IOC_HTTP_PORT=8080; else IOC_HTTP_PORT=$(ioc_free_port); fi
fi
export IOC_DATABASE_URL=$IOC_PG_URL
export IOC_MQTT_URL
export IOC_HTTP_PORT
# The key of contacts' personal data (README, Security): made once, then kept in .data/env. Without
# it the contacts in .data/pg cannot be read: back it up with the database.
if [[ -z "${IOC_DATA_KEY:-}" && -r "$DATA/env" ]]; then
    IOC_DATA_KEY=$(sed -n "s/^IOC_DATA_KEY='\(.*\)'\$/\1/p" "$DATA/env")
fi
if [[ -z "${IOC_DATA_KEY:-}" ]]; then
    IOC_DATA_KEY=$(head -c 32 /dev/urandom | base64)
    echo "generated IOC_DATA_KEY (kept in .data/env: back it up with the database)"
fi
export IOC_DATA_KEY
(
    umask 077
    cat >"$DATA/env" <<EOF
# Written by scripts/up.sh. For running ioc commands by hand: source .data/env
IOC_DATABASE_URL='$IOC_DATABASE_URL'
IOC_MQTT_URL='$IOC_MQTT_URL'
IOC_HTTP_PORT=$IOC_HTTP_PORT
IOC_MQTT_CREDENTIALS='$DATA/mqtt/credentials.json'
IOC_DATA_KEY='$IOC_DATA_KEY'
export IOC_DATABASE_URL IOC_MQTT_URL IOC_HTTP_PORT IOC_MQTT_CREDENTIALS IOC_DATA_KEY
EOF
)

say "4/6 migrate and import ${REGISTRY#"$REPO"/}"
"$BIN" migrate </dev/null
"$BIN" import "$REGISTRY" </dev/null
"$BIN" import-rules "$REPO/deploy/sample/rules.json" </dev/null
"$BIN" import-paging "$REPO/deploy/sample/paging.json" </dev/null
# Broker accounts of the registry's gateways, the way an administrator makes them: a gateway
# without one is added; one whose password credentials.json lacks gets a new password; the rest
# keep theirs. The simulator then publishes as each gateway with these passwords.
(umask 077 && python3 - "$BIN" "$REGISTRY" "$DATA/mqtt/credentials.json" <<'EOF'
import json, os, subprocess, sys
binary, registry, path = sys.argv[1:4]
with open(path, encoding="utf-8") as f:
    credentials = json.load(f)
def ioc(*args):
    out = subprocess.run([binary, "gateway", *args, "--json"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, check=True)
    return json.loads(out.stdout)
accounts = {g["code"]: g["broker_account"] for g in ioc("list")["gateways"]}
if any(state == "unknown" for state in accounts.values()):
    sys.exit("up.sh: the broker does not answer ioc gateway list (see the warning above)")
added = rotated = kept = 0
for gateway in json.load(open(registry, encoding="utf-8"))["gateways"]:
    code = gateway["code"]
    if accounts.get(code, "missing") == "missing":
        if not gateway.get("unit"):
            sys.exit(f"up.sh: gateway {code} of {registry} has no unit")
        credentials[code] = ioc("add", code, "--unit", gateway["unit"])["password"]
        added += 1
    elif code not in credentials:
        credentials[code] = ioc("rotate", code)["password"]
        rotated += 1
    else:
        kept += 1
with open(path + ".tmp", "w", encoding="utf-8") as f:
    json.dump(credentials, f, indent=2)
    f.write("\n")
os.replace(path + ".tmp", path)
print(f"gateway accounts: {added} added, {rotated} given a new password, {kept} kept")
EOF
) || die "could not provision the gateways' broker accounts"

say "5/6 ioc serve (log: .data/logs/ioc.log)"
base=http://127.0.0.1:$IOC_HTTP_PORT
ioc_port_is_free "$IOC_HTTP_PORT" || die "port $IOC_HTTP_PORT is in use (set IOC_HTTP_PORT)"
"$BIN" serve </dev/null >>"$DATA/logs/ioc.log" 2>&1 &
SERVE_PID=$!
echo "$SERVE_PID" >"$DATA/run/serve.pid"
deadline=$((SECONDS + ${IOC_UP_READY_TIMEOUT:-180}))
until curl -fsS -o /dev/null --max-time 2 "$base/readyz" 2>/dev/null; do
    if ! _ioc_pid_alive "$SERVE_PID"; then
        tail -n 30 "$DATA/logs/ioc.log" >&2
        die "ioc serve exited (log above: .data/logs/ioc.log)"
    fi
    ((SECONDS < deadline)) || die "ioc serve not ready after ${IOC_UP_READY_TIMEOUT:-180}s ($base/readyz); see .data/logs/ioc.log"
    sleep 0.5
done
echo "ready"

# The API answers tokens only: a first admin token, and a display token for the wall screens. Kept
# in .data/tokens.env (mode 600; a token is shown once, so this is its only copy) and reused while valid.
TOKENS="$DATA/tokens.env"
token_works() { [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "$base/api/v1/$2")" == 200 ]]; }
IOC_ADMIN_TOKEN= IOC_WALL_TOKEN=
# shellcheck disable=SC1090
[[ -r "$TOKENS" ]] && source "$TOKENS"
stamp=$(date +%Y%m%d-%H%M%S)
if [[ -z "$IOC_ADMIN_TOKEN" ]] || ! token_works "$IOC_ADMIN_TOKEN" tokens; then
    IOC_ADMIN_TOKEN=$("$BIN" token create --name "admin-$stamp" --role admin </dev/null) || die "ioc token create failed"
fi
if [[ -z "$IOC_WALL_TOKEN" ]] || ! token_works "$IOC_WALL_TOKEN" dashboards; then
    IOC_WALL_TOKEN=$("$BIN" token create --name "wall-$stamp" --role display </dev/null) || die "ioc token create failed"
fi
(
    umask 077
    printf "# Written by scripts/up.sh: API tokens (admin, and display for the walls)\nIOC_ADMIN_TOKEN='%s'\nIOC_WALL_TOKEN='%s'\nexport IOC_ADMIN_TOKEN IOC_WALL_TOKEN\n" \
        "$IOC_ADMIN_TOKEN" "$IOC_WALL_TOKEN" >"$TOKENS"
)

say "6/6 ioc simulate, $RATE readings/s${IOC_SIM_SCENARIOS:+, scenarios $IOC_SIM_SCENARIOS} (log: .data/logs/simulate.log)"
"$BIN" simulate --registry "$REGISTRY" --credentials "$DATA/mqtt/credentials.json" \
    --mqtt-url "mqtt://127.0.0.1:$IOC_MQTT_PORT" "${SIM_ARGS[@]}" </dev/null >>"$DATA/logs/simulate.log" 2>&1 &
SIM_PID=$!
echo "$SIM_PID" >"$DATA/run/simulate.pid"

cat <<EOF

IOC is running. Ctrl-C stops everything.

  wall display   $base/wall/province-overview?token=$IOC_WALL_TOKEN
                 (also flood-watch, air-quality, traffic; &lang=en; the page keeps the token)
  API            curl -H "Authorization: Bearer \$IOC_ADMIN_TOKEN" $base/api/v1/summary   (source .data/tokens.env)
  health         $base/healthz   (ready: $base/readyz)
  metrics        $base/metrics
  PostgreSQL     127.0.0.1:$IOC_PG_PORT, database ioc   (source .data/env; psql "\$IOC_DATABASE_URL")
  MQTT           127.0.0.1:$IOC_MQTT_PORT   (passwords: .data/mqtt/credentials.json)
  logs           .data/logs/ioc.log  .data/logs/simulate.log  .data/pg/postgresql.log  .data/mqtt/mosquitto.log
EOF

while true; do
    if ! _ioc_pid_alive "$SERVE_PID"; then
        tail -n 30 "$DATA/logs/ioc.log" >&2
        die "ioc serve exited (log above: .data/logs/ioc.log)"
    fi
    if [[ -n "$SIM_PID" ]] && ! _ioc_pid_alive "$SIM_PID"; then
        wait "$SIM_PID" && rc=0 || rc=$?
        printf '\nup.sh: ioc simulate exited with status %s (see .data/logs/simulate.log); ioc serve keeps running\n' "$rc" >&2
        SIM_PID=
        rm -f "$DATA/run/simulate.pid"
    fi
    sleep 1 &
    wait $! || true
done
