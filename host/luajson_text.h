/*
 * luajson_text.h -- JSON text to Lua values and back, without a jansson tree.
 *
 * The same conversions as luajson.h, done directly on text: evaluation
 * parses every case's stored JSON and encodes every rule result, and the
 * intermediate json_t tree cost more than the rules themselves.
 * Both directions keep luajson.h's rules (limits, key order, what is refused),
 * so either path can replace the other; tests/unit/test_luajson_text.c
 * checks them against each other.
 */
#ifndef COURTRULES_LUAJSON_TEXT_H
#define COURTRULES_LUAJSON_TEXT_H

#include <stddef.h>

#include <lua.h>

#include "err.h"
#include "luajson.h"

/* What luajson_push_text does with the tables it creates. */
enum {
    LUAJSON_TEXT_PLAIN = 0,        /* fresh writable tables */
    LUAJSON_TEXT_FROZEN = 1,       /* every table a read-only view (sandbox_push_readonly) */
    LUAJSON_TEXT_FROZEN_BELOW = 2, /* every table but the outermost one: the caller adds
                                      fields to it, then makes its view */
    LUAJSON_TEXT_POOLED = 4,       /* with either frozen value: the views come from the
                                      state's pool (sandbox_push_view_kit) */
};

/*
 * Parses len bytes of RFC 8259 JSON text and pushes it as fresh Lua data,
 * as luajson_push(json_loadb(text)) would:
 *   objects -> tables with string keys, arrays -> sequences 1..n,
 *   integers that fit lua_Integer -> integers, other numbers -> floats,
 *   strings -> their UTF-8 bytes (escapes and \u surrogate pairs decoded),
 *   true/false -> booleans, a top-level null -> nil.
 * An object member that is null is left out. Refused (CR_INVALID): null
 * inside an array (it would leave a hole), a duplicate key, invalid UTF-8,
 * a lone surrogate, \u0000 (as jansson without JSON_ALLOW_NUL), a number too
 * large for a double, anything that is not one JSON value and whitespace,
 * and data beyond limits (NULL: defaults): containers nested deeper than
 * max_depth, more than max_values values (null members are not counted),
 * more than max_string_bytes of keys and strings together.
 * frozen is one of the LUAJSON_TEXT_ values, FROZEN and FROZEN_BELOW with
 * or without POOLED; a frozen table is replaced by its view after the
 * tables inside it were, exactly as luaapi.c's freeze().
 *
 * Runs in protected mode itself (it calls lua_pcall), so it may be called
 * from C code that is or is not protected. On success exactly one value is
 * pushed. On failure nothing is pushed, the stack is as it was, and err says
 * why: CR_INVALID for the data, naming the byte offset and the path, e.g.
 * "null inside an array (it would leave a hole) at byte 57 (in .events[3])";
 * CR_FAIL for memory (the sandbox's cap) or a full Lua stack. The caller
 * decides whether to raise.
 */
cr_status luajson_push_text(lua_State *L, const char *text, size_t len, int frozen,
                            const luajson_limits *limits, cr_err *err);

/*
 * Returns the Lua value at idx as compact JSON text (malloc'd, NUL-terminated,
 * the caller frees it; its length in *len if len is not NULL).
 * Byte for byte what json_dumps(luajson_to_json(L, idx, limits, err),
 * JSON_COMPACT | JSON_ENCODE_ANY) returns, and refused with the same message
 * whenever luajson_to_json refuses (NULL, err filled, CR_INVALID's messages:
 * "result table refers to itself at .a.b", ...). Like luajson_to_json it
 * uses raw access only: no metamethod runs, nothing raises, and a read-only
 * view encodes as its own (empty) raw contents, "[]".
 * The stack is left as it was.
 */
char *luajson_encode(lua_State *L, int idx, const luajson_limits *limits, size_t *len, cr_err *err);

/* A text buffer luajson_encode_append writes into, with the encoder's
 * scratch space, kept between calls so encoding many small values costs no
 * allocation once the buffers have grown. {0} is an empty buffer. */
typedef struct luajson_buffer {
    char *text; /* NUL-terminated once anything was appended (NULL before) */
    size_t len, cap;
    char *spare; /* scratch: pieces being put in key order */
    size_t spare_cap;
    void *members; /* scratch: the members of the open tables */
    size_t cap_members;
    void *cache; /* short strings written before (luajson_encode.c), made on first use */
} luajson_buffer;

/*
 * Appends what luajson_encode returns for the value at idx to buf->text
 * (buf->len grows by its length). On failure (CR_INVALID for what
 * luajson_encode refuses, the same message in err; CR_FAIL is not used:
 * running out of memory is reported as luajson_encode reports it) buf->len
 * is unchanged and the text ends there again. The stack is left as it was.
 */
cr_status luajson_encode_append(lua_State *L, int idx, const luajson_limits *limits,
                                luajson_buffer *buf, cr_err *err);

/* Frees buf's memory and leaves it empty ({0}). */
void luajson_buffer_free(luajson_buffer *buf);

#endif
