/*
 * ruletest_match.c -- what a test case expects against what its rule did:
 * the result (a subset match), the alerts (a matching in any order), the
 * error and the log, each difference told as "expected ..., got ...".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruletest_internal.h"

#define SHOW_MAX 240 /* bytes of a JSON value quoted in a message */

/* ---- growing text, for messages ---- */

void ruletest_text_addf(ruletest_text *t, const char *fmt, ...)
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
static void text_sep(ruletest_text *t)
{
    if (t->len)
        ruletest_text_addf(t, "; ");
}

/* A JSON value as compact text for a message, cut at SHOW_MAX bytes on a
 * UTF-8 boundary. NULL (absent) reads "nothing". */
static void text_value(ruletest_text *t, const json_t *v)
{
    if (!v) {
        ruletest_text_addf(t, "nothing");
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
        ruletest_text_addf(t, "%.*s…", (int)n, s);
    } else {
        ruletest_text_addf(t, "%s", s);
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
static int match_subset(const json_t *want, const json_t *got, char *path, size_t cap,
                        ruletest_text *diff)
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
                    ruletest_text_addf(diff, "expected %s = ", path);
                    text_value(diff, w);
                    ruletest_text_addf(diff, ", got nothing");
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
        ruletest_text_addf(diff, "expected %s = ", path);
        text_value(diff, want);
        ruletest_text_addf(diff, ", got ");
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
static void check_alerts(const json_t *patterns, const json_t *got, ruletest_text *diff)
{
    size_t ne = json_array_size(patterns), ng = json_array_size(got);
    unsigned char *adj = calloc(ne * ng + 1, 1), *seen = calloc(ng + 1, 1);
    int *owner = malloc((ng + 1) * sizeof *owner);
    unsigned char *matched = calloc(ne + 1, 1);
    if (!adj || !seen || !owner || !matched) {
        text_sep(diff);
        ruletest_text_addf(diff, "out of memory comparing alerts");
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
    ruletest_text_addf(diff, "alerts: expected [");
    for (size_t e = 0; e < ne; e++) {
        const json_t *p = json_array_get(patterns, e);
        ruletest_text_addf(diff, "%s", e ? ", " : "");
        if (json_object_size(p) == 1 && json_object_get(p, "code"))
            ruletest_text_addf(diff, "%s", json_string_value(json_object_get(p, "code")));
        else
            text_value(diff, p);
    }
    ruletest_text_addf(diff, "], got [");
    for (size_t g = 0; g < ng; g++) {
        const json_t *a = json_array_get(got, g);
        ruletest_text_addf(diff, "%s%s (%s)", g ? ", " : "",
                           json_string_value(json_object_get(a, "code")),
                           json_string_value(json_object_get(a, "severity")));
    }
    ruletest_text_addf(diff, "]");
    const char *sep = " -- ";
    for (size_t e = 0; e < ne; e++) {
        if (matched[e])
            continue;
        const json_t *p = json_array_get(patterns, e);
        ruletest_text_addf(diff, "%smissing ", sep);
        if (json_object_size(p) == 1 && json_object_get(p, "code"))
            ruletest_text_addf(diff, "%s", json_string_value(json_object_get(p, "code")));
        else
            text_value(diff, p);
        sep = ", ";
    }
    for (size_t g = 0; g < ng; g++) {
        if (owner[g] >= 0)
            continue;
        const json_t *a = json_array_get(got, g);
        ruletest_text_addf(diff, "%sunexpected %s: ", sep,
                           json_string_value(json_object_get(a, "code")));
        text_value(diff, json_object_get(a, "message"));
        sep = ", ";
    }
done:
    free(adj);
    free(seen);
    free(owner);
    free(matched);
}

/* ---- the outcome of a call ---- */

void ruletest_check_outcome(const ruletest_entry *t, const json_t *value, const luaapi_call *call,
                            ruletest_text *diff)
{
    const char *error = json_string_value(json_object_get(t->expect, "error"));
    if (error) {
        ruletest_text_addf(diff, "expected an error containing '%s', but %s returned ", error,
                           t->schedule ? "the schedule's run" : t->court_code ? "on_court" : "on_case");
        text_value(diff, value);
        return;
    }
    const json_t *want = json_object_get(t->expect, "result");
    char path[512] = "result";
    if (want)
        match_subset(want, value, path, sizeof path, diff);
    if (t->alert_patterns) {
        json_t *got = luaapi_alerts_tree(&call->alerts);
        if (got)
            check_alerts(t->alert_patterns, got, diff);
        else
            ruletest_text_addf(diff, "out of memory comparing alerts");
        json_decref(got);
    }
    const char *log = json_string_value(json_object_get(t->expect, "log_contains"));
    if (log) {
        json_t *lines = luaapi_call_log_tree(call), *line;
        size_t i;
        int found = 0;
        json_array_foreach(lines, i, line)
        {
            found |= strstr(json_string_value(line), log) != NULL;
        }
        if (!found) {
            text_sep(diff);
            ruletest_text_addf(diff, "expected a log line containing '%s', got ", log);
            text_value(diff, lines);
        }
        json_decref(lines);
    }
}

void ruletest_check_failure(const ruletest_entry *t, ruletest_text *why)
{
    const char *error = json_string_value(json_object_get(t->expect, "error"));
    if (error && why->s && strstr(why->s, error)) {
        free(why->s);
        *why = (ruletest_text){0};
    } else if (error) {
        ruletest_text msg = {0};
        ruletest_text_addf(&msg, "expected an error containing '%s', got: %s", error, why->s);
        free(why->s);
        *why = msg;
    } else {
        ruletest_text msg = {0};
        ruletest_text_addf(&msg, "%s failed %s", t->schedule ? "the schedule's run" : t->court_code ? "on_court" : "on_case",
                           why->s ? why->s : "");
        free(why->s);
        *why = msg;
    }
}
