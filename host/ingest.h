/*
 * ingest.h -- JSON Lines in, validated rows out, in one transaction.
 *
 * A batch lands whole or not at all: the first bad line rolls everything
 * back and is reported as "SOURCE:LINE: field: reason". With skip_invalid the
 * valid records land and every bad line is written to the rejects stream
 * with its reason. Memory stays flat: lines are streamed, never collected.
 */
#ifndef COURTRULES_INGEST_H
#define COURTRULES_INGEST_H

#include <stdint.h>
#include <stdio.h>

#include "db.h"
#include "err.h"
#include "record.h"

#define INGEST_MAX_LINE_BYTES (1024 * 1024)

typedef struct ingest_options {
    const char *source;    /* name used in messages and the audit trail ("-" = stdin) */
    int skip_invalid;      /* load the valid records, report the others */
    FILE *rejects;         /* with skip_invalid: one JSON object per reject; may be NULL */
    int progress;          /* print a progress line on stderr (a terminal) */
    const char *actor;     /* for the audit entry */
    size_t max_line_bytes; /* 0 = INGEST_MAX_LINE_BYTES */
} ingest_options;

enum { INGEST_NEW, INGEST_UPDATED, INGEST_UNCHANGED, INGEST_OUTCOMES };

typedef struct ingest_summary {
    int64_t lines;                                    /* lines read, blank ones included */
    int64_t records;                                  /* records stored */
    int64_t counts[REC_TYPE_COUNT][INGEST_OUTCOMES];  /* per type: new / updated / unchanged */
    int64_t rejected;                                 /* with skip_invalid */
    int64_t batch_id;
    int64_t audit_seq;
    char sha256[65]; /* of the accepted lines, as read */
    double seconds;
} ingest_summary;

/* Reads in to the end and stores its records. CR_INVALID on bad input (the
 * database is unchanged), CR_FAIL on I/O or database failure. */
cr_status ingest_stream(cr_db *db, FILE *in, const ingest_options *opt, ingest_summary *sum,
                        cr_err *err);

/* The summary as a JSON object (caller decrefs). */
json_t *ingest_summary_json(const ingest_summary *sum);

#endif
