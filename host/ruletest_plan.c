/*
 * ruletest_plan.c -- test files in, a plan of test cases out.
 *
 * Each test file runs in a sandbox of its own; the table it returns is
 * checked whole (keys, types, dates, court codes, expectations) so that a
 * malformed file is reported by name and field before any test runs.
 */
#include <dirent.h>
#include <limits.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "casenum.h"
#include "dates.h"
#include "luajson.h"
#include "sandbox.h"
#include "ruletest_internal.h"

void ruletest_plan_free(ruletest_plan *p)
{
    for (size_t i = 0; i < p->n_files; i++) {
        free(p->files[i].path);
        json_decref(p->files[i].value);
    }
    for (size_t i = 0; i < p->n_tests; i++)
        json_decref(p->tests[i].alert_patterns);
    free(p->files);
    free(p->tests);
    ruletest_data_free(&p->dbs);
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

static const char *const file_keys[] = {"rule", "as_of",       "court", "cases",
                                        "data", "description", NULL};
static const char *const case_keys[] = {"name", "rule",       "as_of",  "court",    "case",
                                        "data", "court_code", "expect", "schedule", NULL};
static const char *const expect_keys[] = {"result",       "alerts",         "error",
                                          "log_contains", "not_applicable", NULL};
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

/* `data`, if given, must be a list (of records: ruletest_data_build checks
 * each); *out is it or NULL. */
static cr_status data_list(const json_t *obj, const char *file, const char *where,
                           const json_t **out, cr_err *err)
{
    const json_t *data = json_object_get(obj, "data");
    if (data && !json_is_array(data))
        return cr_errf(err, CR_INVALID,
                       "%s: %sdata: must be a list of records { { type = \"court\", ... }, "
                       "... }",
                       file, where);
    *out = data;
    return CR_OK;
}

/* A court-level test: court_code instead of case, and no court of its own. */
static cr_status court_test(const json_t *c, ruletest_entry *e, const char *file, const char *where,
                            cr_err *err)
{
    char why[128];
    cr_status st = opt_string(c, "court_code", &e->court_code, file, where, err);
    if (st == CR_OK)
        st = opt_string(c, "schedule", &e->schedule, file, where, err);
    if (st == CR_OK && e->schedule && !e->court_code)
        return cr_errf(err, CR_INVALID,
                       "%s: %sschedule: a schedule's run is called per court; give court_code "
                       "too",
                       file, where);
    if (st != CR_OK || !e->court_code)
        return st;
    if (court_code_check(e->court_code, why, sizeof why) != 0)
        return cr_errf(err, CR_INVALID, "%s: %scourt_code: '%s': %s", file, where, e->court_code,
                       why);
    if (json_object_get(c, "case"))
        return cr_errf(err, CR_INVALID,
                       "%s: %scourt_code: a court-level test (on_court) has no case; give "
                       "either case or court_code",
                       file, where);
    if (json_object_get(c, "court"))
        return cr_errf(err, CR_INVALID,
                       "%s: %scourt_code: a court-level test runs for that court; give either "
                       "court or court_code",
                       file, where);
    e->court = e->court_code;
    return CR_OK;
}

static cr_status add_entry(ruletest_plan *p, const ruletest_entry *e, cr_err *err)
{
    ruletest_entry *t = realloc(p->tests, (p->n_tests + 1) * sizeof *t);
    if (!t)
        return cr_errf(err, CR_FAIL, "out of memory");
    p->tests = t;
    t[p->n_tests++] = *e;
    return CR_OK;
}

/* Checks a test file's table and adds its cases to the plan. */
static cr_status plan_file(ruletest_plan *p, const ruletest_file *tf, const rule_set *owner,
                           cr_err *err)
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
    const json_t *file_data = NULL;
    const char *file_db = NULL;
    if ((st = data_list(top, file, "", &file_data, err)) != CR_OK ||
        (file_data && (st = ruletest_data_build(&p->dbs, file, file_data, "data", NULL, NULL,
                                                &file_db, err)) != CR_OK))
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
        ruletest_entry e = {.file = file,
                            .owner = owner,
                            .rule = rule_name,
                            .as_of = as_of,
                            .court = court,
                            .db_path = file_db};
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
        if ((st = court_test(c, &e, file, where, err)) != CR_OK)
            return st;
        e.case_spec = e.court_code ? NULL : json_object_get(c, "case");
        if (!e.court_code && !ruletest_is_table(e.case_spec))
            return cr_errf(err, CR_INVALID,
                           "%s: %scase: required, the case record as a table (or court_code "
                           "for a court-level test)",
                           file, where);
        const json_t *case_data = NULL;
        char data_where[80];
        snprintf(data_where, sizeof data_where, "%sdata", where);
        if ((st = data_list(c, file, where, &case_data, err)) != CR_OK ||
            (case_data && (st = ruletest_data_build(&p->dbs, file, file_data, "data", case_data,
                                                    data_where, &e.db_path, err)) != CR_OK))
            return st;
        const json_t *expect = json_object_get(c, "expect");
        if (expect && !ruletest_is_table(expect))
            return cr_errf(err, CR_INVALID, "%s: %sexpect: must be a table", file, where);
        if (json_is_object(expect)) {
            char at[80];
            snprintf(at, sizeof at, "%sexpect.", where);
            const char *s = NULL;
            if ((st = check_keys(expect, expect_keys, file, at, err)) != CR_OK ||
                (st = opt_string(expect, "error", &s, file, at, err)) != CR_OK ||
                (st = opt_string(expect, "log_contains", &s, file, at, err)) != CR_OK)
                return st;
            json_t *none = json_object_get(expect, "not_applicable");
            if (none && (!json_is_boolean(none) || json_object_size(expect) != 1))
                return cr_errf(err, CR_INVALID,
                               "%s: %snot_applicable: must be true, and alone in expect", file, at);
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

cr_status ruletest_plan_set(ruletest_plan *p, const rule_set *set, const char *only, cr_err *err)
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
        ruletest_file tf = {0};
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
        ruletest_file *files =
            st == CR_OK ? realloc(p->files, (p->n_files + 1) * sizeof *files) : NULL;
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
