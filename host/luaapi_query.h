/*
 * luaapi_query.h -- ctx.query: read-only queries over courts, people, cases
 * and events, limited to the calling rule set's scope.
 */
#ifndef COURTRULES_LUAAPI_QUERY_H
#define COURTRULES_LUAAPI_QUERY_H

#include <lua.h>

#include "db.h"

/* What a rule set's queries may reach: its query-only connection (may be
 * NULL: queries then raise "not available") and its scope ("*" or a
 * court-code prefix). Must outlive the ctx. */
typedef struct luaapi_query_scope {
    cr_db *db;
    char scope[32];
} luaapi_query_scope;

/* Pushes the read-only ctx.query table for scope. Protected mode only. */
void luaapi_push_query(lua_State *L, luaapi_query_scope *scope);

#endif
