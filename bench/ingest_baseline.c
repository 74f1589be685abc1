/*
 * ingest_baseline.c -- the storage floor the ingest benchmark compares with.
 *
 * usage: ingest_baseline DB JSONL
 *
 * DB must exist and be migrated (`courtrules --db DB init`). The file is read
 * line by line and stored in one transaction through one prepared INSERT per
 * table, with the pragmas of host/db.c (WAL, synchronous=FULL,
 * foreign_keys=ON, the same cache size). Column values are taken with a
 * minimal JSON scan, not validated: the point is what storing the rows costs,
 * so that `courtrules ingest` can be judged as a ratio of it.
 *
 * What is stored, and what `courtrules ingest` does that this does not:
 *  - courts (with court_staffing rows), people, cases and events all get their
 *    rows, with the same columns; doc is the input line as is (the real
 *    ingester stores the validated, normalized document);
 *  - an event's court is its own `court` field, else its case's court (the
 *    previous line's case, or a SELECT); timestamps are stored unnormalized;
 *  - one batches row is written; there is no key lookup before the insert
 *    (the database is expected to be fresh), no UPDATE of cases.changed_batch
 *    per event, no validation, reference checking or audit entry.
 *
 * Prints "baseline: N cases in S s = R cases/s", then the other counts.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a minimal JSON scan: top-level keys and the raw text of their values ---- */

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct member {
    span key, value;
} member;

#define MAX_MEMBERS 40

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* p at the opening quote; returns the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            if (*p == '"') {
                if (!(p = skip_string(p, end)))
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return NULL;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
           *p != '\r' && *p != '\n')
        p++;
    return p;
}

/* The members of the object in [p, end); returns their number or -1. */
static int scan_object(const char *p, const char *end, member *out, int max)
{
    int n = 0;
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return 0;
    while (p < end && n < max) {
        if (*p != '"')
            return -1;
        const char *k = p;
        if (!(p = skip_string(p, end)))
            return -1;
        out[n].key = (span){k + 1, (size_t)(p - k - 2)};
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return -1;
        p = skip_ws(p + 1, end);
        const char *v = p;
        if (!(p = skip_value(p, end)))
            return -1;
        out[n++].value = (span){v, (size_t)(p - v)};
        p = skip_ws(p, end);
        if (p < end && *p == '}')
            return n;
        if (p >= end || *p != ',')
            return -1;
        p = skip_ws(p + 1, end);
    }
    return -1;
}

static const span *member_get(const member *m, int n, const char *key)
{
    size_t len = strlen(key);
    for (int i = 0; i < n; i++)
        if (m[i].key.n == len && memcmp(m[i].key.p, key, len) == 0)
            return &m[i].value;
    return NULL;
}

/* Per-line scratch space for unescaped strings. */
static char *scratch;
static size_t scratch_used, scratch_cap;

static void put_utf8(char **o, unsigned cp)
{
    unsigned char *u = (unsigned char *)*o;
    if (cp < 0x80) {
        *u++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *u++ = (unsigned char)(0xC0 | cp >> 6);
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *u++ = (unsigned char)(0xE0 | cp >> 12);
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *u++ = (unsigned char)(0xF0 | cp >> 18);
        *u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = (char *)u;
}

/* The text of a JSON string value, NUL-terminated in the scratch space;
 * NULL when v is absent, null or not a string. */
static const char *text(const span *v)
{
    if (!v || v->n < 2 || v->p[0] != '"')
        return NULL;
    const char *s = v->p + 1, *end = v->p + v->n - 1;
    char *out = scratch + scratch_used, *o = out;
    for (; s < end; s++) {
        if (*s != '\\') {
            *o++ = *s;
            continue;
        }
        char c = *++s;
        switch (c) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            unsigned cp = (unsigned)strtoul((char[5]){s[1], s[2], s[3], s[4], 0}, NULL, 16);
            s += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && s + 6 < end && s[1] == '\\' && s[2] == 'u') {
                unsigned lo = (unsigned)strtoul((char[5]){s[3], s[4], s[5], s[6], 0}, NULL, 16);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                s += 6;
            }
            put_utf8(&o, cp);
            break;
        }
        default:
            *o++ = c;
            break;
        }
    }
    *o++ = 0;
    scratch_used += (size_t)(o - out);
    return out;
}

static int is_null(const span *v)
{
    return !v || (v->n == 4 && memcmp(v->p, "null", 4) == 0);
}

static long long integer(const span *v, long long dflt)
{
    if (is_null(v) || v->n > 20)
        return dflt;
    char b[24];
    memcpy(b, v->p, v->n);
    b[v->n] = 0;
    char *e;
    long long x = strtoll(b, &e, 10);
    return *e ? dflt : x;
}

/* Money as 分: a JSON integer (yuan) or a string "123.45"; -1 if absent or
 * not recognised. */
static long long money_fen(const span *v)
{
    if (is_null(v))
        return -1;
    if (v->p[0] != '"')
        return integer(v, -2) >= 0 ? integer(v, 0) * 100 : -1;
    long long yuan = 0, fen = 0;
    size_t i = 1, decimals = 0;
    for (; i < v->n - 1 && v->p[i] != '.'; i++)
        yuan = yuan * 10 + (v->p[i] - '0');
    if (i < v->n - 1)
        for (i++; i < v->n - 1; i++, decimals++)
            fen = fen * 10 + (v->p[i] - '0');
    return yuan * 100 + (decimals == 1 ? fen * 10 : fen);
}

static long long array_length(const span *v)
{
    if (!v || v->n < 2 || v->p[0] != '[')
        return 0;
    const char *p = skip_ws(v->p + 1, v->p + v->n), *end = v->p + v->n - 1;
    long long n = 0;
    while (p < end) {
        if (!(p = skip_value(p, end)))
            break;
        n++;
        p = skip_ws(p, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
    }
    return n;
}

/* ---- 案号: year, court, type code and sequence (new and old style) ---- */

typedef struct casenum {
    int year;
    span court, type;
    long long seq;
} casenum;

static int starts(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

static int parse_casenum(const char *s, casenum *out)
{
    const char *p = s, *end = s + strlen(s);
    memset(out, 0, sizeof *out);
    if (starts(p, end, "("))
        p += 1;
    else if (starts(p, end, "（"))
        p += 3;
    else
        return -1;
    while (p < end && *p >= '0' && *p <= '9')
        out->year = out->year * 10 + (*p++ - '0');
    if (starts(p, end, ")"))
        p += 1;
    else if (starts(p, end, "）"))
        p += 3;
    else
        return -1;
    const char *old = strstr(p, "字第");
    if (old) { /* (2014)粤高法民一终字第123号: the court is not in the number */
        out->type = (span){p, (size_t)(old - p)};
        p = old + strlen("字第");
    } else {
        const char *c = p;
        p += starts(p, end, "最高法") ? strlen("最高法") : 3; /* one CJK character */
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        out->court = (span){c, (size_t)(p - c)};
        const char *t = p;
        while (p < end && !(*p >= '0' && *p <= '9'))
            p++;
        out->type = (span){t, (size_t)(p - t)};
    }
    while (p < end && *p >= '0' && *p <= '9')
        out->seq = out->seq * 10 + (*p++ - '0');
    return starts(p, end, "号") && out->type.n ? 0 : -1;
}

/* The kind a type code implies (the first character decides, enough here). */
static const char *kind_of(span type)
{
    static const struct {
        const char *prefix, *kind;
    } kinds[] = {{"财保", "保全"}, {"行保", "保全"},   {"证保", "保全"},
                 {"民", "民事"},   {"刑", "刑事"},     {"行", "行政"},
                 {"执", "执行"},   {"赔", "国家赔偿"}, {"司救", "司法救助"}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (starts(type.p, type.p + type.n, kinds[i].prefix))
            return kinds[i].kind;
    return "其他";
}

/* ---- storage ---- */

enum { S_COURT, S_STAFFING, S_PERSON, S_CASE, S_EVENT, S_CASE_COURT, N_STMTS };

static sqlite3 *db;
static sqlite3_stmt *stmts[N_STMTS];
static const char *db_path, *in_path;
static long long line_no;

static void die_sql(const char *what)
{
    fprintf(stderr, "ingest_baseline: %s:%lld: %s: %s\n", in_path, line_no, what,
            sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    exit(1);
}

static void exec(const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die_sql(sql);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_count(sqlite3_stmt *st, int i, const span *v)
{
    long long x = integer(v, -1);
    if (x >= 0)
        sqlite3_bind_int64(st, i, x);
    else
        sqlite3_bind_null(st, i);
}

static void step(sqlite3_stmt *st, const char *what)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        die_sql(what);
    sqlite3_reset(st);
}

static long long batch_id;
static long long n_courts, n_people, n_cases, n_events, n_skipped;
static char last_case[256], last_court[64];

static void store_court(const member *m, int n, const char *line, size_t len)
{
    sqlite3_stmt *st = stmts[S_COURT];
    const char *code = text(member_get(m, n, "code"));
    bind_text(st, 1, code);
    bind_text(st, 2, text(member_get(m, n, "name")));
    bind_text(st, 3, text(member_get(m, n, "level")));
    bind_text(st, 4, text(member_get(m, n, "parent")));
    sqlite3_bind_text(st, 5, line, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, batch_id);
    step(st, "insert court");
    const span *staffing = member_get(m, n, "staffing");
    if (staffing && staffing->p[0] == '[') {
        static const char *const columns[] = {
            "year",           "authorized_staff", "central_special_staff",
            "quota_allotted", "quota_filled",     "admin_staff"};
        const char *p = skip_ws(staffing->p + 1, staffing->p + staffing->n);
        const char *end = staffing->p + staffing->n - 1;
        while (p < end && *p == '{') {
            const char *q = skip_value(p, end);
            member e[16];
            int ne = q ? scan_object(p, q, e, 16) : -1;
            if (ne < 0)
                break;
            sqlite3_stmt *s = stmts[S_STAFFING];
            bind_text(s, 1, code);
            for (int c = 0; c < 6; c++)
                bind_count(s, c + 2, member_get(e, ne, columns[c]));
            step(s, "insert staffing");
            p = skip_ws(q, end);
            if (p < end && *p == ',')
                p = skip_ws(p + 1, end);
        }
    }
    n_courts++;
}

static void store_person(const member *m, int n, const char *line, size_t len)
{
    sqlite3_stmt *st = stmts[S_PERSON];
    const span *roles = member_get(m, n, "roles"), *in_quota = member_get(m, n, "in_quota");
    bind_text(st, 1, text(member_get(m, n, "id")));
    bind_text(st, 2, text(member_get(m, n, "court")));
    bind_text(st, 3, text(member_get(m, n, "name")));
    if (roles)
        sqlite3_bind_text(st, 4, roles->p, (int)roles->n, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    bind_text(st, 5, text(member_get(m, n, "division")));
    bind_text(st, 6, text(member_get(m, n, "team")));
    sqlite3_bind_int(st, 7, in_quota && in_quota->p[0] == 't');
    bind_text(st, 8, text(member_get(m, n, "start_date")));
    bind_text(st, 9, text(member_get(m, n, "end_date")));
    sqlite3_bind_text(st, 10, line, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, batch_id);
    step(st, "insert person");
    n_people++;
}

static void store_case(const member *m, int n, const char *line, size_t len)
{
    sqlite3_stmt *st = stmts[S_CASE];
    const char *case_no = text(member_get(m, n, "case_no"));
    casenum no;
    if (!case_no || parse_casenum(case_no, &no) != 0) {
        fprintf(stderr, "ingest_baseline: %s:%lld: case_no: cannot read '%s'\n", in_path, line_no,
                case_no ? case_no : "");
        exit(1);
    }
    const char *court = text(member_get(m, n, "court"));
    const char *kind = text(member_get(m, n, "kind"));
    const span *count = member_get(m, n, "party_count");
    long long fen = money_fen(member_get(m, n, "claim_amount"));
    bind_text(st, 1, case_no);
    if (court)
        bind_text(st, 2, court);
    else
        sqlite3_bind_text(st, 2, no.court.p, (int)no.court.n, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, no.year);
    sqlite3_bind_text(st, 4, no.type.p, (int)no.type.n, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, no.seq);
    bind_text(st, 6, kind ? kind : kind_of(no.type));
    bind_text(st, 7, text(member_get(m, n, "cause")));
    bind_text(st, 8, text(member_get(m, n, "procedure")));
    bind_text(st, 9, text(member_get(m, n, "filing_date")));
    if (fen >= 0)
        sqlite3_bind_int64(st, 10, fen);
    else
        sqlite3_bind_null(st, 10);
    sqlite3_bind_int64(st, 11,
                       count ? integer(count, 0) : array_length(member_get(m, n, "parties")));
    bind_text(st, 12, text(member_get(m, n, "status")));
    bind_text(st, 13, text(member_get(m, n, "closing_date")));
    sqlite3_bind_text(st, 14, line, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 15, batch_id);
    step(st, "insert case");
    snprintf(last_case, sizeof last_case, "%s", case_no);
    if (court)
        snprintf(last_court, sizeof last_court, "%s", court);
    else
        snprintf(last_court, sizeof last_court, "%.*s", (int)no.court.n, no.court.p);
    n_cases++;
}

static int events_have_court;

static void store_event(const member *m, int n, const char *line, size_t len)
{
    sqlite3_stmt *st = stmts[S_EVENT];
    const char *case_no = text(member_get(m, n, "case_no"));
    const char *court = text(member_get(m, n, "court"));
    if (!case_no && !events_have_court) {
        n_skipped++; /* court-level event, and the schema has no place for it */
        return;
    }
    if (!court && case_no && strcmp(case_no, last_case) == 0) {
        court = last_court;
    } else if (!court && case_no) {
        sqlite3_stmt *q = stmts[S_CASE_COURT];
        bind_text(q, 1, case_no);
        if (sqlite3_step(q) == SQLITE_ROW) {
            snprintf(last_court, sizeof last_court, "%s", sqlite3_column_text(q, 0));
            snprintf(last_case, sizeof last_case, "%s", case_no);
            court = last_court;
        }
        sqlite3_reset(q);
    }
    int i = 1;
    bind_text(st, i++, text(member_get(m, n, "id")));
    bind_text(st, i++, case_no);
    if (events_have_court)
        bind_text(st, i++, court);
    bind_text(st, i++, text(member_get(m, n, "event")));
    bind_text(st, i++, text(member_get(m, n, "at")));
    sqlite3_bind_text(st, i++, line, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, i, batch_id);
    step(st, "insert event");
    n_events++;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int table_has_column(const char *table, const char *column)
{
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", table);
    sqlite3_stmt *st;
    int found = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die_sql(sql);
    while (sqlite3_step(st) == SQLITE_ROW)
        found |= strcmp((const char *)sqlite3_column_text(st, 1), column) == 0;
    sqlite3_finalize(st);
    return found;
}

static void prepare(void)
{
    const char *const sql[N_STMTS] = {
        [S_COURT] = "INSERT INTO courts(code, name, level, parent, doc, batch_id) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        [S_STAFFING] = "INSERT INTO court_staffing(court, year, authorized_staff, "
                       "central_special_staff, quota_allotted, quota_filled, admin_staff) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        [S_PERSON] = "INSERT INTO people(id, court, name, roles, division, team, in_quota, "
                     "start_date, end_date, doc, batch_id) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        [S_CASE] = "INSERT INTO cases(case_no, court, year, type_code, seq, kind, cause, "
                   "procedure, filing_date, claim_fen, party_count, status, closing_date, doc, "
                   "batch_id, changed_batch) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                   "?15)",
        [S_EVENT] = events_have_court
                        ? "INSERT INTO events(id, case_no, court, type, at, doc, batch_id) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                        : "INSERT INTO events(id, case_no, type, at, doc, batch_id) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        [S_CASE_COURT] = "SELECT court FROM cases WHERE case_no = ?1",
    };
    for (int i = 0; i < N_STMTS; i++)
        if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &stmts[i], NULL) !=
            SQLITE_OK)
            die_sql(sql[i]);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ingest_baseline DB JSONL\n");
        return 2;
    }
    db_path = argv[1];
    in_path = argv[2];
    FILE *in = fopen(in_path, "r");
    if (!in) {
        perror(in_path);
        return 1;
    }
    double t0 = now();
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "ingest_baseline: %s: cannot open (run `courtrules --db %s init`)\n",
                db_path, db_path);
        return 1;
    }
    /* The pragmas of host/db.c (its cache: DB_CACHE_MB in host/db.h). */
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
         "PRAGMA cache_size=-16000; PRAGMA temp_store=MEMORY;");
    if (!table_has_column("cases", "case_no")) {
        fprintf(stderr, "ingest_baseline: %s: no cases table (run `courtrules --db %s init`)\n",
                db_path, db_path);
        return 1;
    }
    events_have_court = table_has_column("events", "court");
    prepare();

    exec("BEGIN IMMEDIATE");
    sqlite3_stmt *batch;
    if (sqlite3_prepare_v2(db, "INSERT INTO batches(source, started_at) VALUES (?1, ?2)", -1,
                           &batch, NULL) != SQLITE_OK)
        die_sql("batch");
    bind_text(batch, 1, in_path);
    bind_text(batch, 2, "1970-01-01T00:00:00+08:00");
    step(batch, "insert batch");
    sqlite3_finalize(batch);
    batch_id = sqlite3_last_insert_rowid(db);

    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    member m[MAX_MEMBERS];
    while ((len = getline(&line, &cap, in)) >= 0) {
        line_no++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        const char *p = skip_ws(line, line + len);
        if (p == line + len)
            continue;
        if (scratch_cap < (size_t)len + 64) {
            scratch_cap = (size_t)len * 2 + 64;
            if (!(scratch = realloc(scratch, scratch_cap))) {
                fprintf(stderr, "ingest_baseline: out of memory\n");
                return 1;
            }
        }
        scratch_used = 0;
        int n = scan_object(line, line + len, m, MAX_MEMBERS);
        const char *type = n > 0 ? text(member_get(m, n, "type")) : NULL;
        if (!type) {
            fprintf(stderr, "ingest_baseline: %s:%lld: not a record\n", in_path, line_no);
            return 1;
        }
        if (!strcmp(type, "case"))
            store_case(m, n, line, (size_t)len);
        else if (!strcmp(type, "event"))
            store_event(m, n, line, (size_t)len);
        else if (!strcmp(type, "person"))
            store_person(m, n, line, (size_t)len);
        else if (!strcmp(type, "court"))
            store_court(m, n, line, (size_t)len);
    }
    if (ferror(in)) {
        fprintf(stderr, "ingest_baseline: %s: read error\n", in_path);
        return 1;
    }
    if (sqlite3_prepare_v2(db,
                           "UPDATE batches SET finished_at = started_at, summary = '{}' "
                           "WHERE id = ?1",
                           -1, &batch, NULL) != SQLITE_OK)
        die_sql("batch");
    sqlite3_bind_int64(batch, 1, batch_id);
    step(batch, "close batch");
    sqlite3_finalize(batch);
    exec("COMMIT");
    for (int i = 0; i < N_STMTS; i++)
        sqlite3_finalize(stmts[i]);
    sqlite3_close(db);
    double secs = now() - t0;
    printf("baseline: %lld cases in %.2f s = %.0f cases/s\n", n_cases, secs,
           secs > 0 ? n_cases / secs : 0.0);
    printf("baseline: also %lld courts, %lld people, %lld events", n_courts, n_people, n_events);
    if (n_skipped)
        printf(" (%lld court-level events skipped: events.court missing)", n_skipped);
    printf("\n");
    free(line);
    free(scratch);
    fclose(in);
    return 0;
}
