#!/bin/sh
# End to end: `courtrules serve` and its HTTP API with curl -- every
# endpoint, tokens of two courts isolated from each other, 401/403/404/405/414/431,
# malformed (400 with the position) and oversize (413) bodies, records
# landing all or nothing, triage with and without persisting, alerts with
# their audited ack/resolve, reload, metrics, a second daemon refused, and
# SIGTERM exiting 0.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/serve_lib.sh"

init_with sample.jsonl sample-su.jsonl
cr --rules "$RULES" eval --as-of 2024-12-31 --workers 1
expect_status 0 "sample data ingested and evaluated"

SU01=$(new_token 苏01 filer)
SU05=$(new_token 苏05 filer)
READER=$(new_token 苏01 reader)
OPER=$(new_token 苏01 operator)
ADMIN=$(new_token '*' admin)
REVOKED=$(new_token 苏01 filer)
cr token list --json
REVOKED_ID=$(jq_sql "$T/out" "SELECT max(json_extract(value, '\$.id')) FROM d, json_each(d.j)")
cr token revoke "$REVOKED_ID"
expect_status 0 "token revoke"
cr token list
expect_in "$T/out" "revoked" "token list shows the revoked token"
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'token.create'")" 6 \
    "token creation is audited"
expect_eq "$(sql "$DB" "SELECT count(*) FROM api_tokens WHERE sha256 LIKE 'crt_%'")" 0 \
    "tokens are stored as hashes only"

start_serve "$T/serve.log" "$DB" "$RULES" --max-body 65536 || { fail "daemon starts"; cat "$T/serve.log"; finish; }
ok "daemon listening at $URL"

# ---- one daemon per database ----
"$COURTRULES" --db "$DB" --rules "$RULES" serve --listen 127.0.0.1:0 >"$T/out" 2>"$T/err"
RC=$?
expect_status 2 "a second daemon on the same database is refused"
expect_in "$T/err" "already running" "the refusal says another daemon is running"

# ---- public endpoints ----
req GET /healthz ""
expect_code 200 "healthz needs no token"
expect_eq "$(jget "$T/body" '$.status')" ok "healthz says ok"
FINGERPRINT=$(jget "$T/body" '$.rules.fingerprint')
req GET /v1/openapi.json ""
expect_code 200 "the OpenAPI document is served"
if cmp -s "$T/body" "$SRC/docs/openapi.json"; then ok "it is docs/openapi.json"; else fail "served OpenAPI differs from docs/openapi.json"; fi
expect_eq "$(jget "$T/body" '$.openapi')" 3.1.0 "OpenAPI 3.1"
req GET /nowhere ""
expect_code 404 "unknown path is 404"
LONG=$(printf '%0400d' 0)
req GET "/v1/cases/$LONG/explain" "$SU01"
expect_code 414 "a path over 383 bytes is 414, not routed cut short"
expect_in "$T/body" '"error"' "414 has a JSON body"
req GET /v1/triage "$SU01"
expect_code 405 "GET on a POST route is 405"
# Headers share an 8 KiB block per connection (docs/serve.md).
BIG=$(printf '%07000d' 0)
req GET /healthz "" -H "X-Big: $BIG"
expect_code 200 "7,000 bytes of headers are read"
BIG=$(printf '%010000d' 0)
req GET /healthz "" -H "X-Big: $BIG"
expect_code 431 "10,000 bytes of headers are 431"

# ---- authentication and roles ----
req GET /v1/alerts ""
expect_code 401 "no token is 401"
expect_in "$T/body" '"error"' "401 has a JSON body"
req GET /v1/alerts "crt_0000000000000000000000000000000000000000000000000000000000000000"
expect_code 401 "unknown token is 401"
req GET /v1/alerts "$REVOKED"
expect_code 401 "revoked token is 401"
req POST /v1/triage "$READER" -d '{}'
expect_code 403 "a reader may not triage"
req POST /v1/rules/reload "$SU01"
expect_code 403 "a filer may not reload"
req GET /metrics "$SU01"
expect_code 403 "metrics need a token for every court"

# ---- court isolation ----
SU05_CASE=$(sql "$DB" "SELECT case_no FROM cases WHERE court LIKE '苏05%' LIMIT 1")
SU01_CASE=$(sql "$DB" "SELECT case_no FROM cases WHERE court LIKE '苏01%' LIMIT 1")
req GET "/v1/cases/$SU01_CASE" "$SU01"
expect_code 200 "a 苏01 token reads a 苏01 case"
expect_eq "$(jget "$T/body" '$.case.case_no')" "$SU01_CASE" "the case comes back"
req GET "/v1/cases/$SU05_CASE" "$SU01"
expect_code 404 "a 苏01 token gets 404 for a 苏05 case"
sed "s/$SU05_CASE/CASE/" "$T/body" >"$T/other.json"
req GET "/v1/cases/(2024)苏05民初99999号" "$SU01"
expect_code 404 "and for a missing case"
sed "s/(2024)苏05民初99999号/CASE/" "$T/body" >"$T/missing.json"
if cmp -s "$T/other.json" "$T/missing.json"; then ok "another court's case reads exactly like a missing one"; else
    fail "404 bodies differ"; cat "$T/other.json" "$T/missing.json"; fi
req GET "/v1/cases/$SU05_CASE/explain" "$SU01"
expect_code 404 "explain of another court's case is 404"
req GET "/v1/cases/$SU05_CASE/explain" "$SU05"
expect_code 200 "its own court explains it"
expect_eq "$(jq_sql "$T/body" "SELECT json_array_length(j, '\$.results') > 0 FROM d")" 1 "explain has results"

req GET "/v1/alerts?limit=1000" "$SU01"
expect_code 200 "alerts list"
expect_eq "$(jq_sql "$T/body" "SELECT count(*) FROM d, json_each(d.j, '\$.alerts') WHERE json_extract(value, '\$.court') NOT LIKE '苏01%'")" 0 \
    "a 苏01 token lists only 苏01 alerts"
N_SU01=$(jq_sql "$T/body" "SELECT json_array_length(j, '\$.alerts') FROM d")
expect_eq "$N_SU01" "$(sql "$DB" "SELECT count(*) FROM alerts WHERE court LIKE '苏01%'")" "all of them"
req GET "/v1/alerts?court=苏05" "$SU01"
expect_code 403 "filtering by another court is 403"
req GET "/v1/alerts?limit=2" "$SU01"
NEXT=$(jget "$T/body" '$.next_before')
FIRST_PAGE=$(jq_sql "$T/body" "SELECT group_concat(json_extract(value, '\$.id')) FROM d, json_each(d.j, '\$.alerts')")
req GET "/v1/alerts?limit=2&before=$NEXT" "$SU01"
SECOND_PAGE=$(jq_sql "$T/body" "SELECT group_concat(json_extract(value, '\$.id')) FROM d, json_each(d.j, '\$.alerts')")
EXPECTED=$(sql "$DB" "SELECT group_concat(id) FROM (SELECT id FROM alerts WHERE court LIKE '苏01%' ORDER BY id DESC LIMIT 4)")
expect_eq "$FIRST_PAGE,$SECOND_PAGE" "$EXPECTED" "pagination with limit and before"
req GET "/v1/alerts?status=bogus" "$SU01"
expect_code 400 "a bad filter is 400"

# ---- records ----
CASES_BEFORE=$(sql "$DB" "SELECT count(*) FROM cases")
NEW1='{"type":"case","case_no":"(2025)苏01民初900号","court":"苏01","kind":"民事","cause":"民间借贷纠纷","procedure":"普通","filing_date":"2025-03-03","claim_amount":"2000000.00","status":"在办","party_count":12}'
NEW2='{"type":"case","case_no":"(2025)苏01民初901号","court":"苏01","kind":"民事","cause":"买卖合同纠纷","procedure":"简易","filing_date":"2025-03-04","claim_amount":"5000.00","status":"在办","party_count":2}'
BAD='{"type":"case","case_no":"(2025)苏01民初902号","court":"苏01","kind":"民事","filing_date":"2025-13-40","status":"在办"}'
printf '%s\n%s\n' "$NEW1" "$BAD" >"$T/bad.jsonl"
req POST /v1/records "$SU01" -H 'Content-Type: application/x-ndjson' --data-binary @"$T/bad.jsonl"
expect_code 400 "a batch with a bad record is 400"
expect_in "$T/body" "request:2: " "the error names the line, as ingest does"
printf '%s\n' "$BAD" >"$T/bad1.jsonl"
cr ingest "$T/bad1.jsonl"
MSG=$(sed -n 's/^courtrules: [^:]*:1: //p' "$T/err")
expect_in "$T/body" "$MSG" "with ingest's message"
expect_eq "$(sql "$DB" "SELECT count(*) FROM cases")" "$CASES_BEFORE" "nothing of the bad batch landed"
req POST /v1/records "$SU01" -H 'Content-Type: application/json' -d "[$NEW1, $NEW2]"
expect_code 200 "a JSON array of records is stored"
expect_eq "$(jget "$T/body" '$.case.new')" 2 "two new cases"
expect_eq "$(sql "$DB" "SELECT count(*) FROM cases")" "$((CASES_BEFORE + 2))" "both landed"
req POST /v1/records "$SU01" -d '{"type":"case", "case_no": ]'
expect_code 400 "malformed JSON is 400"
expect_eq "$(jget "$T/body" '$.line'):$(jget "$T/body" '$.column')" "1:28" "with the line and column of the error"
expect_in "$T/body" "position" "and the byte position"
SU05_NEW='{"type":"case","case_no":"(2025)苏05民初900号","court":"苏05","kind":"民事","filing_date":"2025-03-03","status":"在办"}'
req POST /v1/records "$SU01" -d "$SU05_NEW"
expect_code 403 "a 苏01 token posting a 苏05 record is 403"
SU05_OLD=$(sql "$DB" "SELECT json_object('type', 'case', 'case_no', case_no, 'court', court,
    'kind', json_extract(doc, '\$.kind'), 'filing_date', json_extract(doc, '\$.filing_date'),
    'status', '在办') FROM cases WHERE case_no = '$SU05_CASE'")
req POST /v1/records "$SU01" -d "$SU05_OLD"
expect_code 403 "also for an existing 苏05 case (its existence is not revealed)"
req POST /v1/records "$SU01" -d "{\"type\":\"event\",\"id\":\"E-1\",\"case_no\":\"$SU05_CASE\",\"event\":\"closed\",\"at\":\"2025-01-01\"}"
expect_code 403 "and for an event of a 苏05 case"

# ---- oversize bodies ----
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big.json"
req POST /v1/records "$SU01" --data-binary @"$T/big.json"
expect_code 413 "a body over --max-body is 413"
req POST /v1/records "$SU01" -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.json"
expect_code 413 "also when chunked (counted while reading)"
req GET /healthz ""
expect_code 200 "the daemon still answers"

# ---- triage and evaluate ----
TRIAGE_CASE='{"case_no":"(2025)苏01民初950号","court":"苏01","kind":"民事","cause":"民间借贷纠纷","procedure":"普通","filing_date":"2025-05-06","claim_amount":"3000.00","status":"在办","party_count":2}'
AUDIT_BEFORE=$(sql "$DB" "SELECT count(*) FROM audit")
CASES_BEFORE=$(sql "$DB" "SELECT count(*) FROM cases")
req POST /v1/triage "$SU01" -d "{\"case\": $TRIAGE_CASE, \"persist\": false, \"as_of\": \"2025-05-10\"}"
expect_code 200 "triage without persisting"
expect_eq "$(jget "$T/body" '$.persisted')" 0 "says it did not persist"
expect_eq "$(jq_sql "$T/body" "SELECT json_type(j, '\$.triage.score') FROM d")" integer "returns the triage score"
expect_eq "$(jq_sql "$T/body" "SELECT json_type(j, '\$.triage.recommended') FROM d")" text "and the recommended procedure"
expect_eq "$(jq_sql "$T/body" "SELECT json_type(j, '\$.triage.reasons') FROM d")" array "and the reasons"
expect_eq "$(jq_sql "$T/body" "SELECT json_array_length(j, '\$.results') > 1 FROM d")" 1 "and every rule's result"
expect_eq "$(sql "$DB" "SELECT count(*) FROM cases"):$(sql "$DB" "SELECT count(*) FROM audit")" \
    "$CASES_BEFORE:$AUDIT_BEFORE" "nothing was written"
req POST /v1/triage "$SU01" -d "{\"case\": $TRIAGE_CASE, \"as_of\": \"2025-05-10\"}"
expect_code 200 "triage persisting (the default)"
expect_eq "$(jget "$T/body" '$.persisted')" 1 "says it persisted"
expect_eq "$(sql "$DB" "SELECT count(*) FROM evaluations WHERE case_no = '(2025)苏01民初950号'")" 1 \
    "the case and its evaluation are stored"
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE seq > $AUDIT_BEFORE AND actor LIKE 'token:%' AND action IN ('ingest.batch', 'eval.run')")" 2 \
    "the write and the run are audited with the token as actor"
req POST /v1/triage "$SU05" -d "{\"case\": $TRIAGE_CASE}"
expect_code 403 "a 苏05 token cannot triage a 苏01 case"
req POST /v1/triage "$SU01" -d '{"case": {"case_no": "not a case number"}}'
expect_code 400 "an invalid case is 400"

req POST /v1/evaluate "$SU01" -d "{\"case_nos\": [\"$SU01_CASE\", \"$SU05_CASE\"], \"persist\": false}"
expect_code 200 "evaluate stored cases"
expect_eq "$(jget "$T/body" '$.evaluations[0].case_no')" "$SU01_CASE" "its own case is evaluated"
expect_eq "$(jget "$T/body" '$.evaluations[1].status')" 404 "another court's is 404 within the list"
req POST /v1/evaluate "$SU01" -d "{\"cases\": [$NEW1, $NEW2], \"persist\": false}"
expect_code 200 "evaluate posted cases"
expect_eq "$(jq_sql "$T/body" "SELECT json_array_length(j, '\$.evaluations') FROM d")" 2 "both evaluated"

# ---- alerts: ack and resolve ----
ALERT=$(sql "$DB" "SELECT id FROM alerts WHERE court LIKE '苏01%' AND status = 'open' ORDER BY id LIMIT 1")
OTHER_ALERT=$(sql "$DB" "SELECT id FROM alerts WHERE court LIKE '苏05%' AND status = 'open' ORDER BY id LIMIT 1")
req POST "/v1/alerts/$ALERT/ack" "$SU01" -d '{"note":"x"}'
expect_code 403 "a filer may not ack"
req POST "/v1/alerts/$ALERT/ack" "$OPER" -d '{"note":"已通知承办法官"}'
expect_code 200 "an operator acks"
expect_eq "$(sql "$DB" "SELECT status FROM alerts WHERE id = $ALERT")" acked "the alert is acked"
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'alert.ack' AND subject = 'alert $ALERT' AND actor LIKE 'token:%' AND detail LIKE '%已通知承办法官%'")" 1 \
    "audited with the token and the note"
req POST "/v1/alerts/$ALERT/ack" "$OPER"
expect_code 409 "acking twice is 409"
req POST "/v1/alerts/$ALERT/resolve" "$OPER" -d '{"note":"已结"}'
expect_code 200 "resolve"
expect_eq "$(sql "$DB" "SELECT status FROM alerts WHERE id = $ALERT")" resolved "the alert is resolved"
req POST "/v1/alerts/$OTHER_ALERT/ack" "$OPER"
expect_code 404 "another court's alert is 404"
sed "s/$OTHER_ALERT/ID/" "$T/body" >"$T/other.json"
req POST "/v1/alerts/99999999/ack" "$OPER"
sed "s/99999999/ID/" "$T/body" >"$T/missing.json"
if cmp -s "$T/other.json" "$T/missing.json"; then ok "exactly like a missing alert"; else fail "alert 404 bodies differ"; fi
expect_eq "$(sql "$DB" "SELECT status FROM alerts WHERE id = $OTHER_ALERT")" open "and it is untouched"

# ---- operations ----
req POST /v1/rules/reload "$ADMIN"
expect_code 200 "reload with an admin token"
expect_eq "$(jget "$T/body" '$.ok')" 1 "reload ok"
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'rules.reload'")" 1 "reload is audited"
req GET /metrics "$ADMIN"
expect_code 200 "metrics"
expect_in "$T/body" "courtrules_evaluations_total" "evaluations counted"
expect_in "$T/body" 'courtrules_http_request_duration_seconds_bucket{route="triage",le="+Inf"}' "durations per route"
expect_in "$T/body" "courtrules_rules_reloads_total{result=\"ok\"} 1" "reloads counted"
expect_in "$T/body" "courtrules_rules_info{fingerprint=\"$FINGERPRINT\"} 1" "the rules fingerprint"
expect_in "$T/body" "courtrules_deliveries_total" "deliveries counter is exposed"

stop_serve
expect_status 0 "SIGTERM exits 0"
expect_in "$T/serve.log" '"event":"stopped"' "the log says stopped"
expect_in "$T/serve.log" '"event":"request"' "requests are logged as JSON lines"
if grep -v '^{.*}$' "$T/serve.log" >/dev/null; then fail "every log line is a JSON object"; grep -v '^{.*}$' "$T/serve.log" | head -3; else ok "every log line is a JSON object"; fi
cr audit verify
expect_status 0 "the audit chain is intact"
start_serve "$T/serve2.log" "$DB" "$RULES" || fail "the daemon starts again after SIGTERM"
stop_serve
expect_status 0 "and stops again"
finish
