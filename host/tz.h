/*
 * tz.h -- time zones from the tz database (IANA), for the scheduler.
 *
 * A zone is read from its compiled TZif file (RFC 8536) under $TZDIR, else
 * /usr/share/zoneinfo: the transition table, then the POSIX TZ rule in the
 * file's footer for instants after the last transition (needed by "slim"
 * files and for years past 2037). The process environment (TZ, tzset,
 * localtime) is never touched, so zones may be used from any thread: a
 * loaded cr_tz is immutable.
 *
 * "Asia/Shanghai" and "UTC" are built in as fixed offsets (UTC+8 has had no
 * DST since 1991) so the default works without tzdata installed; any other
 * name needs its file.
 */
#ifndef COURTRULES_TZ_H
#define COURTRULES_TZ_H

#include <stdint.h>

#include "err.h"

#define TZ_DEFAULT "Asia/Shanghai"
#define TZ_NAME_MAX 64

typedef struct cr_tz cr_tz;

/* Loads the zone `name` ("Asia/Shanghai", "America/New_York", "UTC"). A name
 * that is not a tz database name (absolute, "..", odd characters) or has no
 * readable TZif file is CR_INVALID naming it; CR_FAIL when out of memory. */
cr_status tz_load(const char *name, cr_tz **out, cr_err *err);
void tz_free(cr_tz *tz);

/* The name it was loaded with. */
const char *tz_name(const cr_tz *tz);

/* Seconds east of UTC in force at the UTC instant t (28800 for Shanghai). */
int32_t tz_offset(const cr_tz *tz, int64_t t);

/* The first instant in (a, b] whose offset differs from the offset at a, or
 * b + 1 if none. Assumes at most one transition in the interval (callers
 * pass windows of a few days; zones change at most twice a year). */
int64_t tz_transition_after(const cr_tz *tz, int64_t a, int64_t b);

#endif
