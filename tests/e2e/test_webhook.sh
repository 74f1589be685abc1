#!/bin/sh
# End to end: webhook endpoints, the outbox, `deliver`, `deliveries` and
# `redeliver` against a real HTTP receiver on 127.0.0.1 (receiver.py) that
# checks every signature with its own implementation of Standard Webhooks
# (and of the 钉钉 and 飞书 robot signatures), and answers per path: 200,
# 400, 500, 429 + Retry-After, 410, a hang past the timeout, a closed
# connection, and failures that heal.
. "$SRC/tests/e2e/lib.sh"
DB="$T/c.db"
export COURTRULES_DB="$DB"
RULES="$SRC/rules"
S1='whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
export HANG_SECONDS=3 BUSY_SECONDS=2 FLAKY_FAILS=2

python3 "$SRC/tests/e2e/receiver.py" "$T/port" "$T/log" "$S1" &
RPID=$!
trap 'kill $RPID 2>/dev/null; rm -rf "$T"' EXIT INT TERM
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
URL="http://127.0.0.1:$(cat "$T/port")"
touch "$T/log"

# logq PYTHON_EXPR: evaluates the expression over rs, the receiver's records
# (a list of dicts), and prints the result.
logq() {
    python3 - "$T/log" "$1" <<'EOF'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
def alerts(r):
    try:
        return json.loads(r["body"])["data"]["alerts"]
    except Exception:
        return []
print(eval(sys.argv[2]))
EOF
}

cr init; expect_status 0 "init"
cr ingest "$SRC/examples/sample.jsonl"; expect_status 0 "ingest the 粤 sample"

# ---- bad input ------------------------------------------------------------
cr webhook add x --url ftp://example/x; expect_status 2 "a non-http URL is refused"
expect_in "$T/err" "--url must be an http:// or https://" "the error names --url"
cr webhook add x --url "$URL/ok" --timeout 5parsecs; expect_status 2 "a bad duration is refused"
expect_in "$T/err" "--timeout: '5parsecs' is not a duration" "the error names the option and value"
cr webhook add x --url "$URL/ok" --format nosuch --rules "$RULES"; expect_status 2 "an unknown format is refused"
expect_in "$T/err" "webhook format 'nosuch'" "the error names the format"
cr webhook add x --url "$URL/ok" --secret 'whsec_***'; expect_status 2 "a secret that is not base64 is refused"
cr webhook add x --url "$URL/ok" --codes '4C-[A]'; expect_status 2 "a code pattern with [ is refused"
expect_eq "$(sql "$DB" 'SELECT count(*) FROM webhooks')" 0 "nothing was stored by the refused commands"

# ---- endpoints --------------------------------------------------------------
add() { cr --rules "$RULES" webhook add "$@"; expect_status 0 "webhook add $1"; }
add ok --url "$URL/ok" --secret "$S1" --max-in-flight 8
add warn4c --url "$URL/ok/warn4c" --secret "$S1" --codes '4C-*' --min-severity warning --court 粤01
add reject --url "$URL/reject" --secret "$S1" --codes STAFF-HIGH-COURT-RATIO
add fail --url "$URL/fail" --secret "$S1" --codes STAFF-HIGH-COURT-RATIO --retry-schedule 100ms,100ms
add later --url "$URL/fail/later" --secret "$S1" --codes STAFF-HIGH-COURT-RATIO --retry-schedule 1h
add busy --url "$URL/busy" --secret "$S1" --codes STAFF-HIGH-COURT-RATIO --retry-schedule 100ms
add gone --url "$URL/gone" --secret "$S1" --codes '4C-PREFLAG' --max-in-flight 1
add hang --url "$URL/hang" --secret "$S1" --codes STAFF-HIGH-COURT-RATIO --timeout 300ms --retry-schedule 100ms
add close --url "$URL/close" --secret "$S1" --codes STAFF-HIGH-COURT-RATIO --retry-schedule 100ms
add flaky --url "$URL/flaky" --secret "$S1" --codes '4C-PREFLAG' --retry-schedule 100ms,100ms,100ms
add limited --url "$URL/slow/limited" --secret "$S1" --codes 'ASSIGN-DESIGNATED-NO-REASON,STAFF-QUOTA-OVER-CAP' --rate 4
add narrow --url "$URL/slow/narrow" --secret "$S1" --codes 'INTERFERENCE-*' --max-in-flight 2
add grouped --url "$URL/ok/grouped" --secret "$S1" --codes 'ASSIGN-*' --group-window 3s --no-resolved
add dingtalk --url "$URL/ok/dingtalk?access_token=TOPSECRETTOKEN" --format dingtalk --secret "$S1" --codes 4C-PREFLAG
add feishu --url "$URL/ok/feishu" --format feishu --secret "$S1" --codes 4C-PREFLAG
add wecom --url "$URL/ok/wecom?key=TOPSECRETKEY" --format wecom --codes 4C-PREFLAG
cr webhook add gen --url "$URL/ok/gen" --codes NONE --rules "$RULES"
expect_status 0 "webhook add without --secret"
expect_in "$T/out" "signing secret (shown only now" "a generated secret is shown once"
GEN=$(sed -n 's/.*: \(whsec_.*\)$/\1/p' "$T/out")
cr webhook add ok --url "$URL/ok"; expect_status 2 "a second endpoint with the same name is refused"

cr webhook list; expect_status 0 "webhook list"
cr --json webhook list
for secret in "$S1" "$GEN" TOPSECRETTOKEN TOPSECRETKEY; do
    if grep -qF "$secret" "$T/out"; then fail "webhook list --json shows a secret"; fi
done
"$COURTRULES" webhook list >"$T/list.txt" 2>&1
if grep -qF TOPSECRET "$T/list.txt" || grep -qF "$S1" "$T/list.txt"; then
    fail "webhook list shows a secret or a robot key"
else ok "webhook list shows neither secrets nor robot keys"; fi
expect_in "$T/list.txt" "$URL/ok/dingtalk?…" "a robot URL is listed without its query"

cr --rules "$RULES" webhook test ok; expect_status 0 "webhook test reaches a healthy endpoint"
expect_in "$T/out" "HTTP 200 (delivered)" "webhook test reports the status"
cr --rules "$RULES" webhook test reject; expect_status 1 "webhook test of a refusing endpoint exits 1"
expect_eq "$(logq 'sum(1 for r in rs if not r["verified"] and "/ok" == r["path"])')" 0 "the test message is signed"

# ---- alerts -> outbox in the same transaction ---------------------------------
cr --rules "$RULES" eval --as-of 2024-12-31; expect_status 0 "eval raises alerts"
ALERTS=$(sql "$DB" 'SELECT count(*) FROM alerts')
expect_eq "$(sql "$DB" "SELECT count(*) FROM outbox o JOIN webhooks w ON w.id = o.webhook_id WHERE w.name = 'ok'")" "$ALERTS" "every alert has an outbox row for the catch-all endpoint"
WANT4C=$(sql "$DB" "SELECT count(*) FROM alerts WHERE code GLOB '4C-*' AND severity IN ('warning','critical') AND court LIKE '粤01%'")
expect_eq "$(sql "$DB" "SELECT count(*) FROM outbox o JOIN webhooks w ON w.id = o.webhook_id WHERE w.name = 'warn4c'")" "$WANT4C" "filters: court prefix, minimum severity and code wildcard"
[ "$WANT4C" -gt 0 ] && ok "the filtered endpoint has alerts to get" || fail "no 粤01 4C warnings in the sample"

# ---- first pass -------------------------------------------------------------
cr --rules "$RULES" deliver; expect_status 0 "deliver: one pass"
expect_in "$T/out" "1 endpoint disabled (410)" "the summary counts the endpoint disabled by 410"
expect_eq "$(logq 'sum(1 for r in rs if r["path"] == "/ok" and r["id"] and r["id"].startswith("msg_") and r["verified"])')" "$((ALERTS + 1))" "the catch-all endpoint got every alert (and the test), each verified"
expect_eq "$(logq 'sum(1 for r in rs if r["path"].startswith("/ok") and r["id"] and not r["verified"] and "dingtalk" not in r["path"] and "feishu" not in r["path"] and "wecom" not in r["path"])')" 0 "no Standard Webhooks request failed verification"
expect_eq "$(logq 'len(set(a["id"] for r in rs if r["path"] == "/ok/warn4c" for a in alerts(r)))')" "$WANT4C" "the filtered endpoint got exactly its alerts"
expect_eq "$(sql "$DB" "SELECT outcome FROM delivery_attempts d JOIN webhooks w ON w.id = d.webhook_id WHERE w.name = 'reject'")" rejected "400: rejected, not retried"
expect_eq "$(sql "$DB" "SELECT state FROM messages m JOIN webhooks w ON w.id = m.webhook_id WHERE w.name = 'reject'")" rejected "the rejected message is finished"
expect_eq "$(sql "$DB" "SELECT enabled FROM webhooks WHERE name = 'gone'")" 0 "410: the endpoint is disabled"
expect_eq "$(sql "$DB" "SELECT count(*) FROM delivery_attempts d JOIN webhooks w ON w.id = d.webhook_id WHERE w.name = 'gone'")" 1 "410: no further attempts to a disabled endpoint"
expect_in "$T/out" "waiting, next attempt at" "the summary says what is left waiting (a retry an hour away)"
BUSY_WAIT=$(sql "$DB" "SELECT next_attempt_ms - CAST((julianday(substr(at,1,19)) - 2440587.5) * 86400000 + 0.5 AS INTEGER) + 8*3600000 FROM delivery_attempts d JOIN webhooks w ON w.id = d.webhook_id WHERE w.name = 'busy' ORDER BY d.id LIMIT 1")
[ "$BUSY_WAIT" -ge 1500 ] && ok "429: Retry-After (2 s) outweighs the 100 ms schedule ($BUSY_WAIT ms)" || fail "429: next attempt after $BUSY_WAIT ms, Retry-After was 2 s"
cr deliveries --webhook hang; expect_status 0 "deliveries --webhook"
expect_in "$T/out" "timed out" "a hang past the timeout is recorded as a timeout"
cr deliveries --webhook close
expect_in "$T/out" "retry" "a closed connection is retried"
cr deliveries --webhook grouped
expect_in "$T/out" "alerts waiting to be sent" "deliveries shows what waits in the outbox"

# ---- retries to the end -------------------------------------------------------
# The first pass ran the 100 ms retries; the 429's Retry-After and the
# grouping window need later passes: run one every half second until both
# are through -- the busy message dead-lettered, and every alert of the
# grouped endpoint in a delivered message (a loaded machine may split the
# group in two) -- at most 40: a bound against hanging, not a timing check.
through() {
    sql "$DB" "SELECT (SELECT count(*) FROM messages m JOIN webhooks w ON w.id = m.webhook_id
                        WHERE w.name = 'busy' AND m.state = 'dead') >= 1
               AND (SELECT count(*) FROM outbox o JOIN webhooks w ON w.id = o.webhook_id
                        LEFT JOIN messages m ON m.id = o.message
                        WHERE w.name = 'grouped' AND (m.id IS NULL OR m.state <> 'delivered')) = 0"
}
n=0
until [ "$(through)" = 1 ] || [ $n -ge 40 ]; do
    sleep 0.5
    cr --rules "$RULES" deliver
    n=$((n + 1))
done
expect_status 0 "deliver: later passes"
expect_eq "$(sql "$DB" "SELECT state || ' ' || attempts FROM messages m JOIN webhooks w ON w.id = m.webhook_id WHERE w.name = 'fail'")" "dead 3" "500: retried per the schedule, then dead-lettered"
expect_eq "$(sql "$DB" "SELECT group_concat(outcome, ',') FROM (SELECT outcome FROM delivery_attempts d JOIN webhooks w ON w.id = d.webhook_id WHERE w.name = 'fail' ORDER BY d.id)")" "retry,retry,dead" "the attempts read retry, retry, dead"
expect_eq "$(sql "$DB" "SELECT state FROM messages m JOIN webhooks w ON w.id = m.webhook_id WHERE w.name = 'busy'")" dead "429 twice with one retry: dead-lettered"
FLAKY=$(logq 'sorted(set(n for n in [sum(1 for q in rs if q["id"] == r["id"]) for r in rs if r["path"] == "/flaky"]))')
expect_eq "$FLAKY" "[3]" "a message that fails twice is delivered on attempt 3"
expect_eq "$(logq 'all(len(set(q["body"] for q in rs if q["id"] == r["id"])) == 1 for r in rs if r["path"] == "/flaky")')" True "every retry of a message has the same webhook-id and body"
expect_eq "$(sql "$DB" "SELECT count(*) FROM messages m JOIN webhooks w ON w.id = m.webhook_id WHERE w.name = 'flaky' AND state = 'delivered'")" 3 "the flaky endpoint's messages are all delivered"
GROUPED=$(sql "$DB" "SELECT count(*) FROM alerts WHERE code GLOB 'ASSIGN-*'")
expect_eq "$(logq 'sum(len(alerts(r)) for r in rs if r["path"] == "/ok/grouped")')" "$GROUPED" "grouping: every alert arrives"
expect_eq "$(sql "$DB" "SELECT min(m.created_ms) - (SELECT min(o.created_ms) FROM outbox o WHERE o.webhook_id = w.id) >= 3000 FROM messages m JOIN webhooks w ON w.id = m.webhook_id WHERE w.name = 'grouped'")" 1 "grouping: the first message waited the 3 s window after the first alert"
expect_eq "$(logq 'max(len(alerts(r)) for r in rs if r["path"] == "/ok/grouped") > 1')" True "grouping: several alerts share a message"
expect_eq "$(logq 'all(json.loads(r["body"])["type"] == "alert.group" for r in rs if r["path"] == "/ok/grouped" and len(alerts(r)) > 1)')" True "a grouped message is typed alert.group"

# every standard payload has what docs/schemas/webhook-payload.schema.json requires
python3 - "$T/log" "$SRC/docs/schemas/webhook-payload.schema.json" >"$T/schema" <<'EOF'
import json, sys
schema = json.load(open(sys.argv[2], encoding="utf-8"))
alert = schema["$defs"]["alert"]
bad = []
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if not r["path"].startswith("/ok") or any(k in r["path"] for k in ("dingtalk", "feishu", "wecom")):
        continue
    doc = json.loads(r["body"])
    bad += [k for k in schema["required"] if k not in doc]
    if doc["type"] not in schema["properties"]["type"]["enum"]:
        bad.append("type " + doc["type"])
    if doc["data"]["count"] != len(doc["data"]["alerts"]):
        bad.append("count")
    for a in doc["data"]["alerts"]:
        bad += [k for k in alert["required"] if k not in a]
        bad += [k for k, v in a.items() if k not in alert["properties"]]
        for k in ("event", "severity", "status"):
            if a[k] not in alert["properties"][k]["enum"]:
                bad.append(k + " " + a[k])
print("schema problems:", sorted(set(bad)))
EOF
expect_in "$T/schema" "schema problems: []" "every standard payload matches the documented JSON Schema"

# ---- concurrency cap and rate limit ----
expect_eq "$(logq 'max(r["concurrent"] for r in rs if r["path"] == "/slow/narrow")')" 2 "--max-in-flight 2: at most two requests at once (and two were reached)"
LIMITED=$(sql "$DB" "SELECT count(*) FROM alerts WHERE code IN ('ASSIGN-DESIGNATED-NO-REASON', 'STAFF-QUOTA-OVER-CAP')")
# --rate 4 (burst 4): N requests cannot be spread over less than (N - 4) / 4 s
SPREAD=$(logq 'round(max(r["arrived"] for r in rs if r["path"] == "/slow/limited") - min(r["arrived"] for r in rs if r["path"] == "/slow/limited"), 2)')
awk -v s="$SPREAD" -v n="$LIMITED" 'BEGIN { exit !(s >= (n - 4) / 4 - 0.1) }' \
    && ok "--rate 4: $LIMITED requests spread over ${SPREAD}s (at least $(( (LIMITED - 4) / 4 ))s)" \
    || fail "--rate 4: $LIMITED requests came within ${SPREAD}s"

# ---- robot formats ------------------------------------------------------------
expect_eq "$(logq 'all(r["dingtalk_ok"] for r in rs if r["path"] == "/ok/dingtalk") and any(r["path"] == "/ok/dingtalk" for r in rs)')" True "钉钉: every request carries a valid timestamp and sign"
expect_eq "$(logq 'all(r["feishu_ok"] for r in rs if r["path"] == "/ok/feishu") and any(r["path"] == "/ok/feishu" for r in rs)')" True "飞书: every body carries a valid timestamp and sign"
WECOM=$(sql "$DB" "SELECT count(*) FROM alerts WHERE code = '4C-PREFLAG'")
expect_eq "$(logq 'sum(1 for r in rs if r["path"] == "/ok/wecom" and json.loads(r["body"])["msgtype"] == "markdown" and "[提示][触发] 4C-PREFLAG" in json.loads(r["body"])["markdown"]["content"])')" "$WECOM" "企业微信: one markdown message in Chinese per alert"
expect_eq "$(logq 'any("依据" in r["body"] for r in rs if r["path"] == "/ok/dingtalk")')" True "robot messages show the legal basis"

# ---- resolved notifications, repeats, redelivery ---------------------------------
ID=$(sql "$DB" "SELECT id FROM alerts WHERE code = 'ASSIGN-TEAM-NOT-ROTATED' ORDER BY id LIMIT 1")
cr alerts resolve "$ID" --note "handled"; expect_status 0 "resolve an alert by hand"
expect_eq "$(sql "$DB" "SELECT count(*) FROM outbox WHERE alert_id = $ID AND event = 'resolved'")" 1 "resolving writes a 'resolved' outbox row (not for --no-resolved endpoints)"
cr --rules "$RULES" deliver
expect_eq "$(logq 'sum(1 for r in rs for a in alerts(r) if a["id"] == '"$ID"' and a["event"] == "resolved")')" 1 "the resolved notification is delivered"

FIRST=$(logq 'next(r["id"] for r in rs if r["path"] == "/ok" and any(a["id"] == '"$ID"' for a in alerts(r)))')
cr redeliver --alert "$ID"; expect_status 0 "redeliver --alert"
cr --rules "$RULES" deliver
expect_eq "$(logq 'sum(1 for r in rs if r["id"] == "'"$FIRST"'")')" 2 "a redelivered message keeps its webhook-id"
cr redeliver --failed-since 2020-01-01; expect_status 0 "redeliver --failed-since"
expect_in "$T/out" "queued again" "redeliver says how many"
expect_eq "$(sql "$DB" "SELECT count(*) FROM messages WHERE state IN ('dead', 'rejected')")" 0 "failed messages are due again"
cr redeliver --alert 999999; expect_status 2 "redeliver of an unknown alert"

cr webhook enable gone; expect_status 0 "re-enable the 410 endpoint"
expect_eq "$(sql "$DB" "SELECT count(*) FROM messages m JOIN webhooks w ON w.id = m.webhook_id WHERE w.name = 'gone' AND state = 'pending' AND next_attempt_ms <= CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)")" "$(sql "$DB" "SELECT count(*) FROM alerts WHERE code = '4C-PREFLAG'")" "a re-enabled endpoint gets its backlog, due now"

# repeat interval: a new endpoint with --backfill and a 1 s repeat
add repeat --url "$URL/ok/repeat" --secret "$S1" --codes STAFF-HIGH-COURT-RATIO --repeat-interval 1s --backfill
cr --rules "$RULES" deliver
sleep 1.2
cr --rules "$RULES" deliver
expect_eq "$(logq '[a["event"] for r in rs if r["path"] == "/ok/repeat" for a in alerts(r)]')" "['firing', 'repeat']" "--backfill sends the open alert; the repeat interval sends it again"

# ---- rotation ---------------------------------------------------------------------
cr webhook rotate ok; expect_status 0 "rotate starts a rotation"
S2=$(sed -n 's/.*: \(whsec_.*\)$/\1/p' "$T/out")
cr --rules "$RULES" webhook test ok; expect_status 0 "during a rotation the old secret still verifies"
cr webhook rotate ok --finish; expect_status 0 "rotate --finish"
cr --rules "$RULES" webhook test ok; expect_status 0 "after the rotation the receiver answers (it does not check)"
expect_eq "$(logq '[r["verified"] for r in rs if r["path"] == "/ok"][-1]')" False "after --finish the old secret no longer verifies"
cr webhook rotate ok --finish; expect_status 2 "finishing a rotation that is not under way"

# ---- secrets stay out of logs and the audit trail -----------------------------
cr --rules "$RULES" deliver --verbose
cr audit log
for secret in "$S1" "$S2" "$GEN" TOPSECRETTOKEN TOPSECRETKEY; do
    if grep -qF -- "$secret" "$T/out" "$T/err"; then fail "a secret appears in the audit log or delivery log"; fi
done
ok "no secret in the audit trail or the verbose delivery log"

cr webhook remove warn4c; expect_status 0 "webhook remove"
cr webhook list
if grep -q warn4c "$T/out"; then fail "a removed endpoint is listed"; else ok "a removed endpoint is not listed"; fi
expect_eq "$(sql "$DB" 'PRAGMA integrity_check')" ok "integrity_check"
finish
