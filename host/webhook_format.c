/*
 * webhook_format.c -- running a format plugin: render and sign. See
 * webhook_format.h; the plugin API is the `webhook` table defined here.
 */
#include "webhook_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>

#include "luajson.h"
#include "sandbox.h"
#include "webhook.h"

struct webhook_format {
    sandbox *sb;
    int module_ref; /* the module's table (not its read-only view) */
    char name[64];
};

/* ---- the `webhook` table a format sees --------------------------------- */

/* webhook.json(value) -> compact JSON text, object members in key order. */
static int fmt_json(lua_State *L)
{
    luaL_checkany(L, 1);
    cr_err err;
    json_t *v = luajson_to_json(L, 1, NULL, &err);
    if (!v)
        return luaL_error(L, "webhook.json: %s", err.msg);
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    if (!text)
        return luaL_error(L, "webhook.json: out of memory");
    lua_pushstring(L, text);
    free(text);
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

static const luaL_Reg format_api[] = {
    {"json", fmt_json},
    {"hmac_sha256", fmt_hmac_sha256},
    {"base64", fmt_base64},
    {"urlencode", fmt_urlencode},
    {"secret_key", fmt_secret_key},
    {NULL, NULL},
};

static int open_format_api(lua_State *L)
{
    luaL_newlib(L, format_api);
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

/* Pushes field `key` of the module table by raw access. */
static void push_field(webhook_format *f, const char *key)
{
    lua_State *L = sandbox_state(f->sb);
    lua_rawgeti(L, LUA_REGISTRYINDEX, f->module_ref);
    lua_pushstring(L, key);
    lua_rawget(L, -2);
    lua_remove(L, -2);
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
    f->sb = sandbox_new(&limits, dirs, open_format_api, NULL, err);
    if (!f->sb) {
        free(f);
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
    /* stack: view, table */
    f->module_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    static const char *const required[] = {"render", "sign"};
    for (int i = 0; i < 2; i++) {
        push_field(f, required[i]);
        int ok = lua_isfunction(L, -1);
        lua_pop(L, 1);
        if (!ok) {
            webhook_format_free(f);
            return cr_errf(err, CR_INVALID, "webhook format '%s': %s has no function %s", name,
                           path, required[i]);
        }
    }
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
    free(f);
}

/* Calls module function `fn` with one argument made from arg (not
 * consumed); leaves its one result on the stack. */
static cr_status call_with(webhook_format *f, const char *fn, json_t *arg, cr_err *err)
{
    lua_State *L = sandbox_state(f->sb);
    push_field(f, fn);
    cr_status st = luajson_push(L, arg, NULL, err);
    if (st != CR_OK) {
        lua_pop(L, 1);
        return st;
    }
    st = sandbox_call(f->sb, 1, 1, err);
    if (st != CR_OK)
        cr_err_prefix(err, "webhook format '%s': %s", f->name, fn);
    return st;
}

static void iso_time(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000) + 8 * 3600; /* Asia/Shanghai, no DST */
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

cr_status webhook_format_render(webhook_format *f, const char *webhook_name, json_t *alerts,
                                int64_t now_ms, char **body, cr_err *err)
{
    *body = NULL;
    char now[32];
    iso_time(now_ms, now);
    json_t *shown = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a)
    {
        json_t *copy = json_copy(a);
        json_object_del(copy, "outbox_id");
        json_array_append_new(shown, copy);
    }
    json_t *batch = json_pack("{s:s, s:s, s:o}", "webhook", webhook_name, "created_at", now,
                              "alerts", shown);
    cr_status st = call_with(f, "render", batch, err);
    json_decref(batch);
    if (st != CR_OK)
        return st;
    lua_State *L = sandbox_state(f->sb);
    if (lua_type(L, -1) != LUA_TSTRING) {
        cr_errf(err, CR_FAIL, "webhook format '%s': render returned %s, not a string", f->name,
                luaL_typename(L, -1));
        lua_pop(L, 1);
        return CR_FAIL;
    }
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    *body = malloc(len + 1);
    if (*body) {
        memcpy(*body, s, len);
        (*body)[len] = '\0';
    }
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

cr_status webhook_format_sign(webhook_format *f, const char *msg_id, int64_t now_ms,
                              const char *url, const char *body, const char *const secrets[2],
                              webhook_request *out, cr_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *list = json_array();
    for (int i = 0; i < 2; i++)
        if (secrets[i] && *secrets[i])
            json_array_append_new(list, json_string(secrets[i]));
    json_t *req = json_pack("{s:s, s:I, s:I, s:s, s:s, s:o}", "id", msg_id, "timestamp",
                            (json_int_t)(now_ms / 1000), "timestamp_ms", (json_int_t)now_ms,
                            "url", url, "body", body, "secrets", list);
    cr_status st = req ? call_with(f, "sign", req, err)
                       : cr_errf(err, CR_FAIL, "webhook format '%s': body is not UTF-8", f->name);
    json_decref(req);
    if (st != CR_OK)
        return st;
    lua_State *L = sandbox_state(f->sb);
    json_t *res = luajson_to_json(L, -1, NULL, err);
    lua_pop(L, 1);
    if (!res) {
        cr_err_prefix(err, "webhook format '%s': sign", f->name);
        return CR_FAIL;
    }
    const char *new_url = json_string_value(json_object_get(res, "url"));
    const char *new_body = json_string_value(json_object_get(res, "body"));
    json_t *headers = json_object_get(res, "headers");
    if (!new_url || !new_body || (headers && !json_is_object(headers)) ||
        has_line_break(new_url)) {
        json_decref(res);
        return cr_errf(err, CR_FAIL,
                       "webhook format '%s': sign must return {url = string, body = string, "
                       "headers = {name = value}} without line breaks in the url",
                       f->name);
    }
    out->url = strdup(new_url);
    out->body = strdup(new_body);
    out->headers = calloc(json_object_size(headers) + 1, sizeof *out->headers);
    const char *name;
    json_t *value;
    json_object_foreach(headers, name, value)
    {
        const char *v = json_string_value(value);
        if (!v || has_line_break(name) || has_line_break(v) || strchr(name, ':')) {
            json_decref(res);
            webhook_request_free(out);
            return cr_errf(err, CR_FAIL,
                           "webhook format '%s': header '%s' must be a string without line "
                           "breaks",
                           f->name, name);
        }
        size_t len = strlen(name) + strlen(v) + 3;
        out->headers[out->n_headers] = malloc(len);
        snprintf(out->headers[out->n_headers++], len, "%s: %s", name, v);
    }
    json_decref(res);
    return CR_OK;
}
