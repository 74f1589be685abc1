#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

cr_status cr_errf(cr_err *err, cr_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

void cr_err_prefix(cr_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof prefix - 3)
        n = (int)sizeof prefix - 3;
    memcpy(prefix + n, ": ", 3);
    n += 2;
    /* Shift the old message right, truncating its tail if needed. */
    size_t old_len = strnlen(err->msg, sizeof err->msg - 1);
    if ((size_t)n + old_len > sizeof err->msg - 1)
        old_len = sizeof err->msg - 1 - (size_t)n;
    memmove(err->msg + n, err->msg, old_len);
    memcpy(err->msg, prefix, (size_t)n);
    err->msg[n + old_len] = 0;
}
