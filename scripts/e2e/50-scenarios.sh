#!/usr/bin/env bash
# The simulator's named scenarios end to end: `ioc simulate --scenario X --time-scale K` publishes
# through Mosquitto, `ioc serve` stores the readings in PostgreSQL, derives VN_AQI, rain risk,
# congestion …, and evaluates the shipped rules (deploy/sample/rules.json). Afterwards the alerts
# table must hold EXACTLY the alerts the scenarios declare (`ioc simulate --list-scenarios --json`,
# the single source of truth): each opened once, fired, reached the declared highest level and
# severity, and resolved by itself (condition normal) before the test ends. An expected alert
# that is missing, does not fire, stops at another level or stays open fails the test, and so
# does any other alert.
#
# Scenarios are grouped by their timeline, one phase each, each on a fresh database with its own
# `ioc serve` (IOC_RULE_TICK_MS=200, IOC_DERIVED_INTERVAL_MS=1000: derived values every second,
# since a second is minutes of scenario):
#   A. replay scenarios (flood-crest, pollution-episode, rush-hour-jam) together, background off,
#      K so that the longest takes about IOC_SCENARIO_REPLAY_SECONDS (150 s). Replayed readings
#      keep the scenario's pace in their timestamps and arrive up to hours after them, which is
#      what rule windows, rates, hourly VN_AQI and rain sums need. The no-data rules compare a
#      reading's time with the wall clock, so they would fire for every replayed station at once:
#      in this phase their after_seconds is raised to 2 days (they are tested in phase B). The
#      for_seconds of the shipped rules is left as it is: its timer also runs on the wall clock,
#      so with back-dated readings a pending alert fires at the next tick; the scenarios hold
#      their conditions far longer than for_seconds anyway, and every alert opened counts here,
#      fired or not.
#   B. live scenarios (frozen-rain-gauge), K so that the longest takes about
#      IOC_SCENARIO_LIVE_SECONDS (120 s), with the steady background (every other station reports
#      ordinary values, no dropouts or outages: with no background every silent station would
#      trip the no-data rules). Readings are stamped when sent, so the scenario's silences last
#      1/K of their scenario time: every wall-clock duration of the shipped rules (for_seconds and
#      no-data after_seconds) is divided by K to match. This phase also checks that an ordinary
#      day raises nothing across the whole registry.
# IOC_SCENARIO_PHASES="a" (or "b") runs one phase only.
set -euo pipefail

: "${IOC_TEST_DATABASE_URL:?run through scripts/test.sh}" "${IOC_BIN:?run through scripts/test.sh}"
REPO="${IOC_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"
cd "$REPO"

WORK="$IOC_TEST_DIR/scratch/scenarios"
rm -rf "$WORK"
mkdir -p "$WORK"
SERVE_PID="" SIM_PID=""
cleanup() {
    for pid in "$SIM_PID" "$SERVE_PID"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT
ok() { printf 'ok - %s\n' "$*"; }
fail() {
    printf 'FAIL - %s\n' "$*" >&2
    for f in "$WORK"/*.log; do [[ -f "$f" ]] && { echo "--- $f (tail)" >&2; tail -n 40 "$f" >&2; }; done
    exit 1
}

RUN="$$-$RANDOM"
REPLAY_SECONDS=${IOC_SCENARIO_REPLAY_SECONDS:-150}
LIVE_SECONDS=${IOC_SCENARIO_LIVE_SECONDS:-120}
STARTED=$SECONDS

"$IOC_BIN" simulate --list-scenarios --json >"$WORK/scenarios.json" || fail "ioc simulate --list-scenarios --json failed"
# An unknown name is refused with the list of valid ones.
if "$IOC_BIN" simulate --scenario no-such-scenario --background off >"$WORK/bad-name.out" 2>&1; then
    fail "ioc simulate accepted --scenario no-such-scenario"
fi
grep -q 'unknown scenario "no-such-scenario"; the scenarios are: flood-crest' "$WORK/bad-name.out" ||
    fail "a bad --scenario name should list the valid ones: $(cat "$WORK/bad-name.out")"

# scenarios.json → one phase per timeline: names, time scale, wall seconds.
phase_plan() { # TIMELINE TARGET_SECONDS -> "K name name ..." (empty when there is none)
    /usr/bin/python3 - "$WORK/scenarios.json" "$1" "$2" <<'PY'
import json, math, sys
listing, timeline, target = json.load(open(sys.argv[1])), sys.argv[2], float(sys.argv[3])
chosen = [s for s in listing["scenarios"] if s["timeline"] == timeline]
if chosen:
    k = max(1, math.ceil(max(s["duration_seconds"] for s in chosen) / target))
    print(k, *[s["name"] for s in chosen])
PY
}

# The shipped rules with the wall-clock durations of a phase (see the top of this file).
phase_rules() { # TIMELINE K OUT
    /usr/bin/python3 - "$REPO/deploy/sample/rules.json" "$1" "$2" "$3" <<'PY'
import json, sys
rules, timeline, k, out = json.load(open(sys.argv[1])), sys.argv[2], float(sys.argv[3]), sys.argv[4]
for rule in rules["rules"]:
    condition = rule["condition"]
    if timeline == "replay":
        if condition["kind"] == "no_data":
            condition["after_seconds"] = 2 * 86400
    else:
        if "for_seconds" in rule:
            rule["for_seconds"] = rule["for_seconds"] / k
        if condition["kind"] == "no_data":
            condition["after_seconds"] = condition["after_seconds"] / k
json.dump(rules, open(out, "w"), ensure_ascii=False, indent=1)
PY
}

start_serve() { # PHASE (DB_URL set)
    # shellcheck disable=SC2034 # read by ioc_e2e_serve
    HTTP_PORT=$(ioc_free_port)
    IOC_RULE_TICK_MS=200 IOC_DERIVED_INTERVAL_MS=1000 ioc_e2e_serve "$WORK/serve-$1.log" "ioc-e2e-scenarios-$RUN-$1" --log-level info ||
        fail "ioc serve did not start (phase $1)"
}

stop_serve() {
    kill -TERM "$SERVE_PID"
    wait "$SERVE_PID" || fail "ioc serve did not stop cleanly"
    SERVE_PID=""
}

# Every alert with the levels and severities it went through, as JSON.
alerts_json() { # DB_URL
    psql -X -qAt "$1" -c "
        SELECT coalesce(json_agg(json_build_object(
            'id', a.id, 'rule', a.rule_name, 'station', coalesce(a.station_code, a.subject_key), 'subject', a.subject,
            'state', a.state, 'fired', a.fired_at IS NOT NULL, 'resolution', a.resolution,
            'opened', a.opened_at, 'fired_at', a.fired_at, 'resolved', a.resolved_at,
            'reached', (SELECT coalesce(json_agg(json_build_object('level', e.level, 'severity', e.severity) ORDER BY e.id), '[]')
                        FROM alert_events e WHERE e.alert_id = a.id AND e.kind = 'transition' AND e.to_state <> 'resolved'))
            ORDER BY a.id), '[]') FROM alerts a"
}

# Compares the alerts with the declaration; prints what it found. Exit 0: exactly as declared;
# 1: something is wrong; 2: expected alerts are still missing or open (wait and ask again).
check_alerts() { # DB_URL NAMES...
    local db=$1
    shift
    alerts_json "$db" >"$WORK/alerts.json"
    /usr/bin/python3 - "$WORK/scenarios.json" "$WORK/alerts.json" "$REPO/deploy/sample/rules.json" "$@" <<'PY'
import json, sys
listing, alerts, rules = (json.load(open(p)) for p in sys.argv[1:4])
names = sys.argv[4:]
rank = {"info": 0, "warning": 1, "critical": 2}
order = {r["name"]: [l["name"] for l in r["condition"].get("levels", [])] for r in rules["rules"]}
def highest(alert):
    levels = order.get(alert["rule"], [])
    best = max(alert["reached"], key=lambda e: (rank.get(e["severity"], -1), levels.index(e["level"]) if e["level"] in levels else -1), default=None)
    return (best or {}).get("level"), (best or {}).get("severity")
expected = [(s["name"], e) for s in listing["scenarios"] if s["name"] in names for e in s["expected_alerts"]]
problems, waiting, matched = [], [], set()
for name, e in expected:
    mine = [a for a in alerts if a["rule"] == e["rule"] and a["station"] == e["station"]]
    what = f'{name}: {e["rule"]} · {e["station"]} · {e["level"] or "-"} · {e["severity"]}'
    matched.update(a["id"] for a in mine)
    if not mine:
        waiting.append(f"{what}: not raised")
        continue
    if len(mine) > 1:
        problems.append(f"{what}: raised {len(mine)} times ({', '.join(str(a['id']) for a in mine)})")
    a = mine[-1]
    if a["state"] != "resolved":
        waiting.append(f"{what}: alert {a['id']} is {a['state']}")
        continue
    level, severity = highest(a)
    if not a["fired"]:
        problems.append(f"{what}: alert {a['id']} never fired")
    elif (level, severity) != (e["level"], e["severity"]):
        problems.append(f"{what}: alert {a['id']} reached {level or '-'} · {severity}")
    elif a["resolution"] != "condition normal":
        problems.append(f"{what}: alert {a['id']} was closed by {a['resolution']!r}, not by the condition")
    else:
        print(f"ok - {what}: alert {a['id']} opened {a['opened']}, fired {a['fired_at']}, resolved {a['resolved']}")
for a in alerts:
    if a["id"] not in matched:
        level, severity = highest(a)
        problems.append(f"unexpected alert {a['id']}: {a['rule']} · {a['subject']} {a['station']} · {level or '-'} · {severity} ({a['state']})")
for line in problems: print("FAIL - " + line)
for line in waiting: print("waiting - " + line)
sys.exit(1 if problems else 2 if waiting else 0)
PY
}

run_phase() { # PHASE TIMELINE TARGET_SECONDS SIMULATE_ARGS...
    local phase=$1 timeline=$2 target=$3
    shift 3
    local plan k names_line names=() wall deadline rc
    plan=$(phase_plan "$timeline" "$target")
    if [[ -z "$plan" ]]; then
        echo "phase $phase: no $timeline scenario"
        return 0
    fi
    read -r k names_line <<<"$plan"
    read -ra names <<<"$names_line"
    wall=$(/usr/bin/python3 -c "import json,sys; print(int(max(s['duration_seconds'] for s in json.load(open(sys.argv[1]))['scenarios'] if s['name'] in sys.argv[3:]) / float(sys.argv[2])) + 1)" "$WORK/scenarios.json" "$k" "${names[@]}")
    echo "phase $phase: ${names[*]} ($timeline), --time-scale $k: about $wall s"

    phase_rules "$timeline" "$k" "$WORK/rules-$phase.json"
    ioc_e2e_database "e2e_scenarios_$phase" "$WORK/rules-$phase.json" || fail "could not create database e2e_scenarios_$phase"
    start_serve "$phase"
    local args=()
    for name in "${names[@]}"; do args+=(--scenario "$name"); done
    "$IOC_BIN" simulate --registry deploy/sample/registry.json --credentials "$IOC_TEST_MQTT_CREDENTIALS" \
        --mqtt-url "mqtt://127.0.0.1:$IOC_TEST_MQTT_PORT" --client-prefix "e2e-scen-$RUN-$phase" --progress 15 \
        --time-scale "$k" "${args[@]}" "$@" </dev/null >>"$WORK/simulate-$phase.log" 2>&1 &
    SIM_PID=$!
    # Until every scenario has played (a background, if any, goes on: it keeps the other stations alive).
    deadline=$((SECONDS + wall + 90))
    for name in "${names[@]}"; do
        until grep -q "^scenario $name: finished" "$WORK/simulate-$phase.log"; do
            kill -0 "$SIM_PID" 2>/dev/null || { wait "$SIM_PID" || true; fail "phase $phase: ioc simulate ended before scenario $name finished"; }
            ((SECONDS < deadline)) || fail "phase $phase: scenario $name not finished $((wall + 90)) s after the start"
            sleep 1
        done
    done
    grep -E '^scenario .*: (finished|[0-9]+% )' "$WORK/simulate-$phase.log" | tail -n 12 || true

    # Derived values and clears trail the last readings by a pass or two.
    deadline=$((SECONDS + 60))
    while true; do
        rc=0
        check_alerts "$DB_URL" "${names[@]}" >"$WORK/check-$phase.out" || rc=$?
        ((rc == 2 && SECONDS < deadline)) || break
        sleep 1
    done
    if ((rc == 0)); then
        # Nothing more may come: look again a few rule ticks and derived passes later.
        sleep 4
        check_alerts "$DB_URL" "${names[@]}" >"$WORK/check-$phase.out" || rc=$?
    fi
    cat "$WORK/check-$phase.out"
    if kill -0 "$SIM_PID" 2>/dev/null; then kill -TERM "$SIM_PID"; fi
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=""
    psql -X -qAt "$DB_URL" -c "SELECT count(*) || ' readings stored, ' || (SELECT count(*) FROM dead_letters) || ' dead letters' FROM readings"
    stop_serve
    ((rc == 0)) || fail "phase $phase: the alerts are not exactly those the scenarios declare (${names[*]})"
    ok "phase $phase: ${names[*]} raised and cleared exactly the declared alerts"
}

PHASES=" ${IOC_SCENARIO_PHASES:-a b} "
[[ "$PHASES" != *" a "* ]] || run_phase a replay "$REPLAY_SECONDS" --background off
[[ "$PHASES" != *" b "* ]] || run_phase b live "$LIVE_SECONDS" --background steady --rate 60
echo "scenarios: $((SECONDS - STARTED)) s"
