/*
 * webhook_format.c -- running a format plugin: render and sign. See
 * webhook_format.h; the plugin API is the `webhook` table defined here.
 */
#include "webhook_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "luajson.h"
#include "luajson_text.h"
#include "db.h"
#include "sandbox.h"
#include "strbuf.h"
#include "webhook.h"

enum { FORMAT_GC_PAUSE = 400 }; /* percent; Lua's default is 200 */

/* The keys the drivers below set and read, made Lua strings once per
 * format (the array at keys_ref): lua_setfield and lua_getfield look a C
 * string up in Lua's string cache on every call and then take the path
 * that checks for metamethods, where the tables here are plain. Alert
 * fields are KEY_ALERT + their WEBHOOK_ALERT_ index. */
enum {
    KEY_ALERT = 1,
    KEY_ID = KEY_ALERT + WEBHOOK_ALERT_FIELDS,
    KEY_WEBHOOK,
    KEY_CREATED_AT,
    KEY_ALERTS,
    KEY_TIMESTAMP,
    KEY_TIMESTAMP_MS,
    KEY_URL,
    KEY_BODY,
    KEY_SECRETS,
    KEY_HEADERS,
    KEY_RENDER,
    KEY_SIGN,
    KEY_END
};
static const char *const driver_keys[KEY_END] = {
    [KEY_ID] = "id",           [KEY_WEBHOOK] = "webhook",     [KEY_CREATED_AT] = "created_at",
    [KEY_ALERTS] = "alerts",   [KEY_TIMESTAMP] = "timestamp", [KEY_TIMESTAMP_MS] = "timestamp_ms",
    [KEY_URL] = "url",         [KEY_BODY] = "body",           [KEY_SECRETS] = "secrets",
    [KEY_HEADERS] = "headers", [KEY_RENDER] = "render",       [KEY_SIGN] = "sign",
};

struct webhook_format {
    sandbox *sb;
    int module_ref; /* the module's table (not its read-only view) */
    int keys_ref;   /* the driver keys, an array indexed by KEY_ */
    int recent_ref; /* the texts the last alert rendered had, by KEY_ALERT + field */
    char name[64];
    /* the `webhook` functions' own (their upvalue is the format): */
    luajson_buffer json;    /* webhook.json's text and scratch, kept between calls */
    webhook_signer *signer; /* standard_signature's keyed MACs */
};

/* The format whose `webhook` table holds the running C function. */
static webhook_format *api_format(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* ---- the `webhook` table a format sees --------------------------------- */

/* webhook.json(value) -> compact JSON text, object members in key order. */
static int fmt_json(lua_State *L)
{
    luaL_checkany(L, 1);
    luajson_buffer *buf = &api_format(L)->json;
    cr_err err;
    buf->len = 0; /* the buffer is the format's: an error (memory included) leaks nothing */
    if (luajson_encode_append(L, 1, NULL, buf, &err) != CR_OK)
        return luaL_error(L, "webhook.json: %s", err.msg);
    lua_pushlstring(L, buf->text, buf->len);
    return 1;
}

/* webhook.hmac_sha256(key, data) -> the 32 raw bytes. */
static int fmt_hmac_sha256(lua_State *L)
{
    size_t key_len, len;
    const char *key = luaL_checklstring(L, 1, &key_len);
    const char *data = luaL_checklstring(L, 2, &len);
    unsigned char mac[32];
    webhook_hmac_sha256((const unsigned char *)key, key_len, data, len, mac);
    lua_pushlstring(L, (const char *)mac, sizeof mac);
    return 1;
}

/* webhook.base64(bytes) -> standard base64 with padding. */
static int fmt_base64(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    luaL_argcheck(L, len <= 1 << 20, 1, "longer than 1 MiB");
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, 4 * ((len + 2) / 3) + 1);
    size_t n = webhook_base64_encode((const unsigned char *)s, len, out);
    luaL_pushresultsize(&b, n);
    return 1;
}

/* webhook.urlencode(text) -> percent-encoded (RFC 3986 unreserved kept). */
static int fmt_urlencode(lua_State *L)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    luaL_argcheck(L, len <= 1 << 20, 1, "longer than 1 MiB");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            luaL_addchar(&b, (char)c);
        } else {
            luaL_addchar(&b, '%');
            luaL_addchar(&b, hex[c >> 4]);
            luaL_addchar(&b, hex[c & 15]);
        }
    }
    luaL_pushresult(&b);
    return 1;
}

/* webhook.secret_key(secret) -> the key bytes ("whsec_" base64 decoded,
 * any other secret as it is). */
static int fmt_secret_key(lua_State *L)
{
    const char *secret = luaL_checkstring(L, 1);
    unsigned char key[256];
    size_t key_len;
    cr_err err;
    if (webhook_secret_key(secret, key, sizeof key, &key_len, &err) != CR_OK)
        return luaL_error(L, "webhook.secret_key: %s", err.msg);
    lua_pushlstring(L, (const char *)key, key_len);
    return 1;
}

/* webhook.standard_signature(secrets, id, timestamp, body) -> the
 * webhook-signature value: "v1,<sig>" per secret, space-separated (what
 * standard.lua would compute with hmac_sha256 and base64, in one call). */
static int fmt_standard_signature(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *id = luaL_checkstring(L, 2);
    lua_Integer ts = luaL_checkinteger(L, 3);
    size_t len;
    const char *body = luaL_checklstring(L, 4, &len);
    const char *secrets[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        lua_rawgeti(L, 1, i + 1); /* stays on the stack: the string lives */
        if (lua_type(L, -1) == LUA_TSTRING)
            secrets[i] = lua_tostring(L, -1);
    }
    if (!secrets[0])
        return luaL_argerror(L, 1, "no secret");
    char sig[WEBHOOK_SIGNATURE_MAX];
    cr_err err;
    if (webhook_signer_sign(api_format(L)->signer, secrets, id, (int64_t)ts, body, len, sig,
                            &err) != CR_OK)
        return luaL_error(L, "webhook.standard_signature: %s", err.msg);
    lua_pushstring(L, sig);
    return 1;
}

static const luaL_Reg format_api[] = {
    {"standard_signature", fmt_standard_signature},
    {"json", fmt_json},
    {"hmac_sha256", fmt_hmac_sha256},
    {"base64", fmt_base64},
    {"urlencode", fmt_urlencode},
    {"secret_key", fmt_secret_key},
    {NULL, NULL},
};

/* Stack: [1] the environment, [2] the webhook_format (api_ud). */
static int open_format_api(lua_State *L)
{
    luaL_newlibtable(L, format_api);
    lua_pushvalue(L, 2);
    luaL_setfuncs(L, format_api, 1);
    lua_setfield(L, 1, "webhook");
    return 0;
}

/* ---- loading ------------------------------------------------------------ */

static int plain_name(const char *name)
{
    if (!*name || strlen(name) >= 64)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

/* Pushes the driver keys' array. */
static void push_keys(lua_State *L, const webhook_format *f)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, f->keys_ref);
}

/* Pushes field `key` (a KEY_) of the module table by raw access; keys is
 * the stack index of the keys' array. */
static void push_field(lua_State *L, const webhook_format *f, int keys, int key)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, f->module_ref);
    lua_rawgeti(L, keys, key);
    lua_rawget(L, -2);
    lua_remove(L, -2);
}

/* Makes the driver keys' array (stack unchanged). */
static void make_keys(lua_State *L, webhook_format *f)
{
    lua_createtable(L, KEY_END - 1, 0);
    for (int i = 1; i < KEY_END; i++) {
        lua_pushstring(L, i < KEY_ID ? webhook_alert_keys[i - KEY_ALERT] : driver_keys[i]);
        lua_rawseti(L, -2, i);
    }
    f->keys_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_createtable(L, WEBHOOK_ALERT_FIELDS, 0);
    f->recent_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

cr_status webhook_format_load(const char *plugins_dir, const char *name, webhook_format **out,
                              cr_err *err)
{
    *out = NULL;
    if (!plain_name(name))
        return cr_errf(err, CR_INVALID,
                       "webhook format '%s': use a module name of a-z, 0-9 and '_' "
                       "(plugins/webhook/NAME.lua)",
                       name);
    if (!plugins_dir)
        return cr_errf(err, CR_INVALID,
                       "webhook format '%s': no plugins folder (give --plugins DIR)", name);
    char path[4096];
    snprintf(path, sizeof path, "%s/webhook/%s.lua", plugins_dir, name);
    FILE *probe = fopen(path, "r");
    if (!probe)
        return cr_errf(err, CR_INVALID, "webhook format '%s': no file %s", name, path);
    fclose(probe);

    webhook_format *f = calloc(1, sizeof *f);
    if (!f)
        return cr_errf(err, CR_FAIL, "out of memory");
    snprintf(f->name, sizeof f->name, "%s", name);
    const char *dirs[] = {plugins_dir, NULL};
    sandbox_limits limits = sandbox_limits_default();
    limits.memory_bytes = 32u << 20;
    if (!(f->signer = webhook_signer_new())) {
        free(f);
        return cr_errf(err, CR_FAIL, "out of memory");
    }
    f->sb = sandbox_new(&limits, dirs, open_format_api, f, err);
    if (!f->sb) {
        webhook_format_free(f);
        return CR_FAIL;
    }
    char chunk[128];
    int n = snprintf(chunk, sizeof chunk, "return require('webhook.%s')", name);
    cr_status st = sandbox_dostring(f->sb, chunk, (size_t)n, "=webhook format", err);
    lua_State *L = sandbox_state(f->sb);
    if (st == CR_OK && !sandbox_readonly_target(L, -1)) {
        lua_pop(L, 1);
        st = cr_errf(err, CR_INVALID, "webhook format '%s': %s must return a table", name, path);
    }
    if (st != CR_OK) {
        cr_err_prefix(err, "webhook format '%s'", name);
        webhook_format_free(f);
        return st == CR_FAIL ? CR_INVALID : st;
    }
    /* Everything render and sign make is garbage once they return, and
     * the live heap is small (the module and the standard library), so the
     * collector may wait for 4 times it instead of twice: a third less of
     * its work per message. A refused allocation still collects at once
     * (Lua's emergency collection), so the memory cap holds as before. */
    lua_gc(L, LUA_GCINC, FORMAT_GC_PAUSE, 0, 0);
    /* stack: view, table */
    f->module_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    make_keys(L, f);
    push_keys(L, f);
    static const int required[] = {KEY_RENDER, KEY_SIGN};
    for (int i = 0; i < 2; i++) {
        push_field(L, f, lua_gettop(L), required[i]);
        int ok = lua_isfunction(L, -1);
        lua_pop(L, 1);
        if (!ok) {
            lua_pop(L, 1);
            webhook_format_free(f);
            return cr_errf(err, CR_INVALID, "webhook format '%s': %s has no function %s", name,
                           path, driver_keys[required[i]]);
        }
    }
    lua_pop(L, 1);
    *out = f;
    return CR_OK;
}

const char *webhook_format_name(const webhook_format *f)
{
    return f->name;
}

void webhook_format_free(webhook_format *f)
{
    if (!f)
        return;
    sandbox_free(f->sb);
    luajson_buffer_free(&f->json);
    webhook_signer_free(f->signer);
    free(f);
}

/* What render_driver works on. */
typedef struct render_job {
    webhook_format *f;
    const char *webhook_name, *created_at;
    const webhook_alert *const *alerts;
    int n;
} render_job;

/* Pushes s as a Lua string. lua_pushstring would first look s up in Lua's
 * cache of C strings by address: a new body at an address an earlier one
 * had is compared with it byte by byte (hundreds of equal bytes) before a
 * string is made anyway. */
static void push_c_string(lua_State *L, const char *s)
{
    lua_pushlstring(L, s, strlen(s));
}

/* t[key] = s, and t[key] = v: t is the stack index of a plain table, keys
 * that of the keys' array, key a KEY_. */
static void set_string(lua_State *L, int t, int keys, int key, const char *s)
{
    lua_rawgeti(L, keys, key);
    push_c_string(L, s);
    lua_rawset(L, t);
}

static void set_integer(lua_State *L, int t, int keys, int key, lua_Integer v)
{
    lua_rawgeti(L, keys, key);
    lua_pushinteger(L, v);
    lua_rawset(L, t);
}

/* Pushes text s of alert field i: the string the last alert had there
 * when the text is the same (recent: the stack index of those strings),
 * else a new one, kept for the next alert. Alerts of a batch share most of
 * their fields (rule, code, court, dates), and a string made anew is hashed
 * and looked up (short) or allocated and copied (long) every time; equal
 * strings are one value to Lua, so the script sees no difference. */
static void push_alert_text(lua_State *L, int recent, int i, const char *s)
{
    size_t len = strlen(s), had_len;
    lua_rawgeti(L, recent, KEY_ALERT + i);
    const char *had = lua_tolstring(L, -1, &had_len); /* NULL: nil, nothing kept yet */
    if (had && had_len == len && memcmp(had, s, len) == 0)
        return;
    lua_pop(L, 1);
    lua_pushlstring(L, s, len);
    lua_pushvalue(L, -1);
    lua_rawseti(L, recent, KEY_ALERT + i);
}

/* Pushes one alert as a fresh table: the texts as strings, data as the
 * value its JSON text encodes, NULL fields left out (as a JSON null member
 * would be). keys and recent are the stack indexes of the keys' array and
 * of the last alert's texts. */
static void push_alert(lua_State *L, int keys, int recent, const webhook_alert *a)
{
    lua_createtable(L, 0, WEBHOOK_ALERT_FIELDS + 1);
    int t = lua_gettop(L);
    set_integer(L, t, keys, KEY_ID, a->id);
    for (int i = 0; i < WEBHOOK_ALERT_FIELDS; i++) {
        const char *s = a->field[i];
        if (!s)
            continue;
        lua_rawgeti(L, keys, KEY_ALERT + i);
        if (i == WEBHOOK_ALERT_DATA) {
            cr_err err;
            if (luajson_push_text(L, s, strlen(s), LUAJSON_TEXT_PLAIN, NULL, &err) != CR_OK)
                luaL_error(L, "alert %I data: %s", (lua_Integer)a->id, err.msg);
            if (lua_isnil(L, -1)) { /* the text null */
                lua_pop(L, 2);
                continue;
            }
        } else {
            push_alert_text(L, recent, i, s);
        }
        lua_rawset(L, t);
    }
}

/* Runs in protected mode under the budget (sandbox_call): builds batch,
 * calls the format's render(batch) and leaves what it returned. */
static int render_driver(lua_State *L)
{
    render_job *job = lua_touserdata(L, 1);
    push_keys(L, job->f);
    int keys = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, job->f->recent_ref);
    int recent = lua_gettop(L);
    push_field(L, job->f, keys, KEY_RENDER);
    lua_createtable(L, 0, 3);
    int batch = lua_gettop(L);
    set_string(L, batch, keys, KEY_WEBHOOK, job->webhook_name);
    set_string(L, batch, keys, KEY_CREATED_AT, job->created_at);
    lua_rawgeti(L, keys, KEY_ALERTS);
    lua_createtable(L, job->n, 0);
    for (int i = 0; i < job->n; i++) {
        push_alert(L, keys, recent, job->alerts[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_rawset(L, batch);
    lua_call(L, 1, 1);
    return 1;
}

cr_status webhook_format_render(webhook_format *f, const char *webhook_name,
                                const webhook_alert *const *alerts, int n, int64_t now_ms,
                                char **body, cr_err *err)
{
    *body = NULL;
    char now[26];
    db_format_ms(now_ms, now);
    render_job job = {f, webhook_name, now, alerts, n};
    lua_State *L = sandbox_state(f->sb);
    lua_pushcfunction(L, render_driver); /* a light C function: allocates nothing */
    lua_pushlightuserdata(L, &job);
    cr_status st = sandbox_call(f->sb, 1, 1, err);
    if (st != CR_OK) {
        cr_err_prefix(err, "webhook format '%s': render", f->name);
        return st;
    }
    if (lua_type(L, -1) != LUA_TSTRING) {
        cr_errf(err, CR_FAIL, "webhook format '%s': render returned %s, not a string", f->name,
                luaL_typename(L, -1));
        lua_pop(L, 1);
        return CR_FAIL;
    }
    size_t body_len;
    const char *s = lua_tolstring(L, -1, &body_len);
    *body = malloc(body_len + 1);
    if (*body)
        memcpy(*body, s, body_len + 1);
    lua_pop(L, 1);
    return *body ? CR_OK : cr_errf(err, CR_FAIL, "out of memory");
}

void webhook_request_free(webhook_request *r)
{
    free(r->url);
    free(r->body);
    for (int i = 0; i < r->n_headers; i++)
        free(r->headers[i]);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

static int has_line_break(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

/* What sign_driver works on: the inputs and, on return, the request. */
typedef struct sign_job {
    webhook_format *f;
    const char *msg_id, *url, *body;
    const char *const *secrets;
    int64_t now_ms;
    webhook_request *out;
} sign_job;

/* Copies the string field `key` (a KEY_) of the table at idx into *out
 * (malloc'd); keys is the stack index of the keys' array. */
static void take_string(lua_State *L, int idx, int keys, int key, char **out)
{
    lua_rawgeti(L, keys, key);
    lua_rawget(L, idx); /* the result is the script's own plain table */
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L,
                   "sign must return {url = string, body = string, headers = {name = value}}"
                   " (%s is %s)",
                   driver_keys[key], luaL_typename(L, -1));
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (!(*out = malloc(len + 1)))
        luaL_error(L, "out of memory");
    memcpy(*out, s, len + 1);
    lua_pop(L, 1);
}

/* Runs in protected mode under the budget (sandbox_call): builds req,
 * calls the format's sign(req), and copies the request it returns. The
 * body is handed over and back as a Lua string: no JSON conversion. */
static int sign_driver(lua_State *L)
{
    sign_job *job = lua_touserdata(L, 1);
    webhook_request *out = job->out;
    push_keys(L, job->f);
    int keys = lua_gettop(L);
    push_field(L, job->f, keys, KEY_SIGN);
    lua_createtable(L, 0, 6);
    int req = lua_gettop(L);
    set_string(L, req, keys, KEY_ID, job->msg_id);
    set_integer(L, req, keys, KEY_TIMESTAMP, job->now_ms / 1000);
    set_integer(L, req, keys, KEY_TIMESTAMP_MS, job->now_ms);
    set_string(L, req, keys, KEY_URL, job->url);
    set_string(L, req, keys, KEY_BODY, job->body);
    lua_rawgeti(L, keys, KEY_SECRETS);
    lua_createtable(L, 2, 0);
    for (int i = 0, n = 0; i < 2; i++)
        if (job->secrets[i] && *job->secrets[i]) {
            push_c_string(L, job->secrets[i]);
            lua_rawseti(L, -2, ++n);
        }
    lua_rawset(L, req);
    lua_call(L, 1, 1);
    if (!lua_istable(L, -1) || lua_getmetatable(L, -1))
        return luaL_error(L,
                          "sign must return a plain table {url = ..., body = ..., headers = ...}");
    int res = lua_gettop(L);
    take_string(L, res, keys, KEY_URL, &out->url);
    take_string(L, res, keys, KEY_BODY, &out->body);
    if (has_line_break(out->url))
        return luaL_error(L, "sign returned a url with a line break");
    lua_rawgeti(L, keys, KEY_HEADERS);
    lua_rawget(L, res);
    if (lua_isnil(L, -1))
        return 0;
    if (!lua_istable(L, -1))
        return luaL_error(L, "sign: headers must be a table {name = value}");
    /* one pass over the table: the list grows (NULL-terminated throughout,
     * so that webhook_request_free can take it after an error) */
    int headers = lua_gettop(L), cap = 0;
    lua_pushnil(L);
    while (lua_next(L, headers)) {
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "sign: every header name and value must be a string");
        const char *name = lua_tostring(L, -2), *value = lua_tostring(L, -1);
        if (has_line_break(name) || has_line_break(value) || strchr(name, ':') || !*name)
            return luaL_error(L, "sign: header '%s' has a line break or a ':' in its name", name);
        if (out->n_headers + 2 > cap) { /* this line and the NULL after it */
            int grown_cap = cap ? cap * 2 : 8;
            char **grown = realloc(out->headers, (size_t)grown_cap * sizeof *grown);
            if (!grown)
                return luaL_error(L, "out of memory");
            out->headers = grown;
            cap = grown_cap;
        }
        size_t name_len = strlen(name), value_len = strlen(value);
        char *line = malloc(name_len + value_len + 3);
        if (!line)
            return luaL_error(L, "out of memory");
        memcpy(line, name, name_len);
        memcpy(line + name_len, ": ", 2);
        memcpy(line + name_len + 2, value, value_len + 1);
        out->headers[out->n_headers++] = line;
        out->headers[out->n_headers] = NULL;
        lua_pop(L, 1);
    }
    if (!out->headers && !(out->headers = calloc(1, sizeof *out->headers)))
        return luaL_error(L, "out of memory"); /* an empty table: an empty list */
    return 0;
}

cr_status webhook_format_sign(webhook_format *f, const char *msg_id, int64_t now_ms,
                              const char *url, const char *body, const char *const secrets[2],
                              webhook_request *out, cr_err *err)
{
    memset(out, 0, sizeof *out);
    sign_job job = {f, msg_id, url, body, secrets, now_ms, out};
    lua_State *L = sandbox_state(f->sb);
    lua_pushcfunction(L, sign_driver); /* a light C function: allocates nothing */
    lua_pushlightuserdata(L, &job);
    cr_status st = sandbox_call(f->sb, 1, 0, err);
    if (st != CR_OK) {
        cr_err_prefix(err, "webhook format '%s': sign", f->name);
        webhook_request_free(out);
    }
    return st;
}
