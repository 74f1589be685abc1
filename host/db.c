/*
 * db.c -- opening the SQLite file, transactions and schema migrations.
 */
#include "db.h"
#include "db_internal.h"

#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* The outbox triggers (migration 5, made again by 17 with their table). */
#define ALERTS_OUTBOX_TRIGGERS                                                                     \
    "CREATE TRIGGER alerts_outbox_created AFTER INSERT ON alerts BEGIN"                            \
    "  INSERT INTO outbox(webhook_id, alert_id, event, created_ms)"                                \
    "  SELECT w.id, NEW.id, 'firing',"                                                             \
    "         CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"                          \
    "  FROM webhooks w"                                                                            \
    "  WHERE w.removed_at IS NULL"                                                                 \
    "    AND substr(NEW.court, 1, length(w.court_prefix)) = w.court_prefix"                        \
    "    AND (CASE NEW.severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END)"          \
    "        >= w.min_severity"                                                                    \
    "    AND EXISTS (SELECT 1 FROM webhook_codes c"                                                \
    "                WHERE c.webhook_id = w.id AND NEW.code GLOB c.pattern);"                      \
    "END;"                                                                                         \
    "CREATE TRIGGER alerts_outbox_status AFTER UPDATE OF status ON alerts"                         \
    "  WHEN (NEW.status = 'resolved') != (OLD.status = 'resolved') BEGIN"                          \
    "  INSERT INTO outbox(webhook_id, alert_id, event, created_ms)"                                \
    "  SELECT w.id, NEW.id, CASE NEW.status WHEN 'resolved' THEN 'resolved' ELSE 'firing' END,"    \
    "         CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"                          \
    "  FROM webhooks w"                                                                            \
    "  WHERE w.removed_at IS NULL"                                                                 \
    "    AND (NEW.status != 'resolved' OR w.send_resolved)"                                        \
    "    AND substr(NEW.court, 1, length(w.court_prefix)) = w.court_prefix"                        \
    "    AND (CASE NEW.severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END)"          \
    "        >= w.min_severity"                                                                    \
    "    AND EXISTS (SELECT 1 FROM webhook_codes c"                                                \
    "                WHERE c.webhook_id = w.id AND NEW.code GLOB c.pattern);"                      \
    "END;"

/*
 * Schema migrations. Entry i takes the file from user_version i to i+1.
 * Never edit a shipped entry: append a new one.
 *
 * Write a CHECK's enumeration as equalities joined by OR, not as an IN
 * list: SQLite 3.40 codes an IN list of three or more values in a CHECK as
 * a temporary b-tree built anew for every row written (migrations 11 and
 * 17 rewrote messages, alerts and outbox for it; schedules and tokens,
 * written a row at a time and seldom, keep theirs).
 */
static const char *const migrations[] = {
    /* 1: records, ingest batches, audit trail */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE batches("
    "  id INTEGER PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  started_at TEXT NOT NULL,"
    "  finished_at TEXT,"
    "  summary TEXT"
    ");"
    "CREATE TABLE courts("
    "  code TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  level TEXT NOT NULL,"
    "  parent TEXT REFERENCES courts(code),"
    "  doc TEXT NOT NULL,"
    "  batch_id INTEGER NOT NULL REFERENCES batches(id)"
    ");"
    "CREATE TABLE court_staffing("
    "  court TEXT NOT NULL REFERENCES courts(code),"
    "  year INTEGER NOT NULL,"
    "  authorized_staff INTEGER,"
    "  central_special_staff INTEGER,"
    "  quota_allotted INTEGER,"
    "  quota_filled INTEGER,"
    "  admin_staff INTEGER,"
    "  PRIMARY KEY(court, year)"
    ");"
    "CREATE TABLE people("
    "  id TEXT PRIMARY KEY,"
    "  court TEXT NOT NULL REFERENCES courts(code),"
    "  name TEXT NOT NULL,"
    "  roles TEXT NOT NULL,"
    "  division TEXT,"
    "  team TEXT,"
    "  in_quota INTEGER NOT NULL,"
    "  start_date TEXT,"
    "  end_date TEXT,"
    "  doc TEXT NOT NULL,"
    "  batch_id INTEGER NOT NULL REFERENCES batches(id)"
    ");"
    "CREATE INDEX people_court ON people(court);"
    "CREATE TABLE cases("
    "  case_no TEXT PRIMARY KEY,"
    "  court TEXT NOT NULL REFERENCES courts(code),"
    "  year INTEGER NOT NULL,"
    "  type_code TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  cause TEXT,"
    "  procedure TEXT,"
    "  filing_date TEXT NOT NULL,"
    "  claim_fen INTEGER,"
    "  party_count INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  closing_date TEXT,"
    "  doc TEXT NOT NULL,"
    "  batch_id INTEGER NOT NULL REFERENCES batches(id),"
    "  changed_batch INTEGER NOT NULL"
    ");"
    "CREATE INDEX cases_court ON cases(court, status);"
    /* An event belongs to a case, or (monthly reports) to a court only. */
    "CREATE TABLE events("
    "  id TEXT PRIMARY KEY,"
    "  case_no TEXT REFERENCES cases(case_no),"
    "  court TEXT NOT NULL REFERENCES courts(code),"
    "  type TEXT NOT NULL,"
    "  at TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  batch_id INTEGER NOT NULL REFERENCES batches(id)"
    ");"
    "CREATE INDEX events_case ON events(case_no, at);"
    "CREATE INDEX events_court ON events(court, type, at);"
    "CREATE TABLE audit("
    "  seq INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL"
    ");"
    /* Append-only at the SQL level too; `audit verify` catches what gets past. */
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",

    /* 2: evaluation -- runs, results, alerts, failures, rule health */
    "CREATE TABLE rule_sets("
    "  sha256 TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  scope TEXT NOT NULL,"
    "  manifest TEXT NOT NULL,"
    "  first_seen_at TEXT NOT NULL"
    ");"
    "CREATE TABLE eval_runs("
    "  id INTEGER PRIMARY KEY,"
    "  as_of TEXT NOT NULL,"
    "  scope TEXT NOT NULL,"
    "  started_at TEXT NOT NULL,"
    "  finished_at TEXT,"
    "  summary TEXT"
    ");"
    /* One row per evaluated case: the results of every rule that applied, as
     * a JSON array, with the as-of date and the fingerprint of the rule sets
     * (one row, not one per rule, keeps a 10-rule evaluation to one write). */
    "CREATE TABLE evaluations("
    "  case_no TEXT PRIMARY KEY REFERENCES cases(case_no),"
    "  run_id INTEGER NOT NULL REFERENCES eval_runs(id),"
    "  as_of TEXT NOT NULL,"
    "  rules_fingerprint TEXT NOT NULL,"
    "  evaluated_batch INTEGER NOT NULL,"
    "  evaluated_at TEXT NOT NULL,"
    "  date_dependent INTEGER NOT NULL,"
    "  results TEXT NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE alerts("
    "  id INTEGER PRIMARY KEY,"
    "  dedup_key TEXT NOT NULL UNIQUE,"
    "  rule_set TEXT NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  rule_version TEXT,"
    "  rule_set_sha TEXT NOT NULL,"
    "  code TEXT NOT NULL,"
    "  severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),"
    "  court TEXT NOT NULL,"
    "  case_no TEXT,"
    "  message TEXT NOT NULL,"
    "  basis TEXT,"
    "  data TEXT,"
    "  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acked', 'resolved')),"
    "  as_of TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  last_seen_at TEXT NOT NULL,"
    "  resolved_at TEXT,"
    "  run_id INTEGER NOT NULL"
    ");"
    "CREATE INDEX alerts_case ON alerts(case_no, rule_set, rule);"
    "CREATE INDEX alerts_court ON alerts(court, status, created_at);"
    "CREATE TABLE failures("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL,"
    "  rule_set TEXT NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  case_no TEXT,"
    "  kind TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  at TEXT NOT NULL"
    ");"
    "CREATE INDEX failures_case ON failures(case_no);"
    "CREATE TABLE rule_health("
    "  rule_set TEXT NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  consecutive_failures INTEGER NOT NULL DEFAULT 0,"
    "  quarantined_at TEXT,"
    "  reason TEXT,"
    "  PRIMARY KEY (rule_set, rule)"
    ");",

    /* 3: court-level rules (on_court): one row per evaluated court */
    "CREATE TABLE court_evaluations("
    "  court TEXT PRIMARY KEY REFERENCES courts(code),"
    "  run_id INTEGER NOT NULL REFERENCES eval_runs(id),"
    "  as_of TEXT NOT NULL,"
    "  rules_fingerprint TEXT NOT NULL,"
    "  evaluated_at TEXT NOT NULL,"
    "  results TEXT NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX alerts_court_level ON alerts(court) WHERE case_no IS NULL;",

    /* 4: covering indexes for `eval --changed`: finding the cases to
     * re-evaluate reads these small indexes, not the documents. */
    "CREATE INDEX cases_changed ON cases(case_no, changed_batch, court);"
    "CREATE INDEX evaluations_state ON evaluations(case_no, evaluated_batch,"
    " rules_fingerprint, date_dependent, as_of);",

    /* 5: webhook endpoints and the outbox. The triggers write an alert's
     * outbox rows (one per matching endpoint) in the transaction that
     * creates, resolves or reopens it, whichever command does it; delivery
     * turns outbox rows into messages (grouped or one each) and sends them
     * after commit. Times used for scheduling are Unix milliseconds. */
    /* message ids are derived from this database's own random id and the
     * outbox rows they carry (deliver.c) */
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('webhook_instance', "
    "lower(hex(randomblob(16))));"
    "CREATE TABLE webhooks("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  url TEXT NOT NULL,"
    "  format TEXT NOT NULL,"
    "  secret TEXT,"
    "  secret_previous TEXT,"
    "  court_prefix TEXT NOT NULL DEFAULT '',"
    "  min_severity INTEGER NOT NULL DEFAULT 0,"
    "  codes TEXT NOT NULL DEFAULT '*',"
    "  max_in_flight INTEGER NOT NULL,"
    "  rate_per_s REAL NOT NULL,"
    "  timeout_ms INTEGER NOT NULL,"
    "  group_window_ms INTEGER NOT NULL,"
    "  repeat_interval_ms INTEGER NOT NULL,"
    "  send_resolved INTEGER NOT NULL,"
    "  retry_schedule TEXT NOT NULL,"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  disabled_reason TEXT,"
    "  created_at TEXT NOT NULL,"
    "  removed_at TEXT"
    ");"
    "CREATE UNIQUE INDEX webhooks_name ON webhooks(name) WHERE removed_at IS NULL;"
    "CREATE TABLE webhook_codes("
    "  webhook_id INTEGER NOT NULL REFERENCES webhooks(id),"
    "  pattern TEXT NOT NULL"
    ");"
    "CREATE INDEX webhook_codes_id ON webhook_codes(webhook_id);"
    "CREATE TABLE outbox("
    "  id INTEGER PRIMARY KEY,"
    "  webhook_id INTEGER NOT NULL REFERENCES webhooks(id),"
    "  alert_id INTEGER NOT NULL REFERENCES alerts(id),"
    "  event TEXT NOT NULL CHECK (event IN ('firing', 'resolved', 'repeat')),"
    "  created_ms INTEGER NOT NULL,"
    "  message INTEGER" /* messages.id once sent in one; -1 cancelled */
    ");"
    "CREATE INDEX outbox_pending ON outbox(webhook_id, id) WHERE message IS NULL;"
    "CREATE INDEX outbox_alert ON outbox(alert_id, webhook_id, created_ms);"
    "CREATE INDEX outbox_message ON outbox(message) WHERE message IS NOT NULL;"
    /* msg_id is the webhook-id receivers see; the body is made once and
     * sent as it is on every attempt. */
    "CREATE TABLE messages("
    "  id INTEGER PRIMARY KEY,"
    "  msg_id TEXT NOT NULL,"
    "  webhook_id INTEGER NOT NULL REFERENCES webhooks(id),"
    "  created_ms INTEGER NOT NULL,"
    "  alerts INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN"
    "    ('pending', 'delivered', 'rejected', 'dead', 'cancelled')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_ms INTEGER NOT NULL,"
    "  last_status INTEGER,"
    "  last_error TEXT,"
    "  finished_ms INTEGER,"
    "  body TEXT NOT NULL"
    ");"
    "CREATE INDEX messages_due ON messages(webhook_id, next_attempt_ms) WHERE state = 'pending';"
    "CREATE INDEX messages_finished ON messages(finished_ms) WHERE state IN ('rejected', 'dead');"
    "CREATE TABLE delivery_attempts("
    "  id INTEGER PRIMARY KEY,"
    "  message INTEGER NOT NULL REFERENCES messages(id),"
    "  webhook_id INTEGER NOT NULL,"
    "  attempt INTEGER NOT NULL,"
    "  at TEXT NOT NULL,"
    "  http_status INTEGER,"
    "  latency_ms INTEGER NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  error TEXT,"
    "  response TEXT,"
    "  next_attempt_ms INTEGER"
    ");"
    "CREATE INDEX delivery_attempts_message ON delivery_attempts(message, "
    "attempt);" ALERTS_OUTBOX_TRIGGERS,

    /* 6: schedules declared by rules (sched_run.c): per schedule, the
     * latest fire time handled, the last outcome, and the "running" mark
     * that keeps two runs of one schedule from overlapping. Times are UTC
     * seconds since 1970 (datetime(x, 'unixepoch') reads them). */
    "CREATE TABLE schedules("
    "  rule_set TEXT NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  schedule TEXT NOT NULL,"
    "  cron TEXT NOT NULL,"
    "  tz TEXT NOT NULL,"
    "  seen_from INTEGER NOT NULL," /* fire times before it are never due */
    "  last_fire INTEGER,"          /* the latest fire time run, collapsed or skipped */
    "  last_status TEXT CHECK (last_status IN ('ok', 'failed', 'skipped', 'quarantined')),"
    "  last_reason TEXT,"
    "  last_run_id INTEGER,"
    "  last_finished_at TEXT,"
    "  running_since INTEGER," /* set while a run is under way */
    "  runs INTEGER NOT NULL DEFAULT 0,"
    "  failures INTEGER NOT NULL DEFAULT 0,"
    "  missed INTEGER NOT NULL DEFAULT 0," /* fire times dropped or collapsed by catch-up */
    "  PRIMARY KEY (rule_set, rule, schedule)"
    ") WITHOUT ROWID;",

    /* 7: API bearer tokens for `serve`: only their SHA-256 is stored; each
     * is limited to a court-code prefix ("*" = every court) and one role. */
    "CREATE TABLE api_tokens("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL UNIQUE,"
    "  court TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK(role IN ('reader','filer','operator','admin')),"
    "  created_at TEXT NOT NULL,"
    "  created_by TEXT NOT NULL,"
    "  revoked_at TEXT"
    ");",

    /* 8: evaluations becomes a rowid table, same columns. A results row is
     * about 2 KB; in a WITHOUT ROWID table (an index b-tree) at most about
     * 1 KB of a row stays on its 4 KB page and the rest takes an overflow
     * page of its own, so every row cost two pages and most of the bytes
     * an evaluation wrote (twice: WAL, then checkpoint) were padding. A
     * rowid table keeps up to a page's worth of a row in place. */
    "CREATE TABLE evaluations_rowid("
    "  case_no TEXT PRIMARY KEY REFERENCES cases(case_no),"
    "  run_id INTEGER NOT NULL REFERENCES eval_runs(id),"
    "  as_of TEXT NOT NULL,"
    "  rules_fingerprint TEXT NOT NULL,"
    "  evaluated_batch INTEGER NOT NULL,"
    "  evaluated_at TEXT NOT NULL,"
    "  date_dependent INTEGER NOT NULL,"
    "  results TEXT NOT NULL"
    ");"
    "INSERT INTO evaluations_rowid(case_no, run_id, as_of, rules_fingerprint, evaluated_batch,"
    " evaluated_at, date_dependent, results)"
    " SELECT case_no, run_id, as_of, rules_fingerprint, evaluated_batch, evaluated_at,"
    " date_dependent, results FROM evaluations ORDER BY case_no;"
    "DROP TABLE evaluations;" /* and its index evaluations_state */
    "ALTER TABLE evaluations_rowid RENAME TO evaluations;"
    "CREATE INDEX evaluations_state ON evaluations(case_no, evaluated_batch,"
    " rules_fingerprint, date_dependent, as_of);",

    /* 9: the last ingest batch a court evaluation saw, so that `eval
     * --changed` runs a court's on_court rules again only when data of the
     * court or a court under it came in since (0: always). */
    "ALTER TABLE court_evaluations ADD COLUMN evaluated_batch INTEGER NOT NULL DEFAULT 0;",

    /* 10: every rule version that ever ran, by number. Results stored from
     * now on name their rule by this id ({"r":ID,"v":VALUE,"us":N}) instead
     * of spelling out set, rule and version in every case's row: with 12
     * rules that was about two thirds of a row, and at a million cases
     * gigabytes written twice (WAL, checkpoint). Rows stored before keep the
     * verbose form; explain reads both. */
    "CREATE TABLE rule_versions("
    "  id INTEGER PRIMARY KEY,"
    "  rule_set TEXT NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  UNIQUE(rule_set, rule, version)"
    ");"
    /* Each rule's result of each case, one row each, whichever form its row
     * was stored in: the way to read results with SQL (reports, tests).
     * value and log are JSON text. */
    "CREATE VIEW evaluation_results AS SELECT e.case_no, e.run_id, e.as_of, e.evaluated_at,"
    " coalesce(v.rule_set, r.value ->> '$.rule_set') AS rule_set,"
    " coalesce(v.rule, r.value ->> '$.rule') AS rule,"
    " coalesce(v.version, r.value ->> '$.rule_version') AS rule_version,"
    " coalesce(r.value ->> '$.status', 'ok') AS status,"
    " CASE WHEN v.id IS NULL THEN r.value -> '$.result.value' ELSE r.value -> '$.v' END"
    "   AS value,"
    " CASE WHEN v.id IS NULL THEN r.value -> '$.result.log' ELSE r.value -> '$.log' END AS log,"
    " r.value ->> '$.reason' AS reason,"
    " coalesce(r.value ->> '$.us', r.value ->> '$.duration_us') AS duration_us"
    " FROM evaluations e JOIN json_each(e.results) r"
    " LEFT JOIN rule_versions v ON v.id = r.value ->> '$.r';",

    /* 11: messages again, its state CHECK written as equalities. SQLite
     * codes a CHECK's IN list of more than two values as a temporary
     * b-tree built anew for every row written, which took about a third
     * of the time of storing a message and of recording its attempt. The
     * table is copied, dropped and made again under the same name, so the
     * delivery_attempts foreign key points at it unchanged; the foreign
     * key check is deferred meanwhile (the rows come back before commit). */
    "PRAGMA defer_foreign_keys=ON;"
    "CREATE TABLE messages_copy AS SELECT * FROM messages;"
    "DROP TABLE messages;" /* and its indexes */
    "CREATE TABLE messages("
    "  id INTEGER PRIMARY KEY,"
    "  msg_id TEXT NOT NULL,"
    "  webhook_id INTEGER NOT NULL REFERENCES webhooks(id),"
    "  created_ms INTEGER NOT NULL,"
    "  alerts INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state = 'pending' OR state = 'delivered'"
    "    OR state = 'rejected' OR state = 'dead' OR state = 'cancelled'),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_ms INTEGER NOT NULL,"
    "  last_status INTEGER,"
    "  last_error TEXT,"
    "  finished_ms INTEGER,"
    "  body TEXT NOT NULL"
    ");"
    "INSERT INTO messages(id, msg_id, webhook_id, created_ms, alerts, state, attempts,"
    " next_attempt_ms, last_status, last_error, finished_ms, body)"
    " SELECT id, msg_id, webhook_id, created_ms, alerts, state, attempts, next_attempt_ms,"
    " last_status, last_error, finished_ms, body FROM messages_copy ORDER BY id;"
    "DROP TABLE messages_copy;"
    "CREATE INDEX messages_due ON messages(webhook_id, next_attempt_ms) WHERE state = 'pending';"
    "CREATE INDEX messages_finished ON messages(finished_ms) WHERE state IN ('rejected', 'dead');",

    /* 12: `eval --changed` finds its cases from what changed (the
     * evaluation mark, db_eval.h) instead of reading every case's state:
     * cases by the batch that last changed them, date-dependent
     * evaluations by their as-of date. evaluations_state goes: a full run
     * inserted into it at a random place for every case (a page written,
     * twice, per case at a million cases) and every re-evaluation moved
     * its entry. */
    "DROP INDEX evaluations_state;"
    "CREATE INDEX cases_batch ON cases(changed_batch);"
    "CREATE INDEX evaluations_dated ON evaluations(as_of) WHERE date_dependent;",

    /* 13: a case's events in the order the evaluator reads them, (at, id),
     * straight from the index. With (case_no, at) every case read sorted
     * its events in a temporary b-tree for the id tie-break: about a third
     * of the instructions of reading a case. The id adds about 12 bytes per
     * entry; the index is rebuilt once here (some seconds per million
     * events). */
    "DROP INDEX events_case;"
    "CREATE INDEX events_case ON events(case_no, at, id);",

    /* 14: the judges of each case, one row per person id and case, so that
     * ctx.query's judge filter (db_query.c) looks a judge up instead of
     * parsing the document of every case in its range. Ingest keeps it in
     * step with cases.doc (db_records.c, which states the invariant); no
     * triggers: parsing each document again in SQL made ingest about a
     * quarter more CPU. A row holds every value the filter used to compare
     * with a judge id: each text value of json_each(doc, '$.judges') and a
     * text doc.presiding (only text equals a bound id). Existing cases are
     * copied in here. */
    "CREATE TABLE case_judges("
    "  judge TEXT NOT NULL,"
    "  case_no TEXT NOT NULL,"
    "  PRIMARY KEY (judge, case_no)"
    ") WITHOUT ROWID;"
    "INSERT OR IGNORE INTO case_judges(judge, case_no)"
    " SELECT j.value, c.case_no FROM cases c, json_each(c.doc, '$.judges') j"
    " WHERE typeof(j.value) = 'text'"
    " UNION SELECT c.doc ->> '$.presiding', c.case_no FROM cases c"
    " WHERE typeof(c.doc ->> '$.presiding') = 'text';",

    /* 15: cases_court gains both dates, so that ctx.query's date ranges
     * within a court range (db_query.c) are tested on the index and only
     * the cases inside them are read: a quarter of a high court's prefix
     * read every case of the province. It replaces cases_court rather than
     * joining it: a second index on cases cost ingest an insert per case,
     * this one about 22 bytes more per entry, and court plus status still
     * leads it for the queries that used cases_court. */
    "DROP INDEX cases_court;"
    "CREATE INDEX cases_court_dates ON cases(court, status, closing_date, filing_date);",

    /* 16: case_judges carries its case's court and closing date, so that
     * ctx.query's judge filter (db_query.c) keeps a judge's cases of one
     * court and quarter -- a court leader's handled cases -- from the
     * judge's own rows, and fetches only those from cases: it fetched every
     * case the judge ever had (a few thousand for a busy judge, each a
     * lookup by case number) to test its court and closing date. Ingest
     * writes both with the row (db_records.c); a case's court never
     * changes and its closing date only with its document, when its rows
     * are written again. */
    "CREATE TABLE case_judges_dated("
    "  judge TEXT NOT NULL,"
    "  case_no TEXT NOT NULL,"
    "  court TEXT NOT NULL,"
    "  closing_date TEXT,"
    "  PRIMARY KEY (judge, case_no)"
    ") WITHOUT ROWID;"
    "INSERT INTO case_judges_dated(judge, case_no, court, closing_date)"
    " SELECT j.judge, j.case_no, c.court, c.closing_date"
    " FROM case_judges j JOIN cases c ON c.case_no = j.case_no;"
    "DROP TABLE case_judges;"
    "ALTER TABLE case_judges_dated RENAME TO case_judges;",

    /* 17: alerts and outbox again, their CHECKs written as equalities (as
     * 11 did for messages): each IN list of three values was a temporary
     * b-tree built anew for every row written -- two per alert stored,
     * about half the instructions of storing one, and one per outbox row.
     * Both tables are copied, dropped (with their indexes and the outbox
     * triggers) and made again under the same names, with the same ids, so
     * outbox's foreign key points at the new alerts; the check is deferred
     * meanwhile. The triggers come back last: made before the alerts are
     * copied back, they would queue every alert again. */
    "PRAGMA defer_foreign_keys=ON;"
    "CREATE TABLE alerts_copy AS SELECT * FROM alerts;"
    "CREATE TABLE outbox_copy AS SELECT * FROM outbox;"
    "DROP TABLE outbox;"
    "DROP TABLE alerts;"
    "CREATE TABLE alerts("
    "  id INTEGER PRIMARY KEY,"
    "  dedup_key TEXT NOT NULL UNIQUE,"
    "  rule_set TEXT NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  rule_version TEXT,"
    "  rule_set_sha TEXT NOT NULL,"
    "  code TEXT NOT NULL,"
    "  severity TEXT NOT NULL"
    "    CHECK (severity = 'info' OR severity = 'warning' OR severity = 'critical'),"
    "  court TEXT NOT NULL,"
    "  case_no TEXT,"
    "  message TEXT NOT NULL,"
    "  basis TEXT,"
    "  data TEXT,"
    "  status TEXT NOT NULL DEFAULT 'open'"
    "    CHECK (status = 'open' OR status = 'acked' OR status = 'resolved'),"
    "  as_of TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  last_seen_at TEXT NOT NULL,"
    "  resolved_at TEXT,"
    "  run_id INTEGER NOT NULL"
    ");"
    "INSERT INTO alerts(id, dedup_key, rule_set, rule, rule_version, rule_set_sha, code,"
    " severity, court, case_no, message, basis, data, status, as_of, created_at, last_seen_at,"
    " resolved_at, run_id)"
    " SELECT id, dedup_key, rule_set, rule, rule_version, rule_set_sha, code, severity, court,"
    " case_no, message, basis, data, status, as_of, created_at, last_seen_at, resolved_at, run_id"
    " FROM alerts_copy ORDER BY id;"
    "CREATE INDEX alerts_case ON alerts(case_no, rule_set, rule);"
    "CREATE INDEX alerts_court ON alerts(court, status, created_at);"
    "CREATE INDEX alerts_court_level ON alerts(court) WHERE case_no IS NULL;"
    "CREATE TABLE outbox("
    "  id INTEGER PRIMARY KEY,"
    "  webhook_id INTEGER NOT NULL REFERENCES webhooks(id),"
    "  alert_id INTEGER NOT NULL REFERENCES alerts(id),"
    "  event TEXT NOT NULL CHECK (event = 'firing' OR event = 'resolved' OR event = 'repeat'),"
    "  created_ms INTEGER NOT NULL,"
    "  message INTEGER" /* messages.id once sent in one; -1 cancelled */
    ");"
    "INSERT INTO outbox(id, webhook_id, alert_id, event, created_ms, message)"
    " SELECT id, webhook_id, alert_id, event, created_ms, message FROM outbox_copy ORDER BY id;"
    "CREATE INDEX outbox_pending ON outbox(webhook_id, id) WHERE message IS NULL;"
    "CREATE INDEX outbox_alert ON outbox(alert_id, webhook_id, created_ms);"
    "CREATE INDEX outbox_message ON outbox(message) WHERE message IS NOT NULL;"
    "DROP TABLE alerts_copy;"
    "DROP TABLE outbox_copy;" ALERTS_OUTBOX_TRIGGERS,
    /* 18: cases_batch carries the court: which courts have cases changed
     * after a batch (db_eval_courts_current) is then read from the index
     * alone, without a row lookup per changed case. */
    "DROP INDEX cases_batch;"
    "CREATE INDEX cases_batch ON cases(changed_batch, court);",
    /* 19: how many cases each court filed on each day, kept by ingest
     * (db_records.c, the only writer of cases), so that a count over a
     * filing window (staffing's caseload of a province: ctx.query.count_cases
     * with only a court and filed_from/filed_to) adds up days instead of
     * visiting every case in the window (db_query.c). Triggers would keep it
     * too, but cost an ingest 13% (a statement journal per INSERT). */
    "CREATE TABLE case_day_counts("
    "  court TEXT NOT NULL,"
    "  filing_date TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  PRIMARY KEY (court, filing_date)"
    ") WITHOUT ROWID;"
    "INSERT INTO case_day_counts(court, filing_date, n)"
    " SELECT court, filing_date, count(*) FROM cases GROUP BY court, filing_date;",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int db_schema_version(void)
{
    return N_MIGRATIONS;
}

const char *db_path(const cr_db *db)
{
    return db->path;
}

void *db_handle(cr_db *db)
{
    return db->sql;
}

void db_format_ms(int64_t ms, char out[26])
{
    /* Formatted once per second per thread: the evaluator stamps every
     * case it stores, delivery every message it renders, and gmtime_r +
     * strftime cost more than the copy. */
    static _Thread_local time_t last = (time_t)-1;
    static _Thread_local char text[26];
    time_t t = (time_t)(ms / 1000) + 8 * 3600; /* Asia/Shanghai has no DST */
    if (t != last) {
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
        last = t;
    }
    memcpy(out, text, sizeof text);
}

void db_now(char out[26])
{
    db_format_ms((int64_t)time(NULL) * 1000, out);
}

cr_status db_sqlerr(cr_db *db, cr_err *err, const char *what)
{
    return cr_errf(err, CR_FAIL, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->sql));
}

sqlite3_stmt *db_stmt(cr_db *db, sqlite3_stmt **slot, const char *sql, cr_err *err)
{
    if (*slot) {
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
        return *slot;
    }
    if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
        db_sqlerr(db, err, "prepare");
        *slot = NULL;
    }
    return *slot;
}

void db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

cr_status db_step_done(cr_db *db, sqlite3_stmt *st, const char *what, cr_err *err)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    cr_status result = rc == SQLITE_DONE ? CR_OK : db_sqlerr(db, err, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return result;
}

cr_status db_exec(cr_db *db, const char *sql, cr_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cr_status st = cr_errf(err, CR_FAIL, "%s: %s", db->path, msg ? msg : "error");
        sqlite3_free(msg);
        return st;
    }
    return CR_OK;
}

/* Magic numbers from statfs(2) of filesystems where SQLite's locking is
 * unreliable; WAL needs shared memory on one host. */
static const struct {
    unsigned long magic;
    const char *name;
} network_filesystems[] = {
    {0x6969, "NFS"},
    {0xFF534D42, "CIFS"},
    {0xFE534D42, "SMB2"},
    {0x517B, "SMB"},
    {0x01021997, "9P"},
    {0x00C36400, "CephFS"},
    {0x5346414F, "AFS"},
    {0x73757245, "Coda"},
    {0x47504653, "GPFS"},
    {0x0BD00BD0, "Lustre"},
    {0x65735546, "FUSE (possibly a network mount)"},
};

static cr_status refuse_network_fs(const char *path, cr_err *err)
{
    const char *allow = getenv("COURTRULES_ALLOW_NETWORK_FS");
    if (allow && strcmp(allow, "1") == 0)
        return CR_OK;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    struct statfs fs;
    if (statfs(dirname(dir), &fs) != 0)
        return CR_OK; /* the open itself will report a missing directory */
    for (size_t i = 0; i < sizeof network_filesystems / sizeof network_filesystems[0]; i++)
        if ((unsigned long)fs.f_type == network_filesystems[i].magic)
            return cr_errf(err, CR_INVALID,
                           "%s: refusing a database on a network filesystem (%s): SQLite locking "
                           "and WAL need a local disk (set COURTRULES_ALLOW_NETWORK_FS=1 to "
                           "override at your own risk)",
                           path, network_filesystems[i].name);
    return CR_OK;
}

int db_user_version(cr_db *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

/* Process-wide SQLite settings, made once before the library initializes
 * (sqlite3_config refuses them afterwards; a refusal leaves the defaults).
 * Memory statistics are off: with them every allocation and free inside
 * SQLite takes a global mutex to count bytes nobody reads (no soft heap
 * limit, no sqlite3_memory_used here). A library built without its
 * lookaside allocator, as Debian's is, makes about 28 of each for a webhook
 * message stored and its attempt recorded. */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

cr_status db_open(const char *path, enum db_open_mode mode, cr_db **out, cr_err *err)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, configure_sqlite);
    *out = NULL;
    if (mode != DB_OPEN_CREATE && access(path, F_OK) != 0)
        return cr_errf(err, CR_INVALID, "%s: no such database (run `courtrules init` first)", path);
    cr_status st = refuse_network_fs(path, err);
    if (st != CR_OK)
        return st;

    cr_db *db = calloc(1, sizeof *db);
    if (!db)
        return cr_errf(err, CR_FAIL, "out of memory");
    snprintf(db->path, sizeof db->path, "%s", path);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (mode == DB_OPEN_CREATE)
        flags |= SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &db->sql, flags, NULL) != SQLITE_OK) {
        st = cr_errf(err, CR_FAIL, "%s: cannot open: %s", path,
                     db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(db->sql, 1);
    sqlite3_busy_timeout(db->sql, 5000);
    /* journal_mode is answered with a row; check it really is WAL. */
    sqlite3_stmt *pragma;
    if (sqlite3_prepare_v2(db->sql, "PRAGMA journal_mode=WAL", -1, &pragma, NULL) != SQLITE_OK) {
        st = cr_errf(err, CR_FAIL, "%s: not a usable SQLite database: %s", path,
                     sqlite3_errmsg(db->sql));
        goto fail;
    }
    int rc = sqlite3_step(pragma);
    const char *jm = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(pragma, 0) : NULL;
    int is_wal = jm && strcmp(jm, "wal") == 0;
    sqlite3_finalize(pragma);
    if (!is_wal) {
        st = cr_errf(err, CR_FAIL, "%s: cannot switch to WAL mode: %s", path,
                     rc == SQLITE_ROW ? "journal mode unchanged" : sqlite3_errmsg(db->sql));
        goto fail;
    }
    st = db_exec(db,
                 "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
                 err);
    if (st == CR_OK)
        st = db_set_cache_mb(db, DB_CACHE_MB, err);
    if (st != CR_OK)
        goto fail;

    int version = db_user_version(db);
    if (version > N_MIGRATIONS) {
        st = cr_errf(err, CR_INVALID,
                     "%s: database schema version %d is newer than this courtrules (%d); "
                     "upgrade courtrules",
                     path, version, N_MIGRATIONS);
        goto fail;
    }
    if (mode != DB_OPEN_CREATE && version < N_MIGRATIONS) {
        st = cr_errf(err, CR_INVALID,
                     "%s: database schema version %d needs migration to %d (run `courtrules "
                     "init`)",
                     path, version, N_MIGRATIONS);
        goto fail;
    }
    if (mode == DB_OPEN_QUERY_ONLY && (st = db_exec(db, "PRAGMA query_only=1", err)) != CR_OK)
        goto fail;
    *out = db;
    return CR_OK;
fail:
    db_close(db);
    return st;
}

void db_close(cr_db *db)
{
    if (!db)
        return;
    db_records_finalize(db);
    db_audit_finalize(db);
    db_eval_finalize(db);
    db_webhook_finalize(db);
    sqlite3_close(db->sql);
    free(db);
}

cr_status db_migrate(cr_db *db, int *from, int *to, cr_err *err)
{
    int version = db_user_version(db);
    if (from)
        *from = version;
    if (to)
        *to = version;
    if (version > N_MIGRATIONS)
        return cr_errf(err, CR_INVALID, "%s: schema version %d is newer than this courtrules (%d)",
                       db->path, version, N_MIGRATIONS);
    if (version == N_MIGRATIONS)
        return CR_OK;
    cr_status st = db_begin(db, err);
    if (st != CR_OK)
        return st;
    for (int v = version; v < N_MIGRATIONS; v++) {
        st = db_exec(db, migrations[v], err);
        if (st != CR_OK) {
            cr_err_prefix(err, "migration %d -> %d", v, v + 1);
            db_rollback(db);
            return st;
        }
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", N_MIGRATIONS);
    if ((st = db_exec(db, sql, err)) != CR_OK) {
        db_rollback(db);
        return st;
    }
    if ((st = db_commit(db, err)) != CR_OK)
        return st;
    if (to)
        *to = N_MIGRATIONS;
    return CR_OK;
}

cr_status db_begin(cr_db *db, cr_err *err)
{
    cr_status st = db_exec(db, "BEGIN IMMEDIATE", err);
    if (st == CR_OK)
        db->in_tx = 1;
    return st;
}

cr_status db_commit(cr_db *db, cr_err *err)
{
    cr_status st = db_exec(db, "COMMIT", err);
    if (st == CR_OK)
        db->in_tx = 0;
    else
        db_rollback(db);
    return st;
}

cr_status db_meta_get(cr_db *db, const char *key, char *buf, size_t size, int *found, cr_err *err)
{
    sqlite3_stmt *st;
    *found = 0;
    if (sqlite3_prepare_v2(db->sql, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return db_sqlerr(db, err, "meta");
    db_bind_text(st, 1, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
        *found = 1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CR_OK : db_sqlerr(db, err, "meta");
}

cr_status db_meta_set(cr_db *db, const char *key, const char *value, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", -1,
                           &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "meta");
    db_bind_text(st, 1, key);
    db_bind_text(st, 2, value);
    cr_status result = db_step_done(db, st, "meta", err);
    sqlite3_finalize(st);
    return result;
}

cr_status db_end(cr_db *db, cr_status st, cr_err *err)
{
    if (st == CR_OK)
        return db_commit(db, err);
    db_rollback(db);
    return st;
}

cr_status db_set_synchronous(cr_db *db, int full, cr_err *err)
{
    return db_exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", err);
}

cr_status db_set_cache_mb(cr_db *db, int mb, cr_err *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", mb * 1000);
    return db_exec(db, sql, err);
}

void db_rollback(cr_db *db)
{
    if (!sqlite3_get_autocommit(db->sql))
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
    db->in_tx = 0;
}

cr_status db_integrity_check(cr_db *db, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "integrity_check");
    cr_status result = CR_OK;
    if (sqlite3_step(st) != SQLITE_ROW)
        result = db_sqlerr(db, err, "integrity_check");
    else if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
        result = cr_errf(err, CR_FAIL, "%s: integrity check: %s", db->path,
                         (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return result;
}
