/*
 * luajson_path.c -- the path of the value being converted, as every luajson
 * message names it (".alerts[2].when", ["key with spaces"], [3]).
 */
#include "luajson_internal.h"

#include <stdarg.h>
#include <string.h>

static int is_identifier(const char *s, size_t len)
{
    if (len == 0 || len > 64 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

size_t luajson_path_push(luajson_path *path, const char *fmt, ...)
{
    size_t before = path->len;
    size_t room = sizeof path->text - path->len;
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(path->text + path->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        memcpy(path->text + sizeof path->text - 4, "...", 4);
        path->len = sizeof path->text - 1;
    } else {
        path->len += (size_t)n;
    }
    return before;
}

void luajson_path_push_key(luajson_path *path, const char *key, size_t len)
{
    if (is_identifier(key, len))
        luajson_path_push(path, ".%.*s", (int)len, key);
    else
        luajson_path_push(path, "[\"%.*s\"]", (int)(len > 32 ? 32 : len), key);
}

void luajson_path_pop(luajson_path *path, size_t before)
{
    path->len = before;
    path->text[before] = '\0';
}

void luajson_path_of_keys(lua_State *L, const int *key_slot, int levels, luajson_path *path)
{
    path->len = 0;
    path->text[0] = '\0';
    for (int d = 0; d < levels; d++) {
        int key = key_slot[d];
        if (lua_type(L, key) == LUA_TSTRING) {
            size_t len;
            const char *s = lua_tolstring(L, key, &len);
            luajson_path_push_key(path, s, len);
        } else {
            luajson_path_push(path, "[%lld]", (long long)lua_tointeger(L, key));
        }
    }
}

const char *luajson_path_show(const luajson_path *path)
{
    return path->len ? path->text : " the top level";
}
