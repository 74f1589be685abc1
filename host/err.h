/*
 * err.h -- how errors travel in courtrules.
 *
 * Every fallible function returns a cr_status and, on failure, fills a
 * caller-owned cr_err with a message that names what failed (file, line,
 * field, case number, rule). Only main() turns a status into an exit code.
 */
#ifndef COURTRULES_ERR_H
#define COURTRULES_ERR_H

#include <stddef.h>

typedef enum cr_status {
    CR_OK = 0,     /* done */
    CR_FAIL = 1,   /* the work failed (I/O, database, internal) */
    CR_INVALID = 2 /* bad usage or bad input; nothing was changed */
} cr_status;

typedef struct cr_err {
    char msg[1024];
} cr_err;

/* Formats a message into err (if not NULL) and returns status. */
cr_status cr_errf(cr_err *err, cr_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message: "prefix: old message". */
void cr_err_prefix(cr_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
