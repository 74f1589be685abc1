/*
 * db_records.h -- storage of validated records (courts, people, cases,
 * events) and of ingest batches. Part of the storage module.
 */
#ifndef COURTRULES_DB_RECORDS_H
#define COURTRULES_DB_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "record.h"

/* Opens a batch row (inside a transaction); *batch_id identifies the batch's
 * writes so a key given twice in one batch is caught. */
cr_status db_batch_open(cr_db *db, const char *source, int64_t *batch_id, cr_err *err);
/* Records the batch's end time and summary (a JSON object text). */
cr_status db_batch_close(cr_db *db, int64_t batch_id, const char *summary_json, cr_err *err);

typedef enum db_put_result {
    DB_PUT_NEW,       /* the key was not stored before */
    DB_PUT_UPDATED,   /* stored before, content changed */
    DB_PUT_UNCHANGED, /* stored before with the same content */
    DB_PUT_DUPLICATE  /* the key was already written in this batch: nothing written */
} db_put_result;

/* Inserts or replaces rec (inside a transaction). doc_text is the record's
 * normalized JSON (record_doc_text). A changed case, or a case that gains or
 * changes an event, is marked changed in this batch. */
cr_status db_put_record(cr_db *db, int64_t batch_id, const record *rec, const char *doc_text,
                        db_put_result *result, cr_err *err);

/* Is key stored? 1 yes, 0 no, -1 error. For REC_CASE, the case's court code is
 * copied to court_out (if not NULL). */
int db_record_known(cr_db *db, record_type type, const char *key, char *court_out,
                    size_t court_len, cr_err *err);

/* Row counts per record type. */
cr_status db_record_counts(cr_db *db, int64_t counts[REC_TYPE_COUNT], cr_err *err);

/* What is stored, as a JSON object: totals per record type and cases grouped
 * by court, kind, status and procedure, events by type. Caller decrefs. */
cr_status db_record_stats(cr_db *db, json_t **out, cr_err *err);

#endif
