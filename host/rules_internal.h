/*
 * rules_internal.h -- shared by rules.c and rules_schedules.c only.
 */
#ifndef COURTRULES_RULES_INTERNAL_H
#define COURTRULES_RULES_INTERNAL_H

#include <lua.h>
#include <stddef.h>

#include "rules.h"

/*
 * Reads the optional `schedules` field of the rule table at index t into
 * r->schedules (registry references for each run). 0, or -1 with why
 * naming the entry and field ("schedules[2].cron: minute: '60': ...") and
 * nothing kept. The stack is left as found.
 */
int rules_read_schedules(lua_State *L, int t, rule *r, char *why, size_t whylen);

/* Releases r's schedules and their references. */
void rules_free_schedules(lua_State *L, rule *r);

#endif
