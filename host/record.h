/*
 * record.h -- validation of input records (docs/records.md) into normalized
 * documents plus the column values the storage module indexes.
 *
 * record_parse() never touches the database: references (a case's court, an
 * event's case) are checked through the caller's record_refs callback, so the
 * same validation serves `ingest`, the HTTP API and tests.
 */
#ifndef COURTRULES_RECORD_H
#define COURTRULES_RECORD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "casenum.h"
#include "err.h"

typedef enum record_type { REC_COURT, REC_PERSON, REC_CASE, REC_EVENT, REC_TYPE_COUNT } record_type;

/* "court", "person", "case", "event". */
const char *record_type_name(record_type t);

/* Answers "is this key known?" for reference checks: 1 yes, 0 no, -1 error
 * (err filled). For REC_CASE, *court_out (if not NULL) receives the case's
 * court code (static storage valid until the next call). */
typedef struct record_refs {
    int (*known)(void *ud, record_type type, const char *key, const char **court_out, cr_err *err);
    void *ud;
} record_refs;

typedef struct record {
    record_type type;
    json_t *doc;     /* the normalized record (owned): validated fields + derived ones */
    const char *key; /* code / id / case_no / id, points into doc */
    union {
        struct {
            const char *name, *level, *parent;
            json_t *staffing; /* array, borrowed from doc; may be NULL */
        } court;
        struct {
            const char *court, *name, *division, *team, *start_date, *end_date;
            int in_quota;
            json_t *roles; /* borrowed */
        } person;
        struct {
            cr_casenum no;
            const char *court, *kind, *cause, *procedure, *filing_date, *status, *closing_date;
            int has_claim;
            int64_t claim_fen;
            int64_t party_count;
            const char *presiding; /* may be NULL */
            json_t *judges;        /* array of person ids, borrowed from doc; may be NULL */
        } kase;
        struct {
            const char *case_no; /* NULL for court-level events */
            const char *court;   /* the case's court, or the given court */
            const char *event, *at;
        } event;
    } u;
    char event_court[32]; /* a case event's court, filled by record_check_refs */
} record;

/*
 * Parses and validates one JSON text. With refs NULL, references are not
 * checked (call record_check_refs later, e.g. on the thread that owns the
 * database). On success fills rec (release with
 * record_free) and returns CR_OK. On bad input returns CR_INVALID with err
 * reading "field: reason" (or "invalid JSON at column N: …"); CR_FAIL when a
 * reference lookup failed.
 */
cr_status record_parse(const char *text, size_t len, const record_refs *refs, record *rec,
                       cr_err *err);

/* As record_parse, for a document already parsed (the API parses the
 * request body once): doc's reference is stolen, on failure too. */
cr_status record_parse_json(json_t *doc, const record_refs *refs, record *rec, cr_err *err);

/* Checks rec's references (courts, people, the event's case) and fills in a
 * case event's court. CR_INVALID names the field; CR_FAIL if a lookup failed. */
cr_status record_check_refs(record *rec, const record_refs *refs, cr_err *err);

void record_free(record *rec);

/* The document as compact JSON text (malloc'd; caller frees). */
char *record_doc_text(const record *rec);

#endif
