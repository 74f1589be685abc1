/*
 * luajson_internal.h -- what the luajson files share; not for other modules.
 *
 * luajson.c         Lua values to jansson values and back; the limits
 * luajson_text.c    JSON text to Lua values (the parser)
 * luajson_encode.c  Lua values to JSON text (the encoder)
 * luajson_path.c    the path of the value being converted, for messages
 *
 * The text paths must refuse what the jansson paths refuse with the same
 * message, so the limits and the paths in messages live here, once.
 */
#ifndef COURTRULES_LUAJSON_INTERNAL_H
#define COURTRULES_LUAJSON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "jsontext.h" /* UTF-8 checks, escapes and reals, shared with other writers */
#include "luajson.h"

enum {
    LUAJSON_PATH_MAX_LEN = 256, /* a longer path is cut and ends in "..." */
    LUAJSON_MAX_DEPTH = 64,     /* the largest max_depth: per-level arrays are this long */
    /* The parser collects a container's members on the Lua stack and moves
     * them into its table, created sized for them, when the container ends
     * or when they fill this many slots: an object's member takes three (key,
     * value, key offset), an array's element one. luajson_push_tree sizes
     * its tables alike, so that pairs() visits them in the same order. */
    LUAJSON_CHUNK_SLOTS = 3072,
    LUAJSON_CHUNK_MEMBERS = LUAJSON_CHUNK_SLOTS / 3,
    LUAJSON_CHUNK_ELEMENTS = LUAJSON_CHUNK_SLOTS,
};

/* limits, or the defaults if NULL; a max_depth outside 1..LUAJSON_MAX_DEPTH
 * becomes LUAJSON_MAX_DEPTH (the per-level arrays and the C stack bound it). */
luajson_limits luajson_limits_or_default(const luajson_limits *limits);

/* ---- the string cache (luajson_text.c) ---- */

/* Pushes the state's cache of short strings pushed before (made the first
 * time; it allocates, so call it from protected code) and returns it. */
void *luajson_strings_push(lua_State *L);

/* Pushes len bytes of s as lua_pushlstring does, through the cache at
 * stack index cache_slot (cache is what luajson_strings_push returned):
 * a string pushed before costs a few comparisons instead of Lua hashing
 * every byte and searching its string table. is_key: an object's key
 * (keys recur; values mostly do not). */
const char *luajson_strings_pushl(lua_State *L, void *cache, int cache_slot, const char *s,
                                  size_t len, int is_key);

/* ---- paths (luajson_path.c) ---- */

/* The path of the value being converted, e.g. ".alerts[2].when". {0} is
 * the top level. */
typedef struct luajson_path {
    char text[LUAJSON_PATH_MAX_LEN];
    size_t len;
} luajson_path;

/* Appends a segment; a path too long to show ends in "...". Returns the
 * previous length, to pass to luajson_path_pop. */
size_t luajson_path_push(luajson_path *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends a member's key: ".name" for an identifier, else ["key"] with at
 * most 32 bytes of the key. */
void luajson_path_push_key(luajson_path *path, const char *key, size_t len);

/* Cuts the path back to the length luajson_path_push returned. */
void luajson_path_pop(luajson_path *path, size_t before);

/* The path as messages show it: " the top level" when empty. */
const char *luajson_path_show(const luajson_path *path);

/* The two arguments of a message's "at%s%s": a space and the path, or
 * " the top level". */
#define PATH_AT(path) ((path)->len ? " " : ""), luajson_path_show(path)

/* The path of a value inside `levels` open tables whose current keys are at
 * stack indexes key_slot[0..levels-1]: built only when a message needs it,
 * as the converters' lua_next loops keep their keys on the stack. */
void luajson_path_of_keys(lua_State *L, const int *key_slot, int levels, luajson_path *path);

#endif
