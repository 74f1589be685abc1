/*
 * ruletest.c -- table-driven rule tests: test files in, a report out.
 *
 * The run has two phases: every test file is read and checked before any
 * test runs, so a malformed file stops the run with its name and nothing
 * half-printed; then each case is built, its rule resolved and called, and
 * the outcome compared with what the case expects.
 */
#include "ruletest.h"

#include <dirent.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "casenum.h"
#include "dates.h"
#include "eval.h"
#include "luaapi.h"
#include "luajson.h"
#include "record.h"
#include "rules.h"
#include "sandbox.h"

#define MAX_RULES_PER_COURT 256
#define SHOW_MAX 240 /* bytes of a JSON value quoted in a message */

/* ---- growing text, for messages ---- */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void text_addf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_addf(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(t->s, cap);
        if (!p)
            return;
        t->s = p;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* "; " between the differences one test reports. */
static void text_sep(text *t)
{
    if (t->len)
        text_addf(t, "; ");
}

/* A JSON value as compact text for a message, cut at SHOW_MAX bytes on a
 * UTF-8 boundary. NULL (absent) reads "nothing". */
static void text_value(text *t, const json_t *v)
{
    if (!v) {
        text_addf(t, "nothing");
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return;
    size_t n = strlen(s);
    if (n > SHOW_MAX) {
        n = SHOW_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        text_addf(t, "%.*s…", (int)n, s);
    } else {
        text_addf(t, "%s", s);
    }
    free(s);
}

/* ---- comparing values ---- */

/* Deep equality; numbers compare by value (a Lua 10 and 10.0 are equal). */
static int values_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)a, key, v)
        {
            json_t *w = json_object_get(b, key);
            if (!w || !values_equal(v, w))
                return 0;
        }
        return 1;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!values_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    default:
        return 1; /* true, false, null: the type says it all */
    }
}

/*
 * Subset match: every member of an expected object must be in got and match,
 * recursively; anything else (arrays included) must be equal. Returns the
 * number of differences; each is described in diff (may be NULL) as
 * "expected <path> = <want>, got <got>".
 */
static int match_subset(const json_t *want, const json_t *got, char *path, size_t cap, text *diff)
{
    if (json_is_object(want) && json_is_object(got)) {
        int n = 0;
        size_t len = strlen(path);
        const char *key;
        json_t *w;
        json_object_foreach((json_t *)want, key, w)
        {
            snprintf(path + len, cap - len, ".%s", key);
            json_t *g = json_object_get(got, key);
            if (g) {
                n += match_subset(w, g, path, cap, diff);
            } else {
                n++;
                if (diff) {
                    text_sep(diff);
                    text_addf(diff, "expected %s = ", path);
                    text_value(diff, w);
                    text_addf(diff, ", got nothing");
                }
            }
            path[len] = '\0';
        }
        return n;
    }
    if (values_equal(want, got))
        return 0;
    if (diff) {
        text_sep(diff);
        text_addf(diff, "expected %s = ", path);
        text_value(diff, want);
        text_addf(diff, ", got ");
        text_value(diff, got);
    }
    return 1;
}

/* Does the alert match the expected pattern (a subset; message_contains is a
 * substring of the message)? */
static int alert_matches(const json_t *pattern, const json_t *alert)
{
    const char *key;
    json_t *w;
    json_object_foreach((json_t *)pattern, key, w)
    {
        if (strcmp(key, "message_contains") == 0) {
            const char *m = json_string_value(json_object_get(alert, "message"));
            if (!m || !strstr(m, json_string_value(w)))
                return 0;
            continue;
        }
        json_t *g = json_object_get(alert, key);
        char path[8] = "";
        if (!g || match_subset(w, g, path, sizeof path, NULL))
            return 0;
    }
    return 1;
}

/* Kuhn's augmenting path: can expected pattern e get an alert? */
static int assign_alert(size_t e, size_t n_got, const unsigned char *adj, int *owner,
                        unsigned char *seen)
{
    for (size_t g = 0; g < n_got; g++) {
        if (seen[g] || !adj[e * n_got + g])
            continue;
        seen[g] = 1;
        if (owner[g] < 0 || assign_alert((size_t)owner[g], n_got, adj, owner, seen)) {
            owner[g] = (int)e;
            return 1;
        }
    }
    return 0;
}

/* Expected alerts (normalized to patterns) against the alerts raised: a
 * perfect matching, any order. Describes what is missing and unexpected. */
static void check_alerts(const json_t *patterns, const json_t *got, text *diff)
{
    size_t ne = json_array_size(patterns), ng = json_array_size(got);
    unsigned char *adj = calloc(ne * ng + 1, 1), *seen = calloc(ng + 1, 1);
    int *owner = malloc((ng + 1) * sizeof *owner);
    unsigned char *matched = calloc(ne + 1, 1);
    if (!adj || !seen || !owner || !matched) {
        text_sep(diff);
        text_addf(diff, "out of memory comparing alerts");
        goto done;
    }
    for (size_t e = 0; e < ne; e++)
        for (size_t g = 0; g < ng; g++)
            adj[e * ng + g] =
                (unsigned char)alert_matches(json_array_get(patterns, e), json_array_get(got, g));
    for (size_t g = 0; g < ng; g++)
        owner[g] = -1;
    size_t n_matched = 0;
    for (size_t e = 0; e < ne; e++) {
        memset(seen, 0, ng + 1);
        n_matched += (size_t)assign_alert(e, ng, adj, owner, seen);
    }
    if (n_matched == ne && ne == ng)
        goto done;
    for (size_t g = 0; g < ng; g++)
        if (owner[g] >= 0)
            matched[owner[g]] = 1;
    text_sep(diff);
    text_addf(diff, "alerts: expected [");
    for (size_t e = 0; e < ne; e++) {
        const json_t *p = json_array_get(patterns, e);
        text_addf(diff, "%s", e ? ", " : "");
        if (json_object_size(p) == 1 && json_object_get(p, "code"))
            text_addf(diff, "%s", json_string_value(json_object_get(p, "code")));
        else
            text_value(diff, p);
    }
    text_addf(diff, "], got [");
    for (size_t g = 0; g < ng; g++) {
        const json_t *a = json_array_get(got, g);
        text_addf(diff, "%s%s (%s)", g ? ", " : "", json_string_value(json_object_get(a, "code")),
                  json_string_value(json_object_get(a, "severity")));
    }
    text_addf(diff, "]");
    const char *sep = " -- ";
    for (size_t e = 0; e < ne; e++) {
        if (matched[e])
            continue;
        const json_t *p = json_array_get(patterns, e);
        text_addf(diff, "%smissing ", sep);
        if (json_object_size(p) == 1 && json_object_get(p, "code"))
            text_addf(diff, "%s", json_string_value(json_object_get(p, "code")));
        else
            text_value(diff, p);
        sep = ", ";
    }
    for (size_t g = 0; g < ng; g++) {
        if (owner[g] >= 0)
            continue;
        const json_t *a = json_array_get(got, g);
        text_addf(diff, "%sunexpected %s: ", sep, json_string_value(json_object_get(a, "code")));
        text_value(diff, json_object_get(a, "message"));
        sep = ", ";
    }
done:
    free(adj);
    free(seen);
    free(owner);
    free(matched);
}

/* ---- test files ---- */

typedef struct test_entry {
    const char *file;                        /* the test file, for messages */
    const rule_set *owner;                   /* the set whose tests/ holds it */
    const char *name, *rule, *as_of, *court; /* court NULL: the case's */
    const json_t *case_spec;                 /* borrowed from the file's value */
    const json_t *expect;                    /* object or NULL */
    json_t *alert_patterns;                  /* expect.alerts as patterns (owned), or NULL */
} test_entry;

typedef struct test_file {
    char *path;
    json_t *value;
} test_file;

typedef struct plan {
    test_file *files;
    size_t n_files;
    test_entry *tests;
    size_t n_tests;
} plan;

static void plan_free(plan *p)
{
    for (size_t i = 0; i < p->n_files; i++) {
        free(p->files[i].path);
        json_decref(p->files[i].value);
    }
    for (size_t i = 0; i < p->n_tests; i++)
        json_decref(p->tests[i].alert_patterns);
    free(p->files);
    free(p->tests);
}

/* luajson turns an empty table into []: where an object is meant, that is {}. */
static int is_table(const json_t *v)
{
    return json_is_object(v) || (json_is_array(v) && json_array_size(v) == 0);
}

static cr_status check_keys(const json_t *obj, const char *const *allowed, const char *file,
                            const char *where, cr_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        const char *const *k = allowed;
        while (*k && strcmp(*k, key) != 0)
            k++;
        if (*k)
            continue;
        char list[256] = "";
        for (k = allowed; *k; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     k == allowed ? "" : ", ", *k);
        return cr_errf(err, CR_INVALID, "%s: %s%s: unknown key (expected one of: %s)", file, where,
                       key, list);
    }
    return CR_OK;
}

/* A string member, or NULL; CR_INVALID if present and not a string. */
static cr_status opt_string(const json_t *obj, const char *key, const char **out, const char *file,
                            const char *where, cr_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (v && !json_is_string(v))
        return cr_errf(err, CR_INVALID, "%s: %s%s: must be a string", file, where, key);
    if (v)
        *out = json_string_value(v);
    return CR_OK;
}

static const char *const file_keys[] = {"rule", "as_of", "court", "cases", "description", NULL};
static const char *const case_keys[] = {"name", "rule", "as_of", "court", "case", "expect", NULL};
static const char *const expect_keys[] = {"result", "alerts", "error", "log_contains", NULL};
static const char *const alert_keys[] = {"code",  "severity",  "message", "message_contains",
                                         "basis", "dedup_key", "data",    NULL};

/* expect.alerts: a list of codes or tables, made into a list of patterns. */
static cr_status alert_patterns(const json_t *alerts, const char *file, const char *where,
                                json_t **out, cr_err *err)
{
    if (!json_is_array(alerts))
        return cr_errf(err, CR_INVALID,
                       "%s: %salerts: must be a list of alert codes or of tables {code=, "
                       "severity=, message_contains=}",
                       file, where);
    json_t *patterns = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a)
    {
        char at[128];
        snprintf(at, sizeof at, "%salerts[%zu].", where, i + 1);
        json_t *p = NULL;
        cr_status st = CR_OK;
        if (json_is_string(a)) {
            p = json_pack("{s:O}", "code", a);
        } else if (json_is_object(a)) {
            st = check_keys(a, alert_keys, file, at, err);
            json_t *mc = json_object_get(a, "message_contains");
            if (st == CR_OK && mc && !json_is_string(mc))
                st = cr_errf(err, CR_INVALID, "%s: %smessage_contains: must be a string", file, at);
            p = json_incref(a);
        } else {
            st = cr_errf(err, CR_INVALID, "%s: %salerts[%zu]: must be an alert code or a table",
                         file, where, i + 1);
        }
        if (st != CR_OK || !p) {
            json_decref(p);
            json_decref(patterns);
            return st != CR_OK ? st : cr_errf(err, CR_FAIL, "out of memory");
        }
        json_array_append_new(patterns, p);
    }
    *out = patterns;
    return CR_OK;
}

static cr_status add_entry(plan *p, const test_entry *e, cr_err *err)
{
    test_entry *t = realloc(p->tests, (p->n_tests + 1) * sizeof *t);
    if (!t)
        return cr_errf(err, CR_FAIL, "out of memory");
    p->tests = t;
    t[p->n_tests++] = *e;
    return CR_OK;
}

/* Checks a test file's table and adds its cases to the plan. */
static cr_status plan_file(plan *p, const test_file *tf, const rule_set *owner, cr_err *err)
{
    const char *file = tf->path;
    const json_t *top = tf->value;
    if (!json_is_object(top))
        return cr_errf(err, CR_INVALID,
                       "%s: must return a table { rule = ..., as_of = ..., "
                       "cases = { ... } }",
                       file);
    cr_status st = check_keys(top, file_keys, file, "", err);
    const char *rule_name = NULL, *as_of = NULL, *court = NULL;
    if (st != CR_OK || (st = opt_string(top, "rule", &rule_name, file, "", err)) != CR_OK ||
        (st = opt_string(top, "as_of", &as_of, file, "", err)) != CR_OK ||
        (st = opt_string(top, "court", &court, file, "", err)) != CR_OK)
        return st;
    const json_t *cases = json_object_get(top, "cases");
    if (!json_is_array(cases) || json_array_size(cases) == 0)
        return cr_errf(err, CR_INVALID, "%s: cases: required, a list of test cases", file);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        char where[64];
        snprintf(where, sizeof where, "cases[%zu].", i + 1);
        test_entry e = {
            .file = file, .owner = owner, .rule = rule_name, .as_of = as_of, .court = court};
        if (!json_is_object(c))
            return cr_errf(err, CR_INVALID, "%s: cases[%zu]: must be a table", file, i + 1);
        if ((st = check_keys(c, case_keys, file, where, err)) != CR_OK ||
            (st = opt_string(c, "name", &e.name, file, where, err)) != CR_OK ||
            (st = opt_string(c, "rule", &e.rule, file, where, err)) != CR_OK ||
            (st = opt_string(c, "as_of", &e.as_of, file, where, err)) != CR_OK ||
            (st = opt_string(c, "court", &e.court, file, where, err)) != CR_OK)
            return st;
        if (!e.name)
            return cr_errf(err, CR_INVALID, "%s: %sname: required", file, where);
        if (!e.rule)
            return cr_errf(err, CR_INVALID, "%s: %srule: required (here or at the top of the file)",
                           file, where);
        if (!e.as_of)
            return cr_errf(err, CR_INVALID,
                           "%s: %sas_of: required (here or at the top of the file)", file, where);
        cr_date d;
        char why[128];
        if (date_parse(e.as_of, &d, why, sizeof why) != 0)
            return cr_errf(err, CR_INVALID, "%s: %sas_of: %s", file, where, why);
        if (e.court && court_code_check(e.court, why, sizeof why) != 0)
            return cr_errf(err, CR_INVALID, "%s: %scourt: '%s': %s", file, where, e.court, why);
        e.case_spec = json_object_get(c, "case");
        if (!is_table(e.case_spec))
            return cr_errf(err, CR_INVALID, "%s: %scase: required, the case record as a table",
                           file, where);
        const json_t *expect = json_object_get(c, "expect");
        if (expect && !is_table(expect))
            return cr_errf(err, CR_INVALID, "%s: %sexpect: must be a table", file, where);
        if (json_is_object(expect)) {
            char at[80];
            snprintf(at, sizeof at, "%sexpect.", where);
            const char *s = NULL;
            if ((st = check_keys(expect, expect_keys, file, at, err)) != CR_OK ||
                (st = opt_string(expect, "error", &s, file, at, err)) != CR_OK ||
                (st = opt_string(expect, "log_contains", &s, file, at, err)) != CR_OK)
                return st;
            if (json_object_get(expect, "error") &&
                (json_object_get(expect, "result") || json_object_get(expect, "alerts") ||
                 json_object_get(expect, "log_contains")))
                return cr_errf(err, CR_INVALID,
                               "%s: %serror: a failing hook has no result, alerts or log; expect "
                               "either error or those",
                               file, at);
            e.expect = expect;
            json_t *alerts = json_object_get(expect, "alerts");
            if (alerts && (st = alert_patterns(alerts, file, at, &e.alert_patterns, err)) != CR_OK)
                return st;
        }
        if ((st = add_entry(p, &e, err)) != CR_OK) {
            json_decref(e.alert_patterns);
            return st;
        }
    }
    return CR_OK;
}

/* Runs a test file in a sandbox of its own and reads its table as JSON. */
static cr_status load_test_file(const char *path, const char *tests_dir, json_t **out, cr_err *err)
{
    const char *module_dirs[] = {tests_dir, NULL};
    sandbox *sb = sandbox_new(NULL, module_dirs, NULL, NULL, err);
    if (!sb) {
        cr_err_prefix(err, "%s", path);
        return CR_FAIL;
    }
    char chunk[PATH_MAX + 2];
    snprintf(chunk, sizeof chunk, "@%s", path);
    cr_status st = sandbox_dofile(sb, path, chunk, err);
    if (st == CR_OK) {
        lua_State *L = sandbox_state(sb);
        *out = luajson_to_json(L, -1, NULL, err);
        lua_pop(L, 1);
        if (!*out)
            st = CR_INVALID;
    }
    if (st != CR_OK) {
        /* syntax errors already name the file; runtime errors name file:line */
        if (!strstr(err->msg, path))
            cr_err_prefix(err, "%s", path);
        st = CR_INVALID;
    }
    sandbox_free(sb);
    return st;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Test files of a set: tests/ *.lua, in name order, or only `only`. */
static cr_status plan_set(plan *p, const rule_set *set, const char *only, cr_err *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/tests", set->dir);
    DIR *d = opendir(dir);
    if (!d)
        return CR_OK; /* a set without tests */
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    cr_status st = CR_OK;
    while (st == CR_OK && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || e->d_name[0] == '_' || len < 5 ||
            strcmp(e->d_name + len - 4, ".lua") != 0 || (only && strcmp(only, e->d_name) != 0))
            continue;
        char **more = realloc(names, (n + 1) * sizeof *names);
        if (!more || !(more[n] = strdup(e->d_name))) {
            names = more ? more : names;
            st = cr_errf(err, CR_FAIL, "out of memory");
            break;
        }
        names = more;
        n++;
    }
    closedir(d);
    if (names)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && st == CR_OK; i++) {
        test_file tf = {0};
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        if (!(tf.path = malloc(len))) {
            st = cr_errf(err, CR_FAIL, "out of memory");
            break;
        }
        snprintf(tf.path, len, "%s/%s", dir, names[i]);
        struct stat sst;
        if (stat(tf.path, &sst) != 0 || !S_ISREG(sst.st_mode)) {
            free(tf.path);
            continue;
        }
        st = load_test_file(tf.path, dir, &tf.value, err);
        test_file *files = st == CR_OK ? realloc(p->files, (p->n_files + 1) * sizeof *files) : NULL;
        if (st == CR_OK && !files)
            st = cr_errf(err, CR_FAIL, "out of memory");
        if (st != CR_OK) {
            free(tf.path);
            json_decref(tf.value);
            break;
        }
        p->files = files;
        p->files[p->n_files++] = tf;
        st = plan_file(p, &p->files[p->n_files - 1], set, err);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

/* ---- where the tests are ---- */

typedef struct target {
    char rules_dir[PATH_MAX];
    char set_folder[NAME_MAX + 1]; /* "" = every set */
    char only_file[NAME_MAX + 1];  /* "" = every test file */
} target;

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_manifest(const char *dir)
{
    char path[PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof path, "%s/ruleset.json", dir);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Splits path into parent and last component, lexically where it can (so
 * messages keep the user's relative paths), else through realpath. */
static int split_path(const char *path, char *parent, size_t cap, char *last, size_t last_cap)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    char *slash = strrchr(buf, '/');
    const char *base = slash ? slash + 1 : buf;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        char real[PATH_MAX];
        if (!realpath(path, real) || strcmp(real, "/") == 0)
            return -1;
        snprintf(buf, sizeof buf, "%s", real);
        slash = strrchr(buf, '/');
        base = slash + 1;
    }
    snprintf(last, last_cap, "%s", base);
    if (!slash)
        snprintf(parent, cap, ".");
    else if (slash == buf)
        snprintf(parent, cap, "/");
    else
        snprintf(parent, cap, "%.*s", (int)(slash - buf), buf);
    return 0;
}

/* DIR: a rules directory, a set's folder, its tests/ folder, or a test file. */
static cr_status find_target(const char *dir, target *t, cr_err *err)
{
    memset(t, 0, sizeof *t);
    struct stat st;
    if (stat(dir, &st) != 0)
        return cr_errf(err, CR_INVALID, "%s: no such file or directory", dir);
    char parent[PATH_MAX], last[NAME_MAX + 1], set_dir[PATH_MAX];
    if (S_ISREG(st.st_mode)) {
        char tests_name[NAME_MAX + 1];
        if (split_path(dir, parent, sizeof parent, t->only_file, sizeof t->only_file) != 0 ||
            split_path(parent, set_dir, sizeof set_dir, tests_name, sizeof tests_name) != 0 ||
            strcmp(tests_name, "tests") != 0 || !has_manifest(set_dir))
            return cr_errf(err, CR_INVALID,
                           "%s: not a test file of a rule set (<rules>/<set>/tests/*.lua)", dir);
        snprintf(parent, sizeof parent, "%s", set_dir);
        dir = parent;
    } else if (!S_ISDIR(st.st_mode)) {
        return cr_errf(err, CR_INVALID, "%s: not a directory", dir);
    } else if (!has_manifest(dir) &&
               split_path(dir, set_dir, sizeof set_dir, last, sizeof last) == 0 &&
               strcmp(last, "tests") == 0 && has_manifest(set_dir)) {
        snprintf(parent, sizeof parent, "%s", set_dir);
        dir = parent;
    }
    if (has_manifest(dir)) {
        char rules[PATH_MAX];
        if (split_path(dir, rules, sizeof rules, t->set_folder, sizeof t->set_folder) != 0)
            return cr_errf(err, CR_INVALID, "%s: cannot find the rules directory above it", dir);
        snprintf(t->rules_dir, sizeof t->rules_dir, "%s", rules);
    } else {
        snprintf(t->rules_dir, sizeof t->rules_dir, "%s", dir);
    }
    if (!is_dir(t->rules_dir))
        return cr_errf(err, CR_INVALID, "%s: not a directory", t->rules_dir);
    return CR_OK;
}

/* Is set the one in folder `folder` of the rules directory? */
static int set_in_folder(const rule_set *set, const char *folder)
{
    const char *slash = strrchr(set->dir, '/');
    return strcmp(slash ? slash + 1 : set->dir, folder) == 0;
}

/* ---- building a case as ingest would ---- */

/* Validates a fixture record as ingest does (no reference checks) and
 * returns its normalized document, or NULL with the reason in why. */
static json_t *normalize(json_t *obj, const char *type, text *why)
{
    /* {} in Lua reads as []: these members are objects */
    static const char *const object_members[] = {"flags", "extra", "data", NULL};
    for (const char *const *k = object_members; *k; k++) {
        json_t *v = json_object_get(obj, *k);
        if (json_is_array(v) && json_array_size(v) == 0)
            json_object_set_new(obj, *k, json_object());
    }
    json_object_set_new(obj, "type", json_string(type));
    char *textual = json_dumps(obj, JSON_COMPACT);
    if (!textual) {
        text_addf(why, "out of memory");
        return NULL;
    }
    record rec;
    cr_err err;
    cr_status st = record_parse(textual, strlen(textual), NULL, &rec, &err);
    free(textual);
    if (st != CR_OK) {
        text_addf(why, "%s", err.msg);
        return NULL;
    }
    json_t *doc = json_incref(rec.doc);
    record_free(&rec);
    return doc;
}

/* Events in stored order: by time, then id (db_eval reads them so). */
static int cmp_events(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(json_string_value(json_object_get(x, "at")),
                   json_string_value(json_object_get(y, "at")));
    return c ? c
             : strcmp(json_string_value(json_object_get(x, "id")),
                      json_string_value(json_object_get(y, "id")));
}

/* The case table's data: the normalized case with its normalized events. */
static json_t *build_case(const json_t *spec, text *why)
{
    json_t *c = json_is_object(spec) ? json_deep_copy(spec) : json_object();
    json_t *events = json_incref(json_object_get(c, "events"));
    json_object_del(c, "events");
    json_t *doc = normalize(c, "case", why);
    json_decref(c);
    if (!doc) {
        json_decref(events);
        return NULL;
    }
    if (events && !json_is_array(events)) {
        text_addf(why, "events: must be a list of events");
        goto fail;
    }
    size_t n = json_array_size(events);
    int width = n >= 100 ? 3 : n >= 10 ? 2 : 1; /* ids sort as the list does */
    json_t **docs = calloc(n + 1, sizeof *docs);
    if (!docs) {
        text_addf(why, "out of memory");
        goto fail;
    }
    size_t i;
    for (i = 0; i < n; i++) {
        json_t *e = json_array_get(events, i);
        if (!is_table(e)) {
            text_addf(why, "events[%zu]: must be a table", i + 1);
            break;
        }
        json_t *copy = json_is_object(e) ? json_deep_copy(e) : json_object();
        if (!json_object_get(copy, "id")) {
            char id[32];
            snprintf(id, sizeof id, "T%0*zu", width, i + 1);
            json_object_set_new(copy, "id", json_string(id));
        }
        if (!json_object_get(copy, "case_no"))
            json_object_set(copy, "case_no", json_object_get(doc, "case_no"));
        text reason = {0};
        docs[i] = normalize(copy, "event", &reason);
        json_decref(copy);
        if (!docs[i]) {
            text_addf(why, "events[%zu]: %s", i + 1, reason.s ? reason.s : "invalid");
            free(reason.s);
            break;
        }
    }
    json_t *sorted = i == n ? json_array() : NULL;
    if (sorted) {
        qsort(docs, n, sizeof *docs, cmp_events);
        for (i = 0; i < n; i++)
            json_array_append(sorted, docs[i]);
        json_object_set_new(doc, "events", sorted);
    }
    for (i = 0; i < n; i++)
        json_decref(docs[i]);
    free(docs);
    json_decref(events);
    if (!sorted)
        json_decref(doc);
    return sorted ? doc : NULL;
fail:
    json_decref(events);
    json_decref(doc);
    return NULL;
}

/* ---- resolving the rule ---- */

/* Why rule `name` does not apply to court, for the failure message. */
static void explain_missing(const rule_sets *rs, const char *name, const char *court, text *why)
{
    text_addf(why, "rule '%s' does not apply to court '%s'", name, court);
    int defined = 0;
    for (size_t s = 0; s < rs->n; s++) {
        const rule_set *set = &rs->sets[s];
        for (size_t r = 0; r < set->n_rules; r++) {
            if (strcmp(set->rules[r].name, name) != 0)
                continue;
            text_addf(why, "%s rule set '%s' (scope '%s'%s)", defined++ ? "," : ": defined in",
                      set->name, set->scope,
                      rules_scope_covers(set->scope, court) ? ", covers the court" : "");
        }
        for (size_t d = 0; d < set->n_disable; d++)
            if (strcmp(set->disable[d], name) == 0 && rules_scope_covers(set->scope, court))
                text_addf(why, "; switched off by rule set '%s' (disable)", set->name);
    }
    if (defined)
        return;
    text_addf(why, ": no rule set defines it");
    for (size_t s = 0; s < rs->n; s++)
        for (size_t f = 0; f < rs->sets[s].n_failures; f++)
            text_addf(why, "; %s did not load: %s", rs->sets[s].failures[f].file,
                      rs->sets[s].failures[f].reason);
}

/* ---- running one test ---- */

typedef struct call_inputs {
    const json_t *params, *kase;
    const char *as_of;
    luaapi_call *call;
    const calendar *cal;
} call_inputs;

/* Protected: pushes the case table, ctx and the params reference, as
 * eval_worker builds them (ctx.query is not available). */
static int push_inputs(lua_State *L)
{
    const call_inputs *in = lua_touserdata(L, 1);
    cr_err err;
    if (!luaapi_push_frozen_json(L, in->kase, &err))
        return luaL_error(L, "case data: %s", err.msg);
    if (!luaapi_push_frozen_json(L, in->params, &err))
        return luaL_error(L, "params: %s", err.msg);
    int params_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    luaapi_push_ctx(L, in->as_of, params_ref, in->call, in->cal, NULL);
    lua_pushinteger(L, params_ref);
    return 3;
}

typedef struct runner {
    const ruletest_options *opt;
    rule_sets *rs;
    luaapi_call call;
} runner;

/* Calls the rule; on success *value is its result as JSON. */
static cr_status call_rule(runner *run, unsigned s, const rule *ru, const char *court,
                           const char *as_of, const json_t *kase, json_t **value, text *why)
{
    rule_set *set = &run->rs->sets[s];
    lua_State *L = sandbox_state(set->sb);
    json_t *params = rules_params_for_court(run->rs, s, court);
    call_inputs in = {params, kase, as_of, &run->call, run->opt->cal};
    cr_err err;
    luaapi_call_reset(&run->call);
    lua_pushcfunction(L, push_inputs);
    lua_pushlightuserdata(L, &in);
    cr_status st = sandbox_call(set->sb, 1, 3, &err);
    json_decref(params);
    if (st != CR_OK) {
        text_addf(why, "cannot build the case and ctx: %s", err.msg);
        return CR_FAIL;
    }
    int params_ref = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ru->on_case_ref);
    lua_insert(L, -3); /* on_case, case, ctx */
    st = sandbox_call(set->sb, 2, 1, &err);
    if (st == CR_OK) {
        *value = luajson_to_json(L, -1, NULL, &err);
        lua_pop(L, 1);
        if (!*value) {
            text_addf(why, "(result) %s", err.msg);
            st = CR_FAIL;
        }
    } else {
        sandbox_reason r = sandbox_last_reason(set->sb);
        text_addf(why, "(%s) %s", sandbox_reason_name(r != SANDBOX_OK ? r : SANDBOX_ERROR),
                  err.msg);
    }
    luaL_unref(L, LUA_REGISTRYINDEX, params_ref);
    return st;
}

/* Compares a successful call with the expectations. */
static void check_outcome(const test_entry *t, const json_t *value, const luaapi_call *call,
                          text *diff)
{
    const char *error = json_string_value(json_object_get(t->expect, "error"));
    if (error) {
        text_addf(diff, "expected an error containing '%s', but on_case returned ", error);
        text_value(diff, value);
        return;
    }
    const json_t *want = json_object_get(t->expect, "result");
    char path[512] = "result";
    if (want)
        match_subset(want, value, path, sizeof path, diff);
    if (t->alert_patterns)
        check_alerts(t->alert_patterns, call->alerts, diff);
    const char *log = json_string_value(json_object_get(t->expect, "log_contains"));
    if (log) {
        size_t i;
        json_t *line;
        int found = 0;
        json_array_foreach(call->log, i, line)
        {
            found |= strstr(json_string_value(line), log) != NULL;
        }
        if (!found) {
            text_sep(diff);
            text_addf(diff, "expected a log line containing '%s', got ", log);
            text_value(diff, call->log);
        }
    }
}

/* Runs one test; returns its report entry. */
static json_t *run_test(runner *run, const test_entry *t)
{
    text why = {0};
    char ran[2 * RULE_NAME_MAX + 2] = "";
    json_t *kase = build_case(t->case_spec, &why);
    if (!kase) {
        text msg = {0};
        text_addf(&msg, "fixture is not a valid case: %s", why.s ? why.s : "invalid");
        free(why.s);
        why = msg;
    } else {
        const char *court = t->court ? t->court : json_string_value(json_object_get(kase, "court"));
        rule_ref refs[MAX_RULES_PER_COURT];
        size_t n = rules_for_court(run->rs, court, refs, MAX_RULES_PER_COURT), i = 0;
        while (i < n && strcmp(run->rs->sets[refs[i].set].rules[refs[i].rule].name, t->rule) != 0)
            i++;
        if (i == n) {
            explain_missing(run->rs, t->rule, court, &why);
        } else {
            const rule_set *set = &run->rs->sets[refs[i].set];
            const rule *ru = &set->rules[refs[i].rule];
            snprintf(ran, sizeof ran, "%s/%s", set->name, ru->name);
            json_t *value = NULL;
            if (ru->on_case_ref == LUA_NOREF) {
                text_addf(&why, "rule '%s' (%s) has no on_case hook", ru->name, ru->file);
            } else if (call_rule(run, refs[i].set, ru, court, t->as_of, kase, &value, &why) ==
                       CR_OK) {
                check_outcome(t, value, &run->call, &why);
            } else {
                const char *error = json_string_value(json_object_get(t->expect, "error"));
                if (error && why.s && strstr(why.s, error)) {
                    free(why.s);
                    why = (text){0};
                } else if (error) {
                    text msg = {0};
                    text_addf(&msg, "expected an error containing '%s', got: %s", error, why.s);
                    free(why.s);
                    why = msg;
                } else {
                    text msg = {0};
                    text_addf(&msg, "on_case failed %s", why.s ? why.s : "");
                    free(why.s);
                    why = msg;
                }
            }
            json_decref(value);
        }
        json_decref(kase);
    }
    json_t *entry = json_pack("{s:s, s:s, s:s, s:s, s:b}", "file", t->file, "rule_set",
                              t->owner->name, "rule", t->rule, "name", t->name, "ok", why.len == 0);
    if (entry) {
        json_object_set_new(entry, "message", why.len ? json_string(why.s) : json_null());
        json_object_set_new(entry, "ran", ran[0] ? json_string(ran) : json_null());
    }
    free(why.s);
    return entry;
}

/* ---- coverage ---- */

typedef struct cov_file {
    const char *file;    /* rule->file: "<set folder>/<script>.lua", the chunk name */
    int report;          /* in a set under test */
    unsigned char *code; /* code[line]: 1 has code, 2 also runs at load (main chunk) */
    unsigned char *hit;
    int n_lines;
} cov_file;

typedef struct coverage {
    cov_file *files;
    size_t n;
    const char *last_source; /* cache: the chunk name last seen and its file */
    cov_file *last;
} coverage;

/*
 * Lines with code come from the compiled chunk's debug information. Lua's C
 * API reaches only a function's own lines (lua_getinfo "L"), not those of
 * the functions nested in it, so the chunk is compiled (never run) in a
 * plain state and its dump -- the documented lua_dump format of Lua 5.4,
 * ldump.c -- is walked for every prototype's line table.
 */
typedef struct dump_reader {
    const unsigned char *p, *end;
    size_t int_size, num_size, instr_size;
    int bad;
    unsigned char *code; /* growing line marks */
    int n_lines;
} dump_reader;

static unsigned dr_byte(dump_reader *r)
{
    if (r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

/* ldump.c dumpSize: 7 bits a byte, most significant first, the last byte
 * marked with 0x80. */
static size_t dr_size(dump_reader *r)
{
    size_t x = 0;
    for (int i = 0; i < 10 && !r->bad; i++) {
        unsigned b = dr_byte(r);
        x = (x << 7) | (b & 0x7f);
        if (b & 0x80)
            return x;
    }
    r->bad = 1;
    return 0;
}

static void dr_skip(dump_reader *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        r->bad = 1;
    else
        r->p += n;
}

static void dr_string(dump_reader *r)
{
    size_t n = dr_size(r);
    if (n)
        dr_skip(r, n - 1);
}

static void mark_line(dump_reader *r, int line, unsigned char how)
{
    if (line <= 0 || line > 1000000)
        return;
    if (line > r->n_lines) {
        int n = r->n_lines ? r->n_lines : 64;
        while (n < line)
            n *= 2;
        unsigned char *c = realloc(r->code, (size_t)n + 1);
        if (!c) {
            r->bad = 1;
            return;
        }
        memset(c + r->n_lines + 1, 0, (size_t)(n - r->n_lines));
        if (!r->code)
            c[0] = 0;
        r->code = c;
        r->n_lines = n;
    }
    if (r->code[line] < how)
        r->code[line] = how;
}

/* One prototype and, recursively, those nested in it (ldump.c dumpFunction). */
static void dr_function(dump_reader *r, int depth, int is_main)
{
    if (depth > 250) {
        r->bad = 1;
        return;
    }
    dr_string(r); /* source */
    int line = (int)dr_size(r);
    dr_size(r); /* lastlinedefined */
    dr_byte(r); /* numparams */
    int is_vararg = (int)dr_byte(r);
    dr_byte(r); /* maxstacksize */
    size_t n_code = dr_size(r);
    if (n_code > (size_t)(r->end - r->p) / r->instr_size) {
        r->bad = 1;
        return;
    }
    dr_skip(r, n_code * r->instr_size);
    size_t n = dr_size(r); /* constants */
    for (size_t i = 0; i < n && !r->bad; i++) {
        unsigned tag = dr_byte(r);
        if (tag == 3) /* integer */
            dr_skip(r, r->int_size);
        else if (tag == 19) /* float */
            dr_skip(r, r->num_size);
        else if (tag == 4 || tag == 20) /* short, long string */
            dr_string(r);
        else if (tag != 0 && tag != 1 && tag != 17) /* nil, false, true */
            r->bad = 1;
    }
    dr_skip(r, 3 * dr_size(r)); /* upvalues: instack, idx, kind */
    n = dr_size(r);
    for (size_t i = 0; i < n && !r->bad; i++)
        dr_function(r, depth + 1, 0);
    size_t n_info = dr_size(r);
    const signed char *info = (const signed char *)r->p;
    dr_skip(r, n_info);
    size_t n_abs = dr_size(r);
    if (r->bad || n_abs > (size_t)(r->end - r->p)) {
        r->bad = 1;
        return;
    }
    int *abs_pc = calloc(n_abs + 1, sizeof *abs_pc),
        *abs_line = calloc(n_abs + 1, sizeof *abs_line);
    int *lines = calloc(n_info + 1, sizeof *lines);
    if (!abs_pc || !abs_line || !lines)
        r->bad = 1;
    for (size_t i = 0; i < n_abs && !r->bad; i++) {
        abs_pc[i] = (int)dr_size(r);
        abs_line[i] = (int)dr_size(r);
    }
    /* ldebug.c collectvalidlines: each instruction's line; a vararg
     * function's first instruction (VARARGPREP) does not count. */
    for (size_t pc = 0; pc < n_info && !r->bad; pc++) {
        if (info[pc] != -0x80) {
            line += info[pc];
        } else {
            size_t a = 0;
            while (a < n_abs && abs_pc[a] != (int)pc)
                a++;
            if (a == n_abs)
                r->bad = 1;
            else
                line = abs_line[a];
        }
        lines[pc] = line;
    }
    /* The last instruction is the implicit `return` at the closing `end`,
     * reached only when the function falls off its end: a line holding
     * nothing else is not code a test must run. */
    size_t first = is_vararg ? 1 : 0, count = n_info;
    if (count > first + 1) {
        int only = 1;
        for (size_t pc = first; pc + 1 < n_info; pc++)
            only &= lines[pc] != lines[n_info - 1];
        if (only)
            count--;
    }
    for (size_t pc = first; pc < count && !r->bad; pc++)
        mark_line(r, lines[pc], is_main ? 2 : 1);
    free(abs_pc);
    free(abs_line);
    free(lines);
    n = dr_size(r); /* local variables */
    for (size_t i = 0; i < n && !r->bad; i++) {
        dr_string(r);
        dr_size(r);
        dr_size(r);
    }
    n = dr_size(r); /* upvalue names */
    for (size_t i = 0; i < n && !r->bad; i++)
        dr_string(r);
}

typedef struct dump_buf {
    unsigned char *s;
    size_t len, cap;
} dump_buf;

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
    (void)L;
    dump_buf *b = ud;
    if (b->len + sz > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + sz)
            cap *= 2;
        unsigned char *s = realloc(b->s, cap);
        if (!s)
            return 1;
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, p, sz);
    b->len += sz;
    return 0;
}

/* Reads a whole file (malloc'd, *len bytes); NULL if it cannot. */
static char *slurp(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    dump_buf b = {0};
    char chunk[8192];
    size_t got;
    int bad = 0;
    while (!bad && (got = fread(chunk, 1, sizeof chunk, in)) > 0)
        bad = dump_writer(NULL, chunk, got, &b);
    bad |= ferror(in);
    fclose(in);
    if (bad || !b.s) {
        free(b.s);
        return bad ? NULL : calloc(1, 1);
    }
    *len = b.len;
    return (char *)b.s;
}

/* Marks f->code with the lines of path that hold code. */
static cr_status code_lines(cov_file *f, const char *path, cr_err *err)
{
    size_t len = 0;
    char *src = slurp(path, &len);
    if (!src)
        return cr_errf(err, CR_FAIL, "%s: cannot read", path);
    size_t skip = len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    lua_State *L = luaL_newstate(); /* compiles only: no library, nothing runs */
    dump_buf dump = {0};
    int ok = L && luaL_loadbufferx(L, src + skip, len - skip, path, "t") == LUA_OK &&
             lua_dump(L, dump_writer, &dump, 0) == 0;
    if (L)
        lua_close(L);
    free(src);
    dump_reader r = {.p = dump.s, .end = dump.s + dump.len};
    /* header: signature, version, format, LUAC_DATA, sizes, LUAC_INT, LUAC_NUM */
    if (ok && dump.len > 15 && memcmp(dump.s, "\x1bLua\x54\x00", 6) == 0) {
        r.instr_size = dump.s[12];
        r.int_size = dump.s[13];
        r.num_size = dump.s[14];
        dr_skip(&r, 15 + r.int_size + r.num_size + 1); /* + the main closure's upvalue count */
        if (r.instr_size == 0)
            r.bad = 1;
        if (!r.bad)
            dr_function(&r, 0, 1);
    } else {
        r.bad = 1;
    }
    free(dump.s);
    if (r.bad || !ok) {
        free(r.code);
        return cr_errf(err, CR_FAIL, "%s: cannot read the compiled chunk's line information", path);
    }
    f->code = r.code;
    f->n_lines = r.n_lines;
    f->hit = calloc((size_t)f->n_lines + 1, 1);
    return f->hit || !f->n_lines ? CR_OK : cr_errf(err, CR_FAIL, "out of memory");
}

static void coverage_free(coverage *cov)
{
    for (size_t i = 0; i < cov->n; i++) {
        free(cov->files[i].code);
        free(cov->files[i].hit);
    }
    free(cov->files);
}

/* Line events from the sandbox: source is the chunk name ("@set/x.lua"). */
static void cov_line(void *ud, const char *source, int line)
{
    coverage *cov = ud;
    cov_file *f = NULL;
    if (cov->last && source == cov->last_source && strcmp(source + 1, cov->last->file) == 0) {
        f = cov->last;
    } else if (source[0] == '@') {
        for (size_t i = 0; i < cov->n && !f; i++)
            if (strcmp(source + 1, cov->files[i].file) == 0)
                f = &cov->files[i];
        cov->last_source = source;
        cov->last = f;
    }
    if (f && line > 0 && line <= f->n_lines)
        f->hit[line] = 1;
}

static cr_status coverage_init(coverage *cov, rule_sets *rs, const target *t, cr_err *err)
{
    size_t n = 0;
    for (size_t s = 0; s < rs->n; s++)
        n += rs->sets[s].n_rules;
    cov->files = calloc(n + 1, sizeof *cov->files);
    if (!cov->files)
        return cr_errf(err, CR_FAIL, "out of memory");
    for (size_t s = 0; s < rs->n; s++) {
        rule_set *set = &rs->sets[s];
        for (size_t r = 0; r < set->n_rules; r++) {
            cov_file *f = &cov->files[cov->n++];
            const char *rel = strchr(set->rules[r].file, '/');
            char path[PATH_MAX + 300];
            snprintf(path, sizeof path, "%s/%s", set->dir, rel ? rel + 1 : set->rules[r].file);
            f->file = set->rules[r].file;
            f->report = !t->set_folder[0] || set_in_folder(set, t->set_folder);
            cr_status st = code_lines(f, path, err);
            if (st != CR_OK)
                return st;
        }
        sandbox_set_line_hook(set->sb, cov_line, cov);
    }
    return CR_OK;
}

/* The coverage section of the report. */
static json_t *coverage_report(const coverage *cov, double min, int *all_ok)
{
    json_t *files = json_array();
    *all_ok = 1;
    for (size_t i = 0; i < cov->n; i++) {
        const cov_file *f = &cov->files[i];
        if (!f->report)
            continue;
        int lines = 0, covered = 0;
        json_t *missed = json_array();
        for (int l = 1; l <= f->n_lines; l++) {
            if (!f->code[l])
                continue;
            lines++;
            if (f->hit[l] || f->code[l] == 2)
                covered++;
            else
                json_array_append_new(missed, json_integer(l));
        }
        double pct = lines ? 100.0 * covered / lines : 100.0;
        int ok = (double)covered * 100.0 >= min * lines;
        *all_ok &= ok;
        json_array_append_new(files, json_pack("{s:s, s:i, s:i, s:f, s:o, s:b}", "file", f->file,
                                               "lines", lines, "covered", covered, "percent", pct,
                                               "missed", missed, "ok", ok));
    }
    return json_pack("{s:f, s:b, s:o}", "min", min, "ok", *all_ok, "files", files);
}

/* ---- the run ---- */

cr_status ruletest_run(const ruletest_options *opt, json_t **report, cr_err *err)
{
    *report = NULL;
    target t;
    cr_status st = find_target(opt->dir, &t, err);
    if (st != CR_OK)
        return st;
    rule_sets *rs = NULL;
    if ((st = rules_load(t.rules_dir, opt->plugins_dir, eval_open_api, NULL, &rs, err)) != CR_OK)
        return st;
    plan p = {0};
    int found_set = !t.set_folder[0];
    for (size_t s = 0; s < rs->n && st == CR_OK; s++) {
        if (t.set_folder[0] && !set_in_folder(&rs->sets[s], t.set_folder))
            continue;
        found_set = 1;
        st = plan_set(&p, &rs->sets[s], t.only_file[0] ? t.only_file : NULL, err);
    }
    if (st == CR_OK && rs->n == 0)
        st = cr_errf(err, CR_INVALID, "%s: no rule sets (folders with ruleset.json) in it",
                     t.rules_dir);
    else if (st == CR_OK && !found_set)
        st = cr_errf(err, CR_INVALID, "%s/%s: not loaded as a rule set", t.rules_dir, t.set_folder);
    coverage cov = {0};
    if (st == CR_OK && opt->coverage)
        st = coverage_init(&cov, rs, &t, err);
    if (st != CR_OK) {
        coverage_free(&cov);
        plan_free(&p);
        rules_free(rs);
        return st;
    }

    runner run = {.opt = opt, .rs = rs};
    luaapi_call_reset(&run.call);
    json_t *tests = json_array(), *failures = json_array();
    json_int_t passed = 0, failed = 0;
    for (size_t i = 0; i < p.n_tests; i++) {
        json_t *entry = run_test(&run, &p.tests[i]);
        if (!entry) {
            st = cr_errf(err, CR_FAIL, "out of memory");
            break;
        }
        if (json_is_true(json_object_get(entry, "ok")))
            passed++;
        else
            failed++;
        if (opt->on_test)
            opt->on_test(opt->ud, entry);
        json_array_append_new(tests, entry);
    }
    for (size_t s = 0; s < rs->n; s++)
        for (size_t f = 0; f < rs->sets[s].n_failures; f++)
            json_array_append_new(failures,
                                  json_pack("{s:s, s:s}", "file", rs->sets[s].failures[f].file,
                                            "reason", rs->sets[s].failures[f].reason));
    int cov_ok = 1;
    json_t *cov_json = opt->coverage ? coverage_report(&cov, opt->min_coverage, &cov_ok) : NULL;
    if (st == CR_OK) {
        *report = json_pack("{s:s, s:I, s:I, s:b, s:o, s:o}", "rules_dir", t.rules_dir, "passed",
                            passed, "failed", failed, "ok", failed == 0 && cov_ok, "tests", tests,
                            "load_failures", failures);
        if (!*report)
            st = cr_errf(err, CR_FAIL, "out of memory");
        else if (cov_json)
            json_object_set_new(*report, "coverage", cov_json);
    } else {
        json_decref(tests);
        json_decref(failures);
    }
    if (!*report)
        json_decref(cov_json);
    if (opt->coverage)
        for (size_t s = 0; s < rs->n; s++)
            sandbox_set_line_hook(rs->sets[s].sb, NULL, NULL);
    luaapi_call_free(&run.call);
    coverage_free(&cov);
    plan_free(&p);
    rules_free(rs);
    return st;
}
