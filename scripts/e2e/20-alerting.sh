#!/usr/bin/env bash
# Alerting end to end through the real `ioc serve`, Mosquitto, PostgreSQL, a local webhook
# receiver (scripts/e2e/webhook_receiver.py) and a local SMTP server (aiosmtpd from Debian):
#   1. a reading published over MQTT opens an alert in PostgreSQL, a signed webhook and an e-mail
#      in Vietnamese reach their receivers;
#   2. a no-data rule fires with no traffic at all; a gateway whose connection drops (the broker
#      publishes its last will, `offline`) raises one gateway alert, cleared when it is back;
#   3. a silence suppresses the notifications of a matching alert (recorded, not sent);
#   4. nobody acknowledges: the policy's second step is paged after 1 minute;
#   5. the webhook endpoint is down for 2 minutes: every notification queued meanwhile reaches it
#      after it comes back;
#   6. acknowledging through the API stops the paging.
set -euo pipefail

: "${IOC_TEST_DATABASE_URL:?run through scripts/test.sh}" "${IOC_BIN:?run through scripts/test.sh}"
REPO="${IOC_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"
cd "$REPO"

WORK="$IOC_TEST_DIR/scratch/alerting"
rm -rf "$WORK"
mkdir -p "$WORK/mail/tmp" "$WORK/mail/new" "$WORK/mail/cur" # a Maildir
SERVE_PID="" HOOK_PID="" SMTP_PID=""
cleanup() {
    for pid in "$SERVE_PID" "$HOOK_PID" "$SMTP_PID"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

ok() { printf 'ok - %s\n' "$*"; }
fail() {
    printf 'FAIL - %s\n' "$*" >&2
    for f in "$WORK"/*.log; do [[ -f "$f" ]] && { echo "--- $f (tail)" >&2; tail -n 40 "$f" >&2; }; done
    exit 1
}

HTTP_PORT=$(ioc_free_port)
HOOK_PORT=$(ioc_free_port)
SMTP_PORT=$(ioc_free_port)
API="http://127.0.0.1:$HTTP_PORT/api/v1"
SECRET="e2e-webhook-secret-0123456789"
RUN="$$-$RANDOM"
GW=GW-PY-HYDRO-01
GW_PASS=$(ioc_mqtt_password "$IOC_TEST_MQTT_DIR" "$GW")

ioc_e2e_database e2e_alerting || fail "could not create the database"
sql() { psql -X -qAt "$DB_URL" -c "$1"; }

cat >"$WORK/rules.json" <<'EOF'
{"rules": [
  {"name": "Báo động lũ", "severity": "warning", "labels": {"team": "pctt"},
   "scope": {"kind": "metric", "name": "water_level", "domain": "hydrology"},
   "condition": {"kind": "levels", "direction": "above", "hysteresis": 0.1, "levels": [
     {"name": "I", "severity": "info", "threshold": {"attribute": "alarm_levels.I"}},
     {"name": "II", "severity": "warning", "threshold": {"attribute": "alarm_levels.II"}},
     {"name": "III", "severity": "critical", "threshold": {"attribute": "alarm_levels.III"}}]}},
  {"name": "Trạm Bàn Thạch mất dữ liệu", "severity": "warning",
   "scope": {"kind": "station", "code": "PY-BANTHACH-QL1A"},
   "condition": {"kind": "no_data", "after_seconds": 4}},
  {"name": "Gateway mất kết nối", "severity": "critical",
   "scope": {"kind": "gateway", "code": "GW-T3"},
   "condition": {"kind": "no_data", "after_seconds": 3, "per": "gateway"}}
]}
EOF
"$IOC_BIN" import-rules --database-url "$DB_URL" "$WORK/rules.json" >/dev/null
# A gateway with a broker account (scripts/test.sh creates GW-T3) and no stations yet.
sql "INSERT INTO gateways (code, name, unit_id) SELECT 'GW-T3', 'Gateway thử nghiệm', id FROM admin_units WHERE code = 'PY'" >/dev/null

cat >"$WORK/paging.json" <<EOF
{"contacts": [
   {"name": "Trực ban", "channels": [{"type": "webhook", "url": "http://127.0.0.1:$HOOK_PORT/hook/ops", "secret": "$SECRET"},
                                     {"type": "email", "address": "trucban@pctt.example.vn"}]},
   {"name": "Trưởng ban", "channels": [{"type": "webhook", "url": "http://127.0.0.1:$HOOK_PORT/hook/boss", "secret": "$SECRET"}]}],
 "rotas": [{"name": "Ca trực", "members": ["Trực ban"], "rotation_hours": 24, "handoff_time": "08:00", "start_date": "2026-01-01"}],
 "escalation_policies": [
   {"name": "Thủy văn", "match": {"domains": ["hydrology"], "min_severity": "info"},
    "steps": [{"after_minutes": 0, "targets": [{"rota": "Ca trực"}]},
              {"after_minutes": 1, "targets": [{"contact": "Trưởng ban"}]}], "repeat": 0}]}
EOF
"$IOC_BIN" import-paging --database-url "$DB_URL" "$WORK/paging.json" >/dev/null || fail "import-paging refused the test configuration"
# The API answers tokens only: an operator acts on alerts and silences, a viewer only reads.
OPERATOR=$("$IOC_BIN" token create --database-url "$DB_URL" --name e2e-operator --role operator 2>/dev/null) || fail "ioc token create failed"
VIEWER=$("$IOC_BIN" token create --database-url "$DB_URL" --name e2e-viewer --role viewer 2>/dev/null) || fail "ioc token create failed"
AUTH=(-H "Authorization: Bearer $OPERATOR")

start_hook() {
    /usr/bin/python3 "$REPO/scripts/e2e/webhook_receiver.py" "$HOOK_PORT" "$WORK/hooks.jsonl" "$SECRET" >>"$WORK/hook.log" 2>&1 &
    HOOK_PID=$!
    for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$HOOK_PORT/health" >/dev/null && return 0; sleep 0.1; done
    fail "webhook receiver did not start"
}
start_hook
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$WORK/mail" >>"$WORK/smtp.log" 2>&1 &
SMTP_PID=$!
for _ in $(seq 1 100); do ioc_port_is_free "$SMTP_PORT" || break; sleep 0.1; done

IOC_RULE_TICK_MS=200 IOC_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" IOC_SMTP_FROM="ioc@ioc.example.vn" IOC_PUBLIC_URL="http://ioc.example.vn" \
    ioc_e2e_serve "$WORK/serve.log" "ioc-e2e-alerting-$RUN" --log-level info || fail "ioc serve did not start"
STARTED=$SECONDS

publish() { # STATION VALUE
    mosquitto_pub -h 127.0.0.1 -p "$IOC_TEST_MQTT_PORT" -u "$GW" -P "$GW_PASS" -i "e2e-alert-$RUN-$RANDOM" -q 1 \
        -t "ioc/v1/$GW/json" -m "{\"station\":\"$1\",\"ts\":$(date +%s%3N),\"values\":{\"water_level\":$2}}"
}
wait_for() { # SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    while ((SECONDS < deadline)); do "$@" && return 0; sleep 0.2; done
    fail "timed out after waiting for: $what"
}
alert_id() { sql "SELECT id FROM alerts WHERE station_code = '$1' AND rule_name = '$2' ORDER BY id DESC LIMIT 1"; }
hooks_for() { # PATH ALERT KIND -> count of verified deliveries
    /usr/bin/python3 - "$WORK/hooks.jsonl" "$1" "$2" "$3" <<'PY'
import json, sys
path, want_path, alert, kind = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
n = 0
try:
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        if r["path"] == want_path and r["verified"] and r["body"].get("alert_id") == alert and r["body"].get("event") == kind:
            n += 1
except FileNotFoundError:
    pass
print(n)
PY
}
has_hook() { (($(hooks_for "$@") >= 1)); }

# --- 1. MQTT → alert → webhook and e-mail ---------------------------------------------------------
publish PY-SBA-PHULAM 1.2
sleep 0.5
publish PY-SBA-PHULAM 3.05
wait_for 20 "an alert at PY-SBA-PHULAM" bash -c "[[ -n \"\$(psql -X -qAt '$DB_URL' -c \"SELECT id FROM alerts WHERE station_code = 'PY-SBA-PHULAM' AND state = 'firing'\")\" ]]"
A1=$(alert_id PY-SBA-PHULAM "Báo động lũ")
[[ "$(sql "SELECT level || ' ' || severity FROM alerts WHERE id = $A1")" == "II warning" ]] || fail "alert $A1 should be level II, warning: $(sql "SELECT level, severity FROM alerts WHERE id = $A1")"
wait_for 20 "the signed webhook of alert $A1" has_hook /hook/ops "$A1" fired
wait_for 30 "the e-mail of alert $A1" bash -c "ls '$WORK/mail/new' 2>/dev/null | grep -q ."
/usr/bin/python3 - "$WORK/mail/new" <<'PY' || fail "the e-mail is not the expected Vietnamese message"
import email, email.header, email.policy, os, sys
d = sys.argv[1]
msg = email.message_from_binary_file(open(os.path.join(d, sorted(os.listdir(d))[0]), "rb"), policy=email.policy.default)
subject, body = str(msg["subject"]), msg.get_body().get_content()
print("e-mail:", msg["to"], "|", subject)
assert "trucban@pctt.example.vn" in str(msg["to"]), msg["to"]
assert "Phú Lâm" in subject or "Phú Lâm" in body, (subject, body)
assert "3,05" in body and "http://ioc.example.vn/api/v1/alerts/" in body, body
PY
ok "reading over MQTT → alert $A1 (level II) in PostgreSQL → signed webhook and Vietnamese e-mail received"

# --- 2. no data, with no traffic at all ------------------------------------------------------------
wait_for 20 "the no-data alert of PY-BANTHACH-QL1A" bash -c "[[ \"\$(psql -X -qAt '$DB_URL' -c \"SELECT count(*) FROM alerts WHERE station_code = 'PY-BANTHACH-QL1A' AND state = 'firing'\")\" == 1 ]]"
A2=$(alert_id PY-BANTHACH-QL1A "Trạm Bàn Thạch mất dữ liệu")
echo "no-data alert $A2 fired $(sql "SELECT round(extract(epoch FROM fired_at) - $(date +%s) + $((SECONDS - STARTED)))::int FROM alerts WHERE id = $A2") s after start (rule: 4 s)"
wait_for 20 "the webhook of no-data alert $A2" has_hook /hook/ops "$A2" fired
ok "no-data rule fired with no traffic at all and paged"

# --- 2b. a gateway drops off: the broker publishes its last will -------------------------------------
T3_PASS=$(ioc_mqtt_password "$IOC_TEST_MQTT_DIR" GW-T3)
mosquitto_pub -h 127.0.0.1 -p "$IOC_TEST_MQTT_PORT" -u GW-T3 -P "$T3_PASS" -i "e2e-t3-$RUN" -q 1 -r -t ioc/v1/GW-T3/status -m online
# A connection that stays open with a will, then dies without saying goodbye.
mkfifo "$WORK/will.fifo"
mosquitto_pub -h 127.0.0.1 -p "$IOC_TEST_MQTT_PORT" -u GW-T3 -P "$T3_PASS" -i "e2e-t3-will-$RUN" -q 1 -l \
    -t ioc/v1/GW-T3/heartbeat --will-topic ioc/v1/GW-T3/status --will-payload offline --will-qos 1 --will-retain <"$WORK/will.fifo" &
WILL_PID=$!
exec 7>"$WORK/will.fifo" # holds mosquitto_pub's input open, so it stays connected
sleep 2
[[ "$(sql "SELECT count(*) FROM alerts WHERE gateway_code = 'GW-T3'")" == 0 ]] || fail "gateway GW-T3 alerted while online"
kill -9 "$WILL_PID" 2>/dev/null || true
wait "$WILL_PID" 2>/dev/null || true
exec 7>&-
wait_for 20 "gateway GW-T3 reported offline by its last will" bash -c "[[ \"\$(psql -X -qAt '$DB_URL' -c \"SELECT status FROM gateways WHERE code = 'GW-T3'\")\" == offline ]]"
wait_for 20 "one gateway alert for GW-T3" bash -c "[[ \"\$(psql -X -qAt '$DB_URL' -c \"SELECT count(*) FROM alerts WHERE subject = 'gateway' AND subject_key = 'GW-T3' AND state = 'firing'\")\" == 1 ]]"
A_GW=$(sql "SELECT id FROM alerts WHERE subject_key = 'GW-T3' ORDER BY id DESC LIMIT 1")
curl -sf "${AUTH[@]}" "$API/alerts/$A_GW" | grep -q '"subject":"gateway"' || fail "the gateway alert does not say what it is about"
mosquitto_pub -h 127.0.0.1 -p "$IOC_TEST_MQTT_PORT" -u GW-T3 -P "$T3_PASS" -i "e2e-t3-$RUN" -q 1 -r -t ioc/v1/GW-T3/status -m online
wait_for 20 "the gateway alert cleared when GW-T3 came back" bash -c "[[ \"\$(psql -X -qAt '$DB_URL' -c \"SELECT state FROM alerts WHERE id = $A_GW\")\" == resolved ]]"
ok "gateway GW-T3 dropped off (last will): one gateway alert $A_GW, resolved when it came back online"

# --- 3. silence ---------------------------------------------------------------------------------------
now_ms=$(date +%s)
curl -sf "${AUTH[@]}" -X POST "$API/silences" -H 'Content-Type: application/json' -d "{\"matchers\":{\"station\":\"PY-SBA-CUNGSON\"},
    \"starts_at\":\"$(date -u -d @$((now_ms - 60)) +%FT%TZ)\",\"ends_at\":\"$(date -u -d @$((now_ms + 3600)) +%FT%TZ)\",
    \"created_by\":\"e2e\",\"comment\":\"bảo trì trạm\"}" >/dev/null || fail "silence not created"
publish PY-SBA-CUNGSON 33.0
wait_for 20 "a silenced alert at PY-SBA-CUNGSON" bash -c "[[ -n \"\$(psql -X -qAt '$DB_URL' -c \"SELECT 1 FROM notification_outbox o JOIN alerts a ON a.id = o.alert_id WHERE a.station_code = 'PY-SBA-CUNGSON'\")\" ]]"
A3=$(alert_id PY-SBA-CUNGSON "Báo động lũ")
[[ "$(sql "SELECT count(*) FROM notification_outbox WHERE alert_id = $A3 AND status <> 'suppressed'")" == 0 ]] || fail "a silenced alert's notification was queued for sending"
[[ "$(sql "SELECT count(*) FROM alert_events WHERE alert_id = $A3 AND kind = 'notification_suppressed'")" -ge 1 ]] || fail "the suppression is not recorded in alert_events"
curl -sf "${AUTH[@]}" "$API/alerts/$A3" | grep -q '"state":"firing"' || fail "the silenced alert is not visible through the API"
ok "silence: alert $A3 fires and is visible, its notifications are recorded as suppressed"

# --- 4 and 5. webhook down 2 minutes; escalation meanwhile --------------------------------------------
kill "$HOOK_PID"; wait "$HOOK_PID" 2>/dev/null || true; HOOK_PID=""
DOWN_AT=$SECONDS
publish PY-SBA-PHULAM 3.9  # level III: the same alert, severity up, everyone paged again
publish PY-KYLO-HABANG 8.8 # a new alert
wait_for 20 "alert $A1 at level III" bash -c "[[ \"\$(psql -X -qAt '$DB_URL' -c \"SELECT level FROM alerts WHERE id = $A1\")\" == III ]]"
wait_for 20 "an alert at PY-KYLO-HABANG" bash -c "[[ -n \"\$(psql -X -qAt '$DB_URL' -c \"SELECT id FROM alerts WHERE station_code = 'PY-KYLO-HABANG'\")\" ]]"
A4=$(alert_id PY-KYLO-HABANG "Báo động lũ")
sleep $((120 - (SECONDS - DOWN_AT)))
failed_attempts=$(sql "SELECT count(*) FROM notification_attempts WHERE NOT ok")
pending=$(sql "SELECT count(*) FROM notification_outbox WHERE status = 'pending' AND channel = 'webhook'")
echo "webhook down for $((SECONDS - DOWN_AT)) s: $pending webhook notifications pending, $failed_attempts failed attempts recorded"
((pending >= 3)) || fail "expected at least 3 webhook notifications waiting (level III, new alert, escalation), found $pending"
[[ "$(sql "SELECT count(*) FROM alert_events WHERE alert_id = $A1 AND kind = 'escalated'")" -ge 1 ]] || fail "alert $A1 was not escalated to step 2 after 1 minute"
start_hook
UP_AT=$SECONDS
wait_for 90 "every webhook notification delivered after the endpoint came back" bash -c "[[ \"\$(psql -X -qAt '$DB_URL' -c \"SELECT count(*) FROM notification_outbox WHERE channel = 'webhook' AND status NOT IN ('sent', 'suppressed')\")\" == 0 ]]"
echo "all delivered $((SECONDS - UP_AT)) s after the endpoint came back"
has_hook /hook/ops "$A1" escalated_severity || fail "level III of alert $A1 not received"
has_hook /hook/ops "$A4" fired || fail "alert $A4 (raised while the endpoint was down) not received"
has_hook /hook/boss "$A1" reminder || fail "the escalation of alert $A1 to the second step not received"
missing=$(/usr/bin/python3 - "$WORK/hooks.jsonl" <<'PY'
import json, sys
print(" ".join(sorted({json.loads(l)["idempotency_key"] for l in open(sys.argv[1])})))
PY
)
for id in $(sql "SELECT id FROM notification_outbox WHERE channel = 'webhook' AND status = 'sent'"); do
    [[ " $missing " == *" ioc-$id "* ]] || fail "outbox $id is marked sent but the receiver never got it"
done
ok "webhook down for 2 minutes: every notification (including the escalation to step 2) received after it came back"

# --- 6. acknowledge --------------------------------------------------------------------------------
curl -sf "${AUTH[@]}" -X POST "$API/alerts/$A4/acknowledge" -H 'Content-Type: application/json' -d '{"by":"Nguyễn Văn An"}' | grep -q '"state":"acknowledged"' ||
    fail "acknowledging alert $A4 failed"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/alerts/$A4/acknowledge" -H "Authorization: Bearer $VIEWER" -H 'Content-Type: application/json' -d '{"by":"x"}')
[[ "$code" == 403 ]] || fail "a viewer token acknowledging should be 403, got $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/alerts/$A4/acknowledge" -H 'Content-Type: application/json' -d '{"by":"x"}')
[[ "$code" == 401 ]] || fail "acknowledging without a token should be 401, got $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -X POST "$API/alerts/$A4/acknowledge" -H 'Content-Type: application/json' -d '{"by":"x"}')
[[ "$code" == 409 ]] || fail "acknowledging twice should be 409, got $code"
[[ "$(sql "SELECT next_page_at IS NULL FROM alerts WHERE id = $A4")" == t ]] || fail "an acknowledged alert still has a page scheduled"
curl -sf "${AUTH[@]}" "$API/alerts/$A4" | grep -q '"kind":"transition"' || fail "alert $A4's events are not in its detail"
ok "acknowledged through the API with an operator token: paging stopped, a second acknowledgement is refused (409), a viewer's 403, none 401"

kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "ioc serve did not stop cleanly"
SERVE_PID=""
sql "SELECT id, station_code, state, severity, level FROM alerts ORDER BY id"
sql "SELECT status, channel, count(*) FROM notification_outbox GROUP BY 1, 2 ORDER BY 1, 2"
