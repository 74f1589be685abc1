/*
 * luajson.h -- Lua values to jansson values and back.
 *
 * Rule hooks return plain Lua tables that are stored as JSON; case data
 * travels the other way. Reading a script's value never runs script code:
 * only raw access (lua_rawgeti, lua_next) is used, so no metamethod fires,
 * and nothing raises a Lua error.
 */
#ifndef COURTRULES_LUAJSON_H
#define COURTRULES_LUAJSON_H

#include <stddef.h>

#include <jansson.h>
#include <lua.h>

#include "err.h"

typedef struct luajson_limits {
    int max_depth;           /* tables nested deeper than this are refused (default 32) */
    size_t max_values;       /* values in total, containers included (default 100000) */
    size_t max_string_bytes; /* bytes of all keys and strings together (default 16 MiB) */
} luajson_limits;

/* Returns the defaults listed in luajson_limits. */
luajson_limits luajson_limits_default(void);

/*
 * Converts the Lua value at idx to a new JSON value (the caller owns the
 * reference). limits may be NULL (defaults).
 *   nil -> null; booleans -> true/false; integers -> JSON integers;
 *   floats -> JSON reals, finite only; strings -> strings, valid UTF-8 only;
 *   a table whose keys are exactly 1..n -> array; a table whose keys are all
 *   strings -> object, members in byte order of their keys (so the text is
 *   deterministic); an empty table -> [] (an empty list is the common case:
 *   `categories = {}`).
 * Metatables are ignored: a table converts by its raw contents.
 * Anything else -- functions, userdata, threads, mixed or non-string keys,
 * holes, a table that contains itself, nesting or size beyond the limits --
 * returns NULL with CR_INVALID in err, naming the path of the offending
 * value, e.g. "result table refers to itself at .a.b" or
 * "value at .alerts[2].when is a function".
 * The stack is left as it was.
 */
json_t *luajson_to_json(lua_State *L, int idx, const luajson_limits *limits, cr_err *err);

/*
 * Pushes value as fresh Lua data: objects and arrays become new tables
 * (arrays as sequences 1..n), integers Lua integers, reals Lua floats,
 * null nil -- an object member that is null is left out; null inside an
 * array is refused because it would leave a hole. limits may be NULL.
 * Runs in protected mode: on failure (limits, a null in an array, memory)
 * nothing is pushed and err says why (CR_INVALID for the data, CR_FAIL for
 * memory or a full stack).
 */
cr_status luajson_push(lua_State *L, const json_t *value, const luajson_limits *limits,
                       cr_err *err);

/*
 * Pushes value exactly as luajson_push_text pushes its compact text
 * (jsontext_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY)), without writing
 * and parsing that text: the same tables, created with the same sizes and
 * filled in the same order (so pairs() visits them alike), integers as
 * integers and reals as floats, frozen as luajson_text.h's LUAJSON_TEXT_
 * value frozen says. What the parser would refuse (limits, a null in an
 * array, a NUL in a string) is handed to it, so the refusal and its
 * message, byte offsets in that text included, are the parser's.
 * value's strings must be valid UTF-8, as jansson makes them.
 * Returns as luajson_push_text does. Two differences it cannot see: on a
 * Lua stack within a few hundred slots of its limit the parser fills
 * tables early (sized otherwise), and it allocates less than the parser,
 * so under a memory cap it may succeed where the parser runs out.
 */
cr_status luajson_push_tree(lua_State *L, const json_t *value, int frozen,
                            const luajson_limits *limits, cr_err *err);

#endif
