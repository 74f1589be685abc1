/*
 * record.c -- validation of input records. The field tables below are the
 * executable form of docs/records.md; keep the two in step.
 */
#include "record.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "dates.h"
#include "jsontext.h"

/* ---- enumerations (values judges and clerks use) ---- */

static const char *const court_levels[] = {"最高", "高级", "中级", "基层", "专门", NULL};
static const char *const person_roles[] = {
    "院长", "副院长", "审委会专职委员", "庭长", "副庭长", "审判长", "员额法官",
    "法官助理", "书记员", "执行员", "司法警察", "司法行政人员", NULL};
static const char *const case_kinds[] = {"民事", "刑事", "行政", "执行", "保全",
                                         "国家赔偿", "司法救助", "其他", NULL};
static const char *const procedures[] = {"小额诉讼", "简易", "普通", "速裁", "特别程序", "二审",
                                         "再审", "督促", "公示催告", "执行", "其他", NULL};
static const char *const trial_orgs[] = {"独任", "合议庭", NULL};
static const char *const case_statuses[] = {"在办", "中止", "已结", NULL};
static const char *const party_roles[] = {
    "原告", "被告", "第三人", "上诉人", "被上诉人", "申请人", "被申请人", "申请执行人",
    "被执行人", "被告人", "被害人", "自诉人", "附带民事诉讼原告人", "公诉机关", "其他", NULL};
static const char *const party_kinds[] = {"自然人", "法人", "非法人组织", "机关", NULL};
static const char *const case_flags[] = {
    "service_by_publication", "counterclaim", "appraisal", "foreign_element", "hmt_element",
    "public_interest", "defendant_whereabouts_unknown", "procuratorate_protest", "remanded",
    "retrial_own_court", "third_party_revocation", "gang_related", "supervised",
    "deputies_attention", "media_attention", "petition_risk", "party_organ_defendant",
    "military_defendant", "death_penalty_intended", "acquittal_intended",
    "below_minimum_intended", "guilty_plea", "minor_defendant", "personal_status",
    "title_dispute", "both_agree_small_claims", "complaint_against_judge", "new_type",
    "national_security", "detained_over_3_years", NULL};
static const char *const event_kinds[] = {
    "assigned", "designated_assignment", "reassigned", "reported_to_president",
    "submitted_to_professional_meeting", "submitted_to_committee", "extension_approved",
    "suspended", "resumed", "publication_service", "appraisal", "settlement_period",
    "jurisdiction_objection", "hearing", "closed", "interference_record",
    "interference_report", "supervision", "flag_confirmed", "flag_removed",
    "procedure_changed", "counterclaim_filed", "party_added", "claim_amended",
    "parties_notified", NULL};

/* ---- field tables ---- */

enum field_kind {
    F_TYPE,   /* the "type" discriminator, checked by record_parse */
    F_TEXT,   /* non-empty string without control characters */
    F_ID,     /* 1..64 bytes, no whitespace or control characters */
    F_ENUM,   /* one of field.values */
    F_DATE,   /* YYYY-MM-DD that exists */
    F_TIME,   /* timestamp, normalized to +08:00 */
    F_MONEY,  /* exact amount, normalized to "123.45" */
    F_BOOL,   /* true / false */
    F_COUNT,  /* integer >= 0 */
    F_OBJECT, /* any JSON object (extra, data) */
    F_CUSTOM  /* validated by the record type's own code */
};

typedef struct field {
    const char *name;
    enum field_kind kind;
    int required;
    const char *const *values; /* F_ENUM */
} field;

#define END_FIELDS {NULL, 0, 0, NULL}

static const field court_fields[] = {
    {"type", F_TYPE, 1, NULL},        {"code", F_ID, 1, NULL},
    {"name", F_TEXT, 1, NULL},        {"level", F_ENUM, 1, court_levels},
    {"parent", F_ID, 0, NULL},        {"staffing", F_CUSTOM, 0, NULL},
    {"extra", F_OBJECT, 0, NULL},     END_FIELDS};

static const field staffing_fields[] = {
    {"year", F_COUNT, 1, NULL},           {"authorized_staff", F_COUNT, 0, NULL},
    {"central_special_staff", F_COUNT, 0, NULL}, {"quota_allotted", F_COUNT, 0, NULL},
    {"quota_filled", F_COUNT, 0, NULL},   {"admin_staff", F_COUNT, 0, NULL},
    END_FIELDS};

static const field person_fields[] = {
    {"type", F_TYPE, 1, NULL},       {"id", F_ID, 1, NULL},
    {"court", F_ID, 1, NULL},        {"name", F_TEXT, 1, NULL},
    {"roles", F_CUSTOM, 1, NULL},    {"division", F_TEXT, 0, NULL},
    {"team", F_TEXT, 0, NULL},       {"in_quota", F_BOOL, 1, NULL},
    {"start_date", F_DATE, 0, NULL}, {"end_date", F_DATE, 0, NULL},
    {"extra", F_OBJECT, 0, NULL},    END_FIELDS};

/* case_fields by position: parse_case reads the values check_fields found. */
enum {
    C_TYPE, C_CASE_NO, C_COURT, C_KIND, C_CAUSE, C_CAUSE_CATALOG, C_PROCEDURE, C_FILING_DATE,
    C_CLAIM_AMOUNT, C_PARTIES, C_PARTY_COUNT, C_FLAGS, C_TRIAL_ORG, C_JUDGES, C_PRESIDING,
    C_STATUS, C_CLOSING_DATE, C_EXTRA, C_FIELDS
};

static const field case_fields[] = {
    {"type", F_TYPE, 1, NULL},
    {"case_no", F_TEXT, 1, NULL},
    {"court", F_ID, 0, NULL},
    {"kind", F_ENUM, 0, case_kinds},
    {"cause", F_TEXT, 0, NULL},
    {"cause_catalog", F_TEXT, 0, NULL},
    {"procedure", F_ENUM, 0, procedures},
    {"filing_date", F_DATE, 1, NULL},
    {"claim_amount", F_MONEY, 0, NULL},
    {"parties", F_CUSTOM, 0, NULL},
    {"party_count", F_COUNT, 0, NULL},
    {"flags", F_CUSTOM, 0, NULL},
    {"trial_org", F_ENUM, 0, trial_orgs},
    {"judges", F_CUSTOM, 0, NULL},
    {"presiding", F_ID, 0, NULL},
    {"status", F_ENUM, 1, case_statuses},
    {"closing_date", F_DATE, 0, NULL},
    {"extra", F_OBJECT, 0, NULL},
    END_FIELDS};
_Static_assert(sizeof case_fields / sizeof *case_fields == C_FIELDS + 1, "case_fields by position");

static const field party_fields[] = {
    {"name", F_TEXT, 1, NULL},  {"role", F_ENUM, 1, party_roles},
    {"kind", F_ENUM, 0, party_kinds}, {"whereabouts_unknown", F_BOOL, 0, NULL},
    {"foreign", F_BOOL, 0, NULL}, END_FIELDS};

static const field event_fields[] = {
    {"type", F_TYPE, 1, NULL},     {"id", F_ID, 1, NULL},
    {"case_no", F_TEXT, 0, NULL},  {"court", F_ID, 0, NULL},
    {"event", F_ENUM, 1, event_kinds}, {"at", F_TIME, 1, NULL},
    {"end", F_TIME, 0, NULL},      {"actor", F_TEXT, 0, NULL},
    {"reason", F_TEXT, 0, NULL},   {"data", F_OBJECT, 0, NULL},
    END_FIELDS};

#define MAX_TEXT_BYTES 4000

/* ---- helpers ---- */

const char *record_type_name(record_type t)
{
    static const char *const names[] = {"court", "person", "case", "event"};
    return t < REC_TYPE_COUNT ? names[t] : "?";
}

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if ((*list)[0] == s[0] && (!s[0] || (*list)[1] == s[1]) && strcmp(s, *list) == 0)
            return 1;
    return 0;
}

static void list_values(const char *const *list, char *out, size_t n)
{
    size_t used = 0;
    out[0] = 0;
    for (; *list && used + 1 < n; list++) {
        int w = snprintf(out + used, n - used, "%s%s", used ? ", " : "", *list);
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a fractional number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

static cr_status want(cr_err *err, const char *path, const char *what, const json_t *v)
{
    return cr_errf(err, CR_INVALID, "%s: must be %s, got %s", path, what, json_type_name(v));
}

static cr_status check_text(const char *path, const json_t *v, enum field_kind kind, cr_err *err)
{
    if (!json_is_string(v))
        return want(err, path, "a string", v);
    const unsigned char *s = (const unsigned char *)json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0)
        return cr_errf(err, CR_INVALID, "%s: must not be empty", path);
    if (len > (kind == F_ID ? 64 : MAX_TEXT_BYTES))
        return cr_errf(err, CR_INVALID, "%s: longer than %d bytes", path,
                       kind == F_ID ? 64 : MAX_TEXT_BYTES);
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f)
            return cr_errf(err, CR_INVALID, "%s: contains a control character at byte %zu", path,
                           i);
        if (kind == F_ID && s[i] == ' ')
            return cr_errf(err, CR_INVALID, "%s: must not contain spaces", path);
    }
    return CR_OK;
}

/* json_object_set_new, which frees value when it fails: 1 if value is now
 * obj's (and still valid), 0 if not (out of memory: obj keeps what it had
 * for key). */
static int set_member(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0;
}

/* Checks one value against its field spec, normalizing times and money in
 * place; *kept is the value obj holds for key afterwards. */
static cr_status check_value(json_t *obj, const char *key, json_t *v, const field *f,
                             const char *path, json_t **kept, cr_err *err)
{
    *kept = v;
    char why[256];
    switch (f->kind) {
    case F_TYPE:
    case F_CUSTOM:
        return CR_OK;
    case F_TEXT:
    case F_ID:
        return check_text(path, v, f->kind, err);
    case F_ENUM:
        if (!json_is_string(v))
            return want(err, path, "a string", v);
        if (!in_list(json_string_value(v), f->values)) {
            char vals[768];
            list_values(f->values, vals, sizeof vals);
            return cr_errf(err, CR_INVALID, "%s: '%s' is not one of: %s", path,
                           json_string_value(v), vals);
        }
        return CR_OK;
    case F_DATE: {
        cr_date d;
        if (!json_is_string(v))
            return want(err, path, "a date string YYYY-MM-DD", v);
        if (date_parse(json_string_value(v), &d, why, sizeof why) != 0)
            return cr_errf(err, CR_INVALID, "%s: %s", path, why);
        return CR_OK;
    }
    case F_TIME: {
        char norm[26];
        cr_date d;
        if (!json_is_string(v))
            return want(err, path, "a timestamp string", v);
        if (datetime_parse(json_string_value(v), norm, &d, why, sizeof why) != 0)
            return cr_errf(err, CR_INVALID, "%s: %s", path, why);
        json_t *normalized = json_string(norm);
        if (set_member(obj, key, normalized))
            *kept = normalized;
        return CR_OK;
    }
    case F_MONEY: {
        int64_t fen;
        char text[32];
        if (json_is_integer(v)) {
            json_int_t yuan = json_integer_value(v);
            if (yuan < 0)
                return cr_errf(err, CR_INVALID, "%s: negative amounts are not allowed", path);
            if (yuan > AMOUNT_MAX_FEN / 100)
                return cr_errf(err, CR_INVALID, "%s: amount too large", path);
            fen = (int64_t)yuan * 100;
        } else if (json_is_real(v)) {
            return cr_errf(err, CR_INVALID,
                           "%s: fractional JSON numbers are inexact; give the amount as a "
                           "string such as \"12345.67\"",
                           path);
        } else if (json_is_string(v)) {
            if (amount_parse(json_string_value(v), &fen, why, sizeof why) != 0)
                return cr_errf(err, CR_INVALID, "%s: %s", path, why);
        } else {
            return want(err, path, "an amount (integer yuan or a string like \"12345.67\")", v);
        }
        amount_format(fen, text);
        json_t *normalized = json_string(text);
        if (set_member(obj, key, normalized))
            *kept = normalized;
        return CR_OK;
    }
    case F_BOOL:
        return json_is_boolean(v) ? CR_OK : want(err, path, "true or false", v);
    case F_COUNT:
        if (!json_is_integer(v))
            return want(err, path, "an integer", v);
        if (json_integer_value(v) < 0)
            return cr_errf(err, CR_INVALID, "%s: must not be negative", path);
        return CR_OK;
    case F_OBJECT:
        return json_is_object(v) ? CR_OK : want(err, path, "an object", v);
    }
    return CR_OK;
}

/* prefix and key into path, cut to fit as snprintf would (this runs for
 * every field of every record ingested). */
static void join_path(char *path, size_t size, const char *prefix, const char *key)
{
    size_t pl = strlen(prefix), kl = strlen(key);
    if (pl > size - 1)
        pl = size - 1;
    if (kl > size - 1 - pl)
        kl = size - 1 - pl;
    memcpy(path, prefix, pl);
    memcpy(path + pl, key, kl);
    path[pl + kl] = '\0';
}

/* "name[i]" and suffix into path, cut to fit as snprintf would; by hand:
 * it runs for every element of every record's arrays, for messages it
 * seldom needs. */
static void index_path(char *path, size_t size, const char *name, size_t i, const char *suffix)
{
    char digits[24], *d = digits + sizeof digits;
    *--d = '\0';
    do
        *--d = (char)('0' + i % 10);
    while (i /= 10);
    char *o = path, *end = path + size - 1;
    for (const char *parts[] = {name, "[", d, "]", suffix}, **q = parts; q < parts + 5; q++)
        for (const char *c = *q; *c && o < end; c++)
            *o++ = *c;
    *o = '\0';
}

/* More than any record kind has (case_fields, the most: C_FIELDS). */
#define MAX_FIELDS 32
_Static_assert(C_FIELDS <= MAX_FIELDS, "room for every field");

/* Validates obj against fields: unknown keys, kinds, required keys. prefix is
 * "" at top level or "parties[2]." inside arrays. found (may be NULL), one
 * slot per field: each field's value once checked and normalized, NULL
 * when absent -- what json_object_get would return, without looking every
 * key up again. */
static cr_status check_fields(json_t *obj, const field *fields, const char *prefix,
                              json_t **found, cr_err *err)
{
    const char *key;
    json_t *v;
    void *tmp;
    char path[160];
    size_t n = 0;
    while (fields[n].name)
        n++;
    assert(n <= MAX_FIELDS);
    json_t *local[MAX_FIELDS];
    if (!found)
        found = local;
    memset(found, 0, n * sizeof *found);
    json_object_foreach_safe(obj, tmp, key, v)
    {
        join_path(path, sizeof path, prefix, key);
        const field *f = fields; /* the first byte tells most names apart without a call */
        while (f->name && (f->name[0] != key[0] || strcmp(f->name, key) != 0))
            f++;
        if (!f->name)
            return cr_errf(err, CR_INVALID,
                           "%s: unknown field (court-specific data belongs in \"extra\")", path);
        if (json_is_null(v) && !f->required) {
            json_object_del(obj, key); /* null means absent */
            continue;
        }
        cr_status st = check_value(obj, key, v, f, path, &found[f - fields], err);
        if (st != CR_OK)
            return st;
    }
    for (const field *f = fields; f->name; f++)
        if (f->required && !found[f - fields])
            return cr_errf(err, CR_INVALID, "%s%s: required field is missing", prefix, f->name);
    return CR_OK;
}

static const char *str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key)); /* NULL when absent */
}

static cr_status check_ref(const record_refs *refs, record_type type, const char *key,
                           const char *path, const char **court_out, cr_err *err)
{
    if (!refs || !refs->known)
        return CR_OK;
    int known = refs->known(refs->ud, type, key, court_out, err);
    if (known < 0)
        return CR_FAIL;
    if (!known)
        return cr_errf(err, CR_INVALID, "%s: unknown %s '%s' (give it earlier in the file or "
                                        "ingest it first)",
                       path, record_type_name(type), key);
    return CR_OK;
}

/* ---- per-type validation ---- */

static cr_status parse_court(record *rec, cr_err *err)
{
    json_t *doc = rec->doc;
    char why[256];
    cr_status st = check_fields(doc, court_fields, "", NULL, err);
    if (st != CR_OK)
        return st;
    rec->key = str(doc, "code");
    if (court_code_check(rec->key, why, sizeof why) != 0)
        return cr_errf(err, CR_INVALID, "code: %s", why);
    rec->u.court.name = str(doc, "name");
    rec->u.court.level = str(doc, "level");
    rec->u.court.parent = str(doc, "parent");
    if (rec->u.court.parent && strcmp(rec->u.court.parent, rec->key) == 0)
        return cr_errf(err, CR_INVALID, "parent: a court cannot be its own parent");
    json_t *staffing = json_object_get(doc, "staffing");
    rec->u.court.staffing = staffing;
    if (staffing) {
        if (!json_is_array(staffing))
            return want(err, "staffing", "an array", staffing);
        size_t i, j;
        json_t *entry;
        json_array_foreach(staffing, i, entry)
        {
            char prefix[32];
            index_path(prefix, sizeof prefix, "staffing", i, ".");
            if (!json_is_object(entry))
                return cr_errf(err, CR_INVALID, "staffing[%zu]: must be an object", i);
            if ((st = check_fields(entry, staffing_fields, prefix, NULL, err)) != CR_OK)
                return st;
            json_int_t year = json_integer_value(json_object_get(entry, "year"));
            if (year < 1949 || year > 2199)
                return cr_errf(err, CR_INVALID, "staffing[%zu].year: %lld is out of range", i,
                               (long long)year);
            for (j = 0; j < i; j++)
                if (json_integer_value(json_object_get(json_array_get(staffing, j), "year")) ==
                    year)
                    return cr_errf(err, CR_INVALID,
                                   "staffing[%zu].year: %lld is already given in staffing[%zu]",
                                   i, (long long)year, j);
        }
    }
    return CR_OK;
}

static cr_status parse_person(record *rec, cr_err *err)
{
    json_t *doc = rec->doc;
    cr_status st = check_fields(doc, person_fields, "", NULL, err);
    if (st != CR_OK)
        return st;
    rec->key = str(doc, "id");
    rec->u.person.court = str(doc, "court");
    rec->u.person.name = str(doc, "name");
    rec->u.person.division = str(doc, "division");
    rec->u.person.team = str(doc, "team");
    rec->u.person.in_quota = json_is_true(json_object_get(doc, "in_quota"));
    rec->u.person.start_date = str(doc, "start_date");
    rec->u.person.end_date = str(doc, "end_date");
    json_t *roles = json_object_get(doc, "roles");
    rec->u.person.roles = roles;
    if (!json_is_array(roles))
        return want(err, "roles", "an array of roles", roles);
    if (json_array_size(roles) == 0)
        return cr_errf(err, CR_INVALID, "roles: must name at least one role");
    size_t i, j;
    json_t *role;
    json_array_foreach(roles, i, role)
    {
        char path[32], vals[512];
        index_path(path, sizeof path, "roles", i, "");
        if (!json_is_string(role))
            return want(err, path, "a string", role);
        if (!in_list(json_string_value(role), person_roles)) {
            list_values(person_roles, vals, sizeof vals);
            return cr_errf(err, CR_INVALID, "%s: '%s' is not one of: %s", path,
                           json_string_value(role), vals);
        }
        for (j = 0; j < i; j++)
            if (json_equal(json_array_get(roles, j), role))
                return cr_errf(err, CR_INVALID, "%s: '%s' is listed twice", path,
                               json_string_value(role));
    }
    if (rec->u.person.start_date && rec->u.person.end_date &&
        strcmp(rec->u.person.end_date, rec->u.person.start_date) < 0)
        return cr_errf(err, CR_INVALID, "end_date: %s is before start_date %s",
                       rec->u.person.end_date, rec->u.person.start_date);
    return CR_OK;
}

static cr_status parse_parties(json_t *parties, cr_err *err)
{
    if (!json_is_array(parties))
        return want(err, "parties", "an array", parties);
    size_t i;
    json_t *p;
    json_array_foreach(parties, i, p)
    {
        char prefix[32];
        index_path(prefix, sizeof prefix, "parties", i, ".");
        if (!json_is_object(p))
            return cr_errf(err, CR_INVALID, "parties[%zu]: must be an object", i);
        cr_status st = check_fields(p, party_fields, prefix, NULL, err);
        if (st != CR_OK)
            return st;
    }
    return CR_OK;
}

static cr_status parse_flags(json_t *flags, cr_err *err)
{
    if (!json_is_object(flags))
        return want(err, "flags", "an object of booleans", flags);
    const char *key;
    json_t *v;
    json_object_foreach(flags, key, v)
    {
        if (!in_list(key, case_flags))
            return cr_errf(err, CR_INVALID,
                           "flags.%s: unknown flag (see docs/records.md; court-specific flags "
                           "belong in \"extra\")",
                           key);
        if (!json_is_boolean(v))
            return cr_errf(err, CR_INVALID, "flags.%s: must be true or false, got %s", key,
                           json_type_name(v));
    }
    return CR_OK;
}

static cr_status parse_case(record *rec, cr_err *err)
{
    json_t *doc = rec->doc;
    char why[256];
    json_t *found[C_FIELDS];
    cr_status st = check_fields(doc, case_fields, "", found, err);
    if (st != CR_OK)
        return st;
    rec->key = json_string_value(found[C_CASE_NO]);
    cr_casenum *no = &rec->u.kase.no;
    if (casenum_parse(rec->key, no, why, sizeof why) != 0)
        return cr_errf(err, CR_INVALID, "case_no: '%s': %s", rec->key, why);

    /* Court: read from a new-style 案号, required for old-style ones. */
    const char *court = json_string_value(found[C_COURT]);
    if (no->old_style) {
        if (!court)
            return cr_errf(err, CR_INVALID,
                           "court: required for an old-style (pre-2016) case number");
        if (court_code_check(court, why, sizeof why) != 0)
            return cr_errf(err, CR_INVALID, "court: %s", why);
    } else if (court && strcmp(court, no->court) != 0) {
        return cr_errf(err, CR_INVALID, "court: '%s' does not match the case number's court '%s'",
                       court, no->court);
    } else if (!court) {
        json_t *implied_court = json_string(no->court);
        court = set_member(doc, "court", implied_court) ? json_string_value(implied_court) : NULL;
    }
    rec->u.kase.court = court;

    /* Kind: implied by the type code; an explicit one must agree. */
    const char *implied = no->old_style ? NULL : casenum_kind(no->type_code);
    const char *kind = json_string_value(found[C_KIND]);
    if (kind && implied && strcmp(kind, implied) != 0)
        return cr_errf(err, CR_INVALID, "kind: '%s' contradicts the case type '%s' (%s)", kind,
                       no->type_code, implied);
    if (!kind) {
        if (!implied)
            return cr_errf(err, CR_INVALID,
                           "kind: required when the case number does not imply it");
        json_t *implied_kind = json_string(implied);
        kind = set_member(doc, "kind", implied_kind) ? json_string_value(implied_kind) : NULL;
    }

    /* Parsed case-number parts, for rules and queries. */
    json_object_set_new(doc, "year", json_integer(no->year));
    json_object_set_new(doc, "type_code", json_string(no->type_code));
    if (no->special[0])
        json_object_set_new(doc, "special", json_string(no->special));
    json_object_set_new(doc, "seq", json_integer(no->seq));
    if (no->old_style)
        json_object_set_new(doc, "old_style", json_true());

    /* Parties and their count. */
    json_t *parties = found[C_PARTIES];
    size_t n_parties = 0;
    if (parties) {
        if ((st = parse_parties(parties, err)) != CR_OK)
            return st;
        n_parties = json_array_size(parties);
    }
    json_t *count = found[C_PARTY_COUNT];
    if (count && (size_t)json_integer_value(count) < n_parties)
        return cr_errf(err, CR_INVALID, "party_count: %lld is less than the %zu parties listed",
                       (long long)json_integer_value(count), n_parties);
    if (!count && !set_member(doc, "party_count", count = json_integer((json_int_t)n_parties)))
        count = NULL;
    rec->u.kase.party_count = json_integer_value(count);

    json_t *flags = found[C_FLAGS];
    if (flags && (st = parse_flags(flags, err)) != CR_OK)
        return st;

    /* Judges and the presiding judge must be known people. */
    json_t *judges = found[C_JUDGES];
    if (judges) {
        if (!json_is_array(judges))
            return want(err, "judges", "an array of person ids", judges);
        size_t i;
        json_t *j;
        json_array_foreach(judges, i, j)
        {
            char path[32];
            index_path(path, sizeof path, "judges", i, "");
            if ((st = check_text(path, j, F_ID, err)) != CR_OK)
                return st;
        }
    }
    rec->u.kase.judges = judges;
    rec->u.kase.presiding = json_string_value(found[C_PRESIDING]);

    /* Dates and status. */
    rec->u.kase.filing_date = json_string_value(found[C_FILING_DATE]);
    rec->u.kase.status = json_string_value(found[C_STATUS]);
    rec->u.kase.closing_date = json_string_value(found[C_CLOSING_DATE]);
    cr_date filed;
    date_parse(rec->u.kase.filing_date, &filed, NULL, 0);
    if (!no->old_style && filed.y < no->year)
        return cr_errf(err, CR_INVALID, "filing_date: %s is before the case number's year %d",
                       rec->u.kase.filing_date, no->year);
    /* A closing date exactly on the closed cases: ctx.query relies on it
     * to search a closing-date range among them (db_query.c). */
    int closed = strcmp(rec->u.kase.status, "已结") == 0;
    if (closed && !rec->u.kase.closing_date)
        return cr_errf(err, CR_INVALID, "closing_date: required when status is 已结");
    if (!closed && rec->u.kase.closing_date)
        return cr_errf(err, CR_INVALID, "closing_date: only allowed when status is 已结 (status "
                                        "is %s)",
                       rec->u.kase.status);
    if (closed && strcmp(rec->u.kase.closing_date, rec->u.kase.filing_date) < 0)
        return cr_errf(err, CR_INVALID, "closing_date: %s is before filing_date %s",
                       rec->u.kase.closing_date, rec->u.kase.filing_date);

    rec->u.kase.kind = kind;
    rec->u.kase.cause = json_string_value(found[C_CAUSE]);
    rec->u.kase.procedure = json_string_value(found[C_PROCEDURE]);
    const char *claim = json_string_value(found[C_CLAIM_AMOUNT]);
    rec->u.kase.has_claim = claim != NULL;
    if (claim)
        amount_parse(claim, &rec->u.kase.claim_fen, NULL, 0);
    return CR_OK;
}

/* Positive integer in data.KEY, if present. */
static cr_status check_data_positive(json_t *data, const char *key, cr_err *err)
{
    json_t *v = data ? json_object_get(data, key) : NULL;
    if (v && (!json_is_integer(v) || json_integer_value(v) <= 0))
        return cr_errf(err, CR_INVALID, "data.%s: must be a positive integer", key);
    return CR_OK;
}

static cr_status parse_event(record *rec, cr_err *err)
{
    json_t *doc = rec->doc;
    cr_status st = check_fields(doc, event_fields, "", NULL, err);
    if (st != CR_OK)
        return st;
    rec->key = str(doc, "id");
    const char *kind = str(doc, "event");
    const char *case_no = str(doc, "case_no");
    const char *court = str(doc, "court");
    json_t *data = json_object_get(doc, "data");
    rec->u.event.event = kind;
    rec->u.event.at = str(doc, "at");
    rec->u.event.case_no = case_no;

    if (!case_no && !court)
        return cr_errf(err, CR_INVALID, "case_no: required (or court, for court-level events)");
    rec->u.event.court = court; /* for case events, record_check_refs fills it in */

    const char *end = str(doc, "end");
    if (end && strcmp(end, rec->u.event.at) < 0)
        return cr_errf(err, CR_INVALID, "end: %s is before at %s", end, rec->u.event.at);

    if (strcmp(kind, "interference_report") == 0) {
        json_t *month = data ? json_object_get(data, "month") : NULL;
        json_t *count = data ? json_object_get(data, "count") : NULL;
        cr_date d;
        char buf[16];
        if (!json_is_string(month) || json_string_length(month) != 7)
            return cr_errf(err, CR_INVALID, "data.month: required, as YYYY-MM");
        snprintf(buf, sizeof buf, "%s-01", json_string_value(month));
        if (date_parse(buf, &d, NULL, 0) != 0)
            return cr_errf(err, CR_INVALID, "data.month: '%s' is not a month YYYY-MM",
                           json_string_value(month));
        if (!json_is_integer(count) || json_integer_value(count) < 0)
            return cr_errf(err, CR_INVALID,
                           "data.count: required, an integer >= 0 (0 is a 零报告)");
    } else if (!case_no) {
        return cr_errf(err, CR_INVALID, "case_no: required for a '%s' event", kind);
    }
    if (strcmp(kind, "extension_approved") == 0) {
        if ((st = check_data_positive(data, "months", err)) != CR_OK ||
            (st = check_data_positive(data, "days", err)) != CR_OK)
            return st;
        if (!data || (!json_object_get(data, "months") && !json_object_get(data, "days")))
            return cr_errf(err, CR_INVALID, "data: an extension needs data.months or data.days");
    }
    if (strcmp(kind, "procedure_changed") == 0) {
        json_t *to = data ? json_object_get(data, "to") : NULL;
        if (!json_is_string(to) || !in_list(json_string_value(to), procedures))
            return cr_errf(err, CR_INVALID, "data.to: required, one of the procedures");
    }
    return CR_OK;
}

/* ---- entry points ---- */

cr_status record_parse(const char *text, size_t len, const record_refs *refs, record *rec,
                       cr_err *err)
{
    memset(rec, 0, sizeof *rec);
    json_error_t jerr;
    json_t *doc = jsontext_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return cr_errf(err, CR_INVALID, "invalid JSON at column %d: %s", jerr.column, jerr.text);
    return record_parse_json(doc, refs, rec, err);
}

cr_status record_parse_json(json_t *doc, const record_refs *refs, record *rec, cr_err *err)
{
    memset(rec, 0, sizeof *rec);
    rec->doc = doc;
    if (!json_is_object(doc)) {
        record_free(rec);
        return cr_errf(err, CR_INVALID, "a record must be a JSON object");
    }
    json_t *type = json_object_get(doc, "type");
    if (!json_is_string(type)) {
        record_free(rec);
        return cr_errf(err, CR_INVALID,
                       "type: required, one of: court, person, case, event");
    }
    static cr_status (*const parsers[])(record *, cr_err *) = {
        parse_court, parse_person, parse_case, parse_event};
    int t = 0;
    while (t < REC_TYPE_COUNT && strcmp(record_type_name((record_type)t), json_string_value(type)))
        t++;
    if (t == REC_TYPE_COUNT) {
        cr_status st = cr_errf(err, CR_INVALID,
                               "type: '%s' is not one of: court, person, case, event",
                               json_string_value(type));
        record_free(rec);
        return st;
    }
    rec->type = (record_type)t;
    cr_status st = parsers[t](rec, err);
    if (st == CR_OK && refs)
        st = record_check_refs(rec, refs, err);
    if (st != CR_OK)
        record_free(rec);
    return st;
}

cr_status record_check_refs(record *rec, const record_refs *refs, cr_err *err)
{
    json_t *doc = rec->doc;
    cr_status st = CR_OK;
    switch (rec->type) {
    case REC_COURT:
        if (rec->u.court.parent)
            st = check_ref(refs, REC_COURT, rec->u.court.parent, "parent", NULL, err);
        break;
    case REC_PERSON:
        st = check_ref(refs, REC_COURT, rec->u.person.court, "court", NULL, err);
        break;
    case REC_CASE: {
        st = check_ref(refs, REC_COURT, rec->u.kase.court, "court", NULL, err);
        json_t *judges = json_object_get(doc, "judges");
        size_t i;
        json_t *j;
        json_array_foreach(judges, i, j)
        {
            char path[32];
            index_path(path, sizeof path, "judges", i, "");
            if (st == CR_OK)
                st = check_ref(refs, REC_PERSON, json_string_value(j), path, NULL, err);
        }
        const char *presiding = str(doc, "presiding");
        if (st == CR_OK && presiding)
            st = check_ref(refs, REC_PERSON, presiding, "presiding", NULL, err);
        break;
    }
    case REC_EVENT: {
        const char *case_no = rec->u.event.case_no, *court = str(doc, "court");
        if (!case_no)
            return check_ref(refs, REC_COURT, court, "court", NULL, err);
        const char *case_court = NULL;
        if ((st = check_ref(refs, REC_CASE, case_no, "case_no", &case_court, err)) != CR_OK)
            return st;
        if (court && case_court && strcmp(court, case_court) != 0)
            return cr_errf(err, CR_INVALID, "court: '%s' is not the court of case %s ('%s')",
                           court, case_no, case_court);
        if (!court && case_court) {
            snprintf(rec->event_court, sizeof rec->event_court, "%s", case_court);
            rec->u.event.court = rec->event_court;
        }
        break;
    }
    default:
        break;
    }
    return st;
}

void record_free(record *rec)
{
    json_decref(rec->doc);
    memset(rec, 0, sizeof *rec);
}

char *record_doc_text(const record *rec)
{
    return jsontext_dumps(rec->doc, JSON_COMPACT, NULL);
}
