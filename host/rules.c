/*
 * rules.c -- discovering, versioning and loading rule sets.
 */
#include "rules.h"

#include <dirent.h>
#include <lauxlib.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "casenum.h"
#include "luaapi.h"
#include "rules_internal.h"

#define MANIFEST "ruleset.json"

/* ---- small helpers ---- */

static char *read_file(const char *path, size_t *len, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > max + 1)
                cap = max + 1;
            char *p = realloc(buf, cap + 1);
            if (!p)
                break;
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0 || n > max)
            break;
    }
    int bad = ferror(f) || n > max || !buf;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct path_list {
    char **items;
    size_t n, cap;
} path_list;

static int path_list_add(path_list *l, const char *p)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    return (l->items[l->n++] = strdup(p)) ? 0 : -1;
}

static void path_list_free(path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
}

/* A folder's identity, to tell a link back to a folder above it. */
typedef struct dir_id {
    dev_t dev;
    ino_t ino;
} dir_id;

enum { COLLECT_MAX_DEPTH = 32 };

/* collect_files below rel, whose folders from root down are up[0..depth]. */
static int collect_under(const char *root, const char *rel, dir_id *up, size_t depth,
                         path_list *out)
{
    char path[2048];
    snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct stat self;
    if (fstat(dirfd(d), &self) == 0)
        up[depth] = (dir_id){self.st_dev, self.st_ino};
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[1024], full[3072];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (!*rel && strcmp(e->d_name, "tests") == 0)
                continue;
            /* A link back to a folder above (a loop) is not followed: it
             * would list the same scripts again under ever longer names. */
            int loop = depth + 1 >= COLLECT_MAX_DEPTH;
            for (size_t i = 0; i <= depth && !loop; i++)
                loop = up[i].dev == st.st_dev && up[i].ino == st.st_ino;
            if (!loop)
                rc = collect_under(root, sub, up, depth + 1, out);
        } else if (S_ISREG(st.st_mode)) {
            size_t n = strlen(e->d_name);
            if ((n > 4 && strcmp(e->d_name + n - 4, ".lua") == 0) ||
                (!*rel && strcmp(e->d_name, MANIFEST) == 0))
                rc = path_list_add(out, sub);
        }
    }
    closedir(d);
    return rc;
}

/* Collects the files of a rule set that make up its version, relative to
 * root: the manifest and every .lua file, in subfolders too (links
 * followed, but not back to a folder above, nor deeper than
 * COLLECT_MAX_DEPTH), except tests/. */
static int collect_files(const char *root, const char *rel, path_list *out)
{
    dir_id up[COLLECT_MAX_DEPTH] = {{0, 0}};
    return collect_under(root, rel, up, 0, out);
}

static void hex(const unsigned char *md, unsigned len, char *out)
{
    for (unsigned i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* SHA-256 over "path\0length\0content" of each file under root, in path
 * order, then extra (may be NULL), into out (65 bytes). */
static cr_status hash_files(const char *root, path_list *files, const char *extra, char *out,
                            cr_err *err)
{
    qsort(files->items, files->n, sizeof *files->items, cmp_str);
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    if (!sha || !EVP_DigestInit_ex(sha, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(sha);
        return cr_errf(err, CR_FAIL, "cannot initialise SHA-256");
    }
    cr_status st = CR_OK;
    for (size_t i = 0; i < files->n && st == CR_OK; i++) {
        char full[2048], lenbuf[32];
        size_t len = 0;
        snprintf(full, sizeof full, "%s/%s", root, files->items[i]);
        char *data = read_file(full, &len, 16u << 20);
        if (!data) {
            st = cr_errf(err, CR_INVALID, "%s: cannot read (or larger than 16 MiB)", full);
            break;
        }
        snprintf(lenbuf, sizeof lenbuf, "%zu", len);
        EVP_DigestUpdate(sha, files->items[i], strlen(files->items[i]) + 1);
        EVP_DigestUpdate(sha, lenbuf, strlen(lenbuf) + 1);
        EVP_DigestUpdate(sha, data, len);
        free(data);
    }
    if (extra)
        EVP_DigestUpdate(sha, extra, strlen(extra) + 1);
    unsigned char md[32];
    unsigned md_len = 0;
    if (st == CR_OK && EVP_DigestFinal_ex(sha, md, &md_len))
        hex(md, md_len, out);
    EVP_MD_CTX_free(sha);
    return st;
}

/* The digest of every module under plugins_dir: rules require them, so a
 * rule set's version must change when one does. "" without plugins. */
static cr_status hash_plugins(const char *plugins_dir, char out[65], cr_err *err)
{
    out[0] = 0;
    if (!plugins_dir)
        return CR_OK;
    path_list files = {0};
    cr_status st = collect_files(plugins_dir, "", &files) == 0
                       ? hash_files(plugins_dir, &files, NULL, out, err)
                       : cr_errf(err, CR_FAIL, "%s: cannot list the plugins", plugins_dir);
    path_list_free(&files);
    return st;
}

/* ---- manifest ---- */

static const char *const manifest_keys[] = {"name",   "scope",  "description",      "version",
                                            "params", "disable", "limits", "quarantine_after",
                                            NULL};

static int valid_rule_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= RULE_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static cr_status read_limit(json_t *limits, const char *key, uint64_t scale, uint64_t *out,
                            const char *file, cr_err *err)
{
    json_t *v = json_object_get(limits, key);
    if (!v)
        return CR_OK;
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return cr_errf(err, CR_INVALID, "%s: limits.%s: must be a positive integer", file, key);
    *out = (uint64_t)json_integer_value(v) * scale;
    return CR_OK;
}

static cr_status parse_manifest(rule_set *set, const char *dirname, sandbox_limits *limits,
                                cr_err *err)
{
    char file[1100];
    snprintf(file, sizeof file, "%s/%s", set->dir, MANIFEST);
    json_error_t jerr;
    json_t *m = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (!m)
        return cr_errf(err, CR_INVALID, "%s:%d:%d: %s", file, jerr.line, jerr.column, jerr.text);
    set->manifest = m;
    if (!json_is_object(m))
        return cr_errf(err, CR_INVALID, "%s: must be a JSON object", file);
    const char *key;
    json_t *v;
    json_object_foreach(m, key, v)
    {
        const char *const *k = manifest_keys;
        while (*k && strcmp(*k, key) != 0)
            k++;
        if (!*k)
            return cr_errf(err, CR_INVALID, "%s: %s: unknown field", file, key);
    }
    const char *name = json_string_value(json_object_get(m, "name"));
    snprintf(set->name, sizeof set->name, "%s", name ? name : dirname);
    if (!valid_rule_name(set->name))
        return cr_errf(err, CR_INVALID,
                       "%s: name: '%s' must be lower-case letters, digits and _ (at most %d)",
                       file, set->name, RULE_NAME_MAX - 1);
    const char *scope = json_string_value(json_object_get(m, "scope"));
    if (!scope)
        return cr_errf(err, CR_INVALID, "%s: scope: required (\"*\" or a court code such as "
                                        "\"粤\" or \"粤07\")",
                       file);
    char why[256];
    if (strcmp(scope, "*") != 0 && court_code_check(scope, why, sizeof why) != 0)
        return cr_errf(err, CR_INVALID, "%s: scope: '%s': %s", file, scope, why);
    snprintf(set->scope, sizeof set->scope, "%s", scope);

    json_t *params = json_object_get(m, "params");
    if (params && !json_is_object(params))
        return cr_errf(err, CR_INVALID, "%s: params: must be an object", file);
    json_t *disable = json_object_get(m, "disable");
    if (disable) {
        if (!json_is_array(disable))
            return cr_errf(err, CR_INVALID, "%s: disable: must be an array of rule names", file);
        set->n_disable = json_array_size(disable);
        set->disable = calloc(set->n_disable ? set->n_disable : 1, sizeof *set->disable);
        if (!set->disable)
            return cr_errf(err, CR_FAIL, "out of memory");
        for (size_t i = 0; i < set->n_disable; i++) {
            const char *r = json_string_value(json_array_get(disable, i));
            if (!r || !valid_rule_name(r))
                return cr_errf(err, CR_INVALID, "%s: disable[%zu]: must be a rule name", file, i);
            snprintf(set->disable[i], RULE_NAME_MAX, "%s", r);
        }
    }
    json_t *qa = json_object_get(m, "quarantine_after");
    if (qa && (!json_is_integer(qa) || json_integer_value(qa) < 1 ||
               json_integer_value(qa) > 1000))
        return cr_errf(err, CR_INVALID, "%s: quarantine_after: a number from 1 to 1000", file);
    set->quarantine_after = qa ? (int)json_integer_value(qa) : 0;
    json_t *version = json_object_get(m, "version");
    if (version && !json_is_string(version))
        return cr_errf(err, CR_INVALID, "%s: version: must be a string (informational; the "
                                        "set's identity is its SHA-256)",
                       file);
    json_t *description = json_object_get(m, "description");
    if (description && !json_is_string(description))
        return cr_errf(err, CR_INVALID, "%s: description: must be a string", file);
    json_t *lim = json_object_get(m, "limits");
    if (lim) {
        if (!json_is_object(lim))
            return cr_errf(err, CR_INVALID, "%s: limits: must be an object", file);
        uint64_t mem = limits->memory_bytes, wall = limits->wall_ms,
                 str = limits->string_bytes;
        cr_status st;
        if ((st = read_limit(lim, "memory_mb", 1u << 20, &mem, file, err)) != CR_OK ||
            (st = read_limit(lim, "instructions", 1, &limits->instructions, file, err)) != CR_OK ||
            (st = read_limit(lim, "wall_ms", 1, &wall, file, err)) != CR_OK ||
            (st = read_limit(lim, "string_mb", 1u << 20, &str, file, err)) != CR_OK)
            return st;
        limits->memory_bytes = (size_t)mem;
        limits->wall_ms = (uint32_t)wall;
        limits->string_bytes = (size_t)str;
    }
    return CR_OK;
}

/* ---- loading scripts ---- */

/* Runs in protected mode: pushes the params as a read-only table. */
static int push_params(lua_State *L)
{
    const json_t *params = lua_touserdata(L, 1);
    cr_err err;
    if (!luaapi_push_frozen_json(L, params, &err))
        return luaL_error(L, "params: %s", err.msg);
    return 1;
}

static void add_failure(rule_set *set, const char *file, sandbox_reason kind, const char *reason)
{
    rule_load_failure *f = realloc(set->failures, (set->n_failures + 1) * sizeof *f);
    if (!f)
        return;
    set->failures = f;
    f += set->n_failures++;
    snprintf(f->file, sizeof f->file, "%s", file);
    snprintf(f->reason, sizeof f->reason, "%s", reason);
    f->kind = kind;
}

/* Reads a string field without metamethods. */
static const char *raw_string(lua_State *L, int idx, const char *key)
{
    lua_pushstring(L, key);
    lua_rawget(L, idx);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1); /* the string stays alive: it is referenced from the table */
    return s;
}

static void load_script(rule_set *set, const char *rel, const char *display)
{
    lua_State *L = sandbox_state(set->sb);
    char full[2048], chunk[300];
    cr_err err;
    snprintf(full, sizeof full, "%s/%s", set->dir, rel);
    snprintf(chunk, sizeof chunk, "@%s", display);
    if (sandbox_dofile(set->sb, full, chunk, &err) != CR_OK) {
        add_failure(set, display, sandbox_last_reason(set->sb), err.msg);
        return;
    }
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        add_failure(set, display, SANDBOX_ERROR,
                    "a rule script must return a table { name = ..., on_case = ... }");
        return;
    }
    int t = lua_gettop(L);
    const char *name = raw_string(L, t, "name");
    const char *version = raw_string(L, t, "version");
    char why[512] = "";
    if (!name || !valid_rule_name(name))
        snprintf(why, sizeof why, "name: must be lower-case letters, digits and _");
    for (size_t i = 0; !why[0] && i < set->n_rules; i++)
        if (strcmp(set->rules[i].name, name) == 0)
            snprintf(why, sizeof why, "name: '%s' is already defined by %s", name,
                     set->rules[i].file);
    /* The hooks: on_case(case, ctx) per case, on_court(court, ctx) per court. */
    static const char *const hooks[] = {"on_case", "on_court"};
    int refs[2] = {LUA_NOREF, LUA_NOREF};
    for (int h = 0; h < 2 && !why[0]; h++) {
        lua_pushstring(L, hooks[h]);
        lua_rawget(L, t);
        if (lua_isfunction(L, -1))
            refs[h] = luaL_ref(L, LUA_REGISTRYINDEX);
        else if (!lua_isnil(L, -1))
            snprintf(why, sizeof why, "%s: must be a function", hooks[h]);
        else
            lua_pop(L, 1);
    }
    /* Schedules (docs/schedules.md): checked now, so a bad cron expression
     * is a load failure naming the entry and field, not a silent no-op. */
    rule scheduled = {0};
    if (!why[0])
        rules_read_schedules(L, t, &scheduled, why, sizeof why);
    if (why[0]) {
        for (int h = 0; h < 2; h++)
            luaL_unref(L, LUA_REGISTRYINDEX, refs[h]);
        lua_settop(L, t - 1);
        add_failure(set, display, SANDBOX_ERROR, why);
        return;
    }
    rule *r = realloc(set->rules, (set->n_rules + 1) * sizeof *r);
    if (!r) {
        for (int h = 0; h < 2; h++)
            luaL_unref(L, LUA_REGISTRYINDEX, refs[h]);
        rules_free_schedules(L, &scheduled);
        lua_settop(L, t - 1);
        add_failure(set, display, SANDBOX_MEMORY, "out of memory");
        return;
    }
    set->rules = r;
    r += set->n_rules++;
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->version, sizeof r->version, "%s", version ? version : "0");
    snprintf(r->file, sizeof r->file, "%s", display);
    r->on_case_ref = refs[0];
    r->on_court_ref = refs[1];
    r->schedules = scheduled.schedules;
    r->n_schedules = scheduled.n_schedules;
    lua_settop(L, t - 1);
}

static cr_status load_set(rule_set *set, const char *rules_dir, const char *dirname,
                          const char *plugins_dir, const char *plugins_sha,
                          lua_CFunction open_api, void *api_ud, cr_err *err)
{
    snprintf(set->dir, sizeof set->dir, "%s/%s", rules_dir, dirname);
    /* Hooks run once per case: a tighter default budget than the sandbox's,
     * so a runaway rule costs tens of milliseconds, not seconds. */
    sandbox_limits limits = sandbox_limits_default();
    limits.instructions = RULES_DEFAULT_INSTRUCTIONS;
    limits.wall_ms = RULES_DEFAULT_WALL_MS;
    cr_status st = parse_manifest(set, dirname, &limits, err);
    if (st != CR_OK)
        return st;
    path_list files = {0};
    if (collect_files(set->dir, "", &files) != 0) {
        path_list_free(&files);
        return cr_errf(err, CR_FAIL, "%s: cannot list the rule set", set->dir);
    }
    st = hash_files(set->dir, &files, plugins_sha[0] ? plugins_sha : NULL, set->sha256, err);
    const char *module_dirs[] = {set->dir, plugins_dir, NULL};
    if (st == CR_OK && !(set->sb = sandbox_new(&limits, module_dirs, open_api, api_ud, err))) {
        cr_err_prefix(err, "%s", set->dir);
        st = CR_FAIL;
    }
    /* The params must convert to Lua data (no null in an array …): checked
     * here so a bad manifest fails at load, naming the file; the tables rules
     * see are built per court from the cascade (rules_params_for_court). */
    if (st == CR_OK) {
        lua_State *L = sandbox_state(set->sb);
        json_t *params = json_object_get(set->manifest, "params");
        json_t *empty = json_object();
        lua_pushcfunction(L, push_params);
        lua_pushlightuserdata(L, params ? params : empty);
        st = sandbox_call(set->sb, 1, 1, err);
        json_decref(empty);
        if (st == CR_OK)
            lua_pop(L, 1);
        else
            cr_err_prefix(err, "%s: params", set->dir);
    }
    /* Rule scripts: the top-level .lua files, in name order. */
    for (size_t i = 0; st == CR_OK && i < files.n; i++) {
        const char *rel = files.items[i];
        size_t n = strlen(rel);
        if (strchr(rel, '/') || n < 5 || strcmp(rel + n - 4, ".lua") != 0)
            continue;
        char display[sizeof set->rules[0].file];
        if ((size_t)snprintf(display, sizeof display, "%s/%s", dirname, rel) >= sizeof display) {
            st = cr_errf(err, CR_INVALID, "%s/%s: path too long", set->dir, rel);
            break;
        }
        load_script(set, rel, display);
    }
    path_list_free(&files);
    return st;
}

/* Widest scope first: "*", then by length of the court prefix, then name. */
static int cmp_sets(const void *a, const void *b)
{
    const rule_set *x = a, *y = b;
    int wx = strcmp(x->scope, "*") == 0 ? -1 : (int)strlen(x->scope);
    int wy = strcmp(y->scope, "*") == 0 ? -1 : (int)strlen(y->scope);
    if (wx != wy)
        return wx < wy ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void free_set(rule_set *set)
{
    for (size_t r = 0; r < set->n_rules; r++)
        rules_free_schedules(NULL, &set->rules[r]); /* the references go with the state */
    sandbox_free(set->sb);
    json_decref(set->manifest);
    free(set->rules);
    free(set->disable);
    free(set->failures);
}

cr_status rules_load(const char *rules_dir, const char *plugins_dir, lua_CFunction open_api,
                     void *api_ud, rule_sets **out, cr_err *err)
{
    *out = NULL;
    path_list dirs = {0};
    DIR *d = opendir(rules_dir);
    if (!d)
        return cr_errf(err, CR_INVALID, "%s: cannot open the rules directory", rules_dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        char manifest[2048];
        struct stat st;
        snprintf(manifest, sizeof manifest, "%s/%s/%s", rules_dir, e->d_name, MANIFEST);
        if (e->d_name[0] != '.' && stat(manifest, &st) == 0 && S_ISREG(st.st_mode))
            path_list_add(&dirs, e->d_name);
    }
    closedir(d);
    qsort(dirs.items, dirs.n, sizeof *dirs.items, cmp_str);

    rule_sets *rs = calloc(1, sizeof *rs);
    if (rs)
        rs->sets = calloc(dirs.n ? dirs.n : 1, sizeof *rs->sets);
    if (!rs || !rs->sets) {
        free(rs);
        path_list_free(&dirs);
        return cr_errf(err, CR_FAIL, "out of memory");
    }
    char plugins_sha[65];
    cr_status st = hash_plugins(plugins_dir, plugins_sha, err);
    for (size_t i = 0; i < dirs.n && st == CR_OK; i++) {
        st = load_set(&rs->sets[i], rules_dir, dirs.items[i], plugins_dir, plugins_sha, open_api,
                      api_ud, err);
        rs->n = i + 1;
        for (size_t j = 0; st == CR_OK && j < i; j++)
            if (strcmp(rs->sets[j].name, rs->sets[i].name) == 0)
                st = cr_errf(err, CR_INVALID, "%s: rule set name '%s' is also used by %s",
                             rs->sets[i].dir, rs->sets[i].name, rs->sets[j].dir);
    }
    path_list_free(&dirs);
    if (st != CR_OK) {
        rules_free(rs);
        return st;
    }
    qsort(rs->sets, rs->n, sizeof *rs->sets, cmp_sets);

    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    unsigned char md[32];
    unsigned md_len = 0;
    EVP_DigestInit_ex(sha, EVP_sha256(), NULL);
    for (size_t i = 0; i < rs->n; i++)
        EVP_DigestUpdate(sha, rs->sets[i].sha256, 64);
    EVP_DigestFinal_ex(sha, md, &md_len);
    EVP_MD_CTX_free(sha);
    hex(md, md_len, rs->fingerprint);
    *out = rs;
    return CR_OK;
}

void rules_free(rule_sets *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++)
        free_set(&rs->sets[i]);
    free(rs->sets);
    free(rs);
}

int rules_scope_covers(const char *scope, const char *court)
{
    return strcmp(scope, "*") == 0 || strncmp(court, scope, strlen(scope)) == 0;
}

/* Is rule `name` of set s shadowed (redefined or disabled) by a more specific
 * covering set? */
static int shadowed(const rule_sets *rs, size_t s, const char *name, const char *court)
{
    for (size_t t = s + 1; t < rs->n; t++) {
        const rule_set *more = &rs->sets[t];
        if (!rules_scope_covers(more->scope, court) || strcmp(more->scope, rs->sets[s].scope) == 0)
            continue;
        for (size_t i = 0; i < more->n_rules; i++)
            if (strcmp(more->rules[i].name, name) == 0)
                return 1;
        for (size_t i = 0; i < more->n_disable; i++)
            if (strcmp(more->disable[i], name) == 0)
                return 1;
    }
    return 0;
}

size_t rules_for_court(const rule_sets *rs, const char *court, rule_ref *out, size_t cap)
{
    size_t n = 0;
    for (size_t s = 0; s < rs->n; s++) {
        const rule_set *set = &rs->sets[s];
        if (!rules_scope_covers(set->scope, court))
            continue;
        for (size_t r = 0; r < set->n_rules && n < cap; r++)
            if (!shadowed(rs, s, set->rules[r].name, court))
                out[n++] = (rule_ref){(unsigned)s, (unsigned)r};
    }
    return n;
}

size_t rules_covering(const rule_sets *rs, const char *court, unsigned *out, size_t cap)
{
    size_t n = 0;
    for (size_t s = 0; s < rs->n && n < cap; s++)
        if (rules_scope_covers(rs->sets[s].scope, court))
            out[n++] = (unsigned)s;
    return n;
}

/* Merges src into dst: objects key by key, recursively; anything else replaces. */
static void deep_merge(json_t *dst, const json_t *src)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)src, key, v)
    {
        json_t *have = json_object_get(dst, key);
        if (json_is_object(have) && json_is_object(v)) {
            json_t *copy = json_deep_copy(have);
            deep_merge(copy, v);
            json_object_set_new(dst, key, copy);
        } else {
            json_object_set_new(dst, key, json_deep_copy(v));
        }
    }
}

json_t *rules_params_for_court(const rule_sets *rs, size_t set, const char *court)
{
    (void)set; /* every rule of a court sees the same cascade */
    json_t *params = json_object();
    /* Sets are ordered widest first, so each covering set overrides the ones
     * before it: national defaults, then the province, then the city … */
    for (size_t t = 0; params && t < rs->n; t++) {
        json_t *p = json_object_get(rs->sets[t].manifest, "params");
        if (p && rules_scope_covers(rs->sets[t].scope, court))
            deep_merge(params, p);
    }
    return params;
}
