#!/bin/sh
# End to end: the daemon's token cache (--token-cache) never outlives a
# revocation by more than its ttl. A token is used until it is cached, then
# revoked by `courtrules token revoke` (another process, as an operator
# would); after the ttl has passed it is refused, while an unrevoked token
# of the same court keeps working. With --token-cache 0 the very next
# request is refused. Cached tokens keep their courts apart.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/serve_lib.sh"

init_with sample-su.jsonl
SU01_CASE=$(sql "$DB" "SELECT case_no FROM cases WHERE court LIKE '苏01%' LIMIT 1")
SU05_CASE=$(sql "$DB" "SELECT case_no FROM cases WHERE court LIKE '苏05%' LIMIT 1")

# newest_token_id: the id of the token created last (each test token is
# created just before this is called).
newest_token_id() { sql "$DB" "SELECT max(id) FROM api_tokens"; }

# ---- revocation_refused_after_cache_ttl ----
start_serve "$T/serve.log" "$DB" "$RULES" --token-cache 500 || { fail "daemon starts"; cat "$T/serve.log"; finish; }
KEEP=$(new_token 苏01 filer)
GONE=$(new_token 苏01 filer)
GONE_ID=$(newest_token_id)
OTHER=$(new_token 苏05 filer)
for i in 1 2 3; do req GET "/v1/cases/$SU01_CASE" "$GONE"; done
expect_code 200 "a token is accepted (and now cached)"
req GET "/v1/cases/$SU05_CASE" "$GONE"
expect_code 404 "a cached 苏01 token still cannot read a 苏05 case"
req GET "/v1/cases/$SU05_CASE" "$OTHER"
expect_code 200 "a 苏05 token reads it"
req GET "/v1/cases/$SU01_CASE" "$OTHER"
expect_code 404 "and the cached 苏05 token cannot read the 苏01 case"
cr token revoke "$GONE_ID"
expect_status 0 "the cached token is revoked by another process"
sleep 0.6 # the ttl (500 ms) has passed, however slow the machine is
req GET "/v1/cases/$SU01_CASE" "$GONE"
expect_code 401 "the revoked token is refused once the cache ttl has passed"
req POST /v1/triage "$GONE" -d '{"persist":false,"case":{}}'
expect_code 401 "on every route"
req GET "/v1/cases/$SU01_CASE" "$KEEP"
expect_code 200 "an unrevoked token of the same court still works"
stop_serve
expect_status 0 "daemon stops"

# ---- revocation_immediate_without_cache ----
start_serve "$T/serve2.log" "$DB" "$RULES" --token-cache 0 || { fail "daemon starts"; cat "$T/serve2.log"; finish; }
req GET "/v1/cases/$SU01_CASE" "$KEEP"
expect_code 200 "without the cache a token is accepted"
cr token revoke "$(sql "$DB" "SELECT id FROM api_tokens WHERE revoked_at IS NULL AND court = '苏01' ORDER BY id LIMIT 1")"
expect_status 0 "and revoked"
req GET "/v1/cases/$SU01_CASE" "$KEEP"
expect_code 401 "the next request is refused"
stop_serve
expect_status 0 "daemon stops"

"$COURTRULES" --db "$DB" --rules "$RULES" serve --listen 127.0.0.1:0 --token-cache 60001 >"$T/out" 2>&1
RC=$?
expect_status 2 "--token-cache over 60000 ms is a usage error"
finish
