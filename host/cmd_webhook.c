/*
 * cmd_webhook.c -- `courtrules webhook add|list|remove|test|rotate|enable|disable`.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "casenum.h"
#include "cli.h"
#include "db_webhook.h"
#include "deliver.h"
#include "webhook.h"
#include "webhook_format.h"

static const char WEBHOOK_USAGE[] =
    "usage: courtrules [--db PATH] webhook add NAME --url URL [options]\n"
    "       courtrules [--db PATH] [--json] webhook list\n"
    "       courtrules [--db PATH] webhook remove NAME\n"
    "       courtrules [--db PATH] webhook test NAME\n"
    "       courtrules [--db PATH] webhook rotate NAME [--secret S] | --finish\n"
    "       courtrules [--db PATH] webhook enable|disable NAME\n"
    "\n"
    "An endpoint receives the alerts that match its filters: one message per\n"
    "alert created, resolved or reopened (or grouped), signed per Standard\n"
    "Webhooks, retried on a schedule. `courtrules deliver` sends them;\n"
    "`courtrules deliveries` shows every attempt. See docs/webhooks.md.\n"
    "\n"
    "add options:\n"
    "  --url URL             http:// or https:// address of the receiver\n"
    "  --format NAME         plugins/webhook/NAME.lua: standard (default), dingtalk,\n"
    "                        wecom, feishu, or your own\n"
    "  --secret S            the signing secret; for standard, whsec_<base64> (one is\n"
    "                        generated and printed once when not given); for dingtalk\n"
    "                        and feishu the robot's secret\n"
    "  --court PREFIX        only alerts of courts under PREFIX (default: all)\n"
    "  --min-severity S      info (default), warning or critical\n"
    "  --codes LIST          comma-separated alert codes; * and ? are wildcards\n"
    "                        (\"4C-*,TL-OVERDUE\"; default *)\n"
    "  --max-in-flight N     requests at once to this endpoint (default 4)\n"
    "  --rate N              at most N requests per second (default: no limit)\n"
    "  --timeout DUR         per request (default 10s; 500ms, 30s, 5m, ...)\n"
    "  --group-window DUR    gather alerts for DUR into one message (default 0: one each)\n"
    "  --repeat-interval DUR send open alerts again after DUR (default 0: never)\n"
    "  --no-resolved         do not send resolved notifications\n"
    "  --retry-schedule L    delays between attempts (default " WEBHOOK_DEFAULT_RETRY_SCHEDULE ")\n"
    "  --backfill            also send the alerts open now\n"
    "  --plugins DIR         where webhook formats are (default ./plugins or beside --rules)\n";

/* http(s)://host..., no spaces or control characters. */
static int valid_url(const char *url)
{
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return 0;
    if (strlen(url) >= 1024 || strlen(url) <= 8)
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

/* Code patterns: letters, digits, '-', '_', '.', and the wildcards * ?. */
static int valid_codes(const char *codes)
{
    int any = 0;
    for (const char *p = codes; *p; p++) {
        if (*p == ',' || *p == ' ')
            continue;
        if (!(isalnum((unsigned char)*p) || strchr("-_.*?", *p)))
            return 0;
        any = 1;
    }
    return any;
}

/* The URL without its query and user info: robot URLs carry their key. */
static void redact_url(const char *url, char *out, size_t cap)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    const char *at = strchr(host, '@');
    const char *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        host = at + 1;
    size_t scheme_len = scheme_end ? (size_t)(scheme_end - url) + 3 : 0;
    const char *query = strpbrk(host, "?#");
    size_t rest = query ? (size_t)(query - host) : strlen(host);
    snprintf(out, cap, "%.*s%.*s%s", (int)scheme_len, url, (int)rest, host, query ? "?…" : "");
}

/* Parses a duration option's value (m from cli_option_value) of at least
 * min_ms; prints the usage error and returns -1 otherwise. */
static int duration_option(const char *opt, int m, const char *v, int64_t min_ms, int64_t *out)
{
    cr_err err;
    if (m < 0) {
        cli_usage_error("webhook", "%s needs a duration", opt);
        return -1;
    }
    if (webhook_parse_duration(v, out, &err) != CR_OK) {
        cli_usage_error("webhook", "%s: %s", opt, err.msg);
        return -1;
    }
    if (*out < min_ms) {
        cli_usage_error("webhook", "%s must be at least %s", opt, min_ms == 100 ? "100ms" : "0");
        return -1;
    }
    return 0;
}

static cr_status audit_webhook(cr_db *db, const char *action, const db_webhook *w, cr_err *err)
{
    char url[1024];
    redact_url(w->url, url, sizeof url);
    json_t *detail = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "name", w->name, "url", url,
                               "format", w->format, "court", w->court_prefix, "min_severity",
                               w->min_severity, "codes", w->codes);
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    cr_status st = text ? audit_append(db, audit_cli_actor(), action, w->name, text, NULL, err)
                        : cr_errf(err, CR_FAIL, "out of memory");
    free(text);
    return st;
}

static const char *plugins_dir(const char *given, const cli_common *common, char *buf, size_t len)
{
    return cli_find_beside_rules(given, common->rules_dir, "plugins", 1, buf, len);
}

static int webhook_add(int argc, char **argv, const cli_common *common)
{
    if (argc < 3 || argv[2][0] == '-')
        return cli_usage_error("webhook", "add needs a NAME");
    db_webhook w = {0};
    const char *name = argv[2], *plugins = NULL, *secret = NULL;
    int backfill = 0;
    cr_err err;
    if (strlen(name) >= sizeof w.name || strpbrk(name, " \t\r\n/"))
        return cli_usage_error(
            "webhook", "webhook name '%s' must be under 64 bytes without spaces or '/'", name);
    snprintf(w.name, sizeof w.name, "%s", name);
    snprintf(w.format, sizeof w.format, "standard");
    snprintf(w.codes, sizeof w.codes, "*");
    snprintf(w.retry_schedule, sizeof w.retry_schedule, "%s", WEBHOOK_DEFAULT_RETRY_SCHEDULE);
    w.max_in_flight = 4;
    w.timeout_ms = 10000;
    w.send_resolved = 1;
    for (int i = 3; i < argc; i++) {
        const char *v = NULL;
        int m;
        if ((m = cli_option_value(argc, argv, &i, "--url", &v)) != 0) {
            if (m < 0 || !valid_url(v))
                return cli_usage_error("webhook",
                                       "--url must be an http:// or https:// address without "
                                       "spaces, under 1024 bytes");
            snprintf(w.url, sizeof w.url, "%s", v);
        } else if ((m = cli_option_value(argc, argv, &i, "--format", &v)) != 0) {
            if (m < 0 || strlen(v) >= sizeof w.format)
                return cli_usage_error("webhook", "--format needs a format name");
            snprintf(w.format, sizeof w.format, "%s", v);
        } else if ((m = cli_option_value(argc, argv, &i, "--secret", &v)) != 0) {
            unsigned char key[256];
            size_t key_len;
            if (m < 0 || webhook_secret_key(v, key, sizeof key, &key_len, &err) != CR_OK)
                return cli_usage_error("webhook", "--secret: %s",
                                       m < 0 ? "needs a value" : err.msg);
            secret = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--court", &v)) != 0) {
            char why[256];
            if (m < 0 || court_code_check(v, why, sizeof why) != 0)
                return cli_usage_error("webhook", "--court '%s': %s", m < 0 ? "" : v,
                                       m < 0 ? "needs a court code" : why);
            snprintf(w.court_prefix, sizeof w.court_prefix, "%s", v);
        } else if ((m = cli_option_value(argc, argv, &i, "--min-severity", &v)) != 0) {
            if (m < 0 || webhook_severity_rank(v) < 0)
                return cli_usage_error("webhook",
                                       "--min-severity must be info, warning or critical");
            w.min_severity = webhook_severity_rank(v);
        } else if ((m = cli_option_value(argc, argv, &i, "--codes", &v)) != 0) {
            if (m < 0 || !valid_codes(v) || strlen(v) >= sizeof w.codes)
                return cli_usage_error("webhook",
                                       "--codes '%s': comma-separated codes of letters, digits, "
                                       "'-', '_', '.' and the wildcards * ?",
                                       m < 0 ? "" : v);
            snprintf(w.codes, sizeof w.codes, "%s", v);
        } else if ((m = cli_option_value(argc, argv, &i, "--max-in-flight", &v)) != 0) {
            int64_t n;
            if (m < 0 || cli_parse_int(v, 1, 256, &n) != 0)
                return cli_usage_error("webhook", "--max-in-flight needs a number from 1 to 256");
            w.max_in_flight = (int)n;
        } else if ((m = cli_option_value(argc, argv, &i, "--rate", &v)) != 0) {
            char *end = NULL;
            double r = m > 0 ? strtod(v, &end) : -1;
            if (m < 0 || !end || *end || !(r > 0 && r <= 100000))
                return cli_usage_error("webhook", "--rate needs requests per second (> 0)");
            w.rate_per_s = r;
        } else if ((m = cli_option_value(argc, argv, &i, "--timeout", &v)) != 0) {
            if (duration_option("--timeout", m, v, 100, &w.timeout_ms) != 0)
                return 2;
        } else if ((m = cli_option_value(argc, argv, &i, "--group-window", &v)) != 0) {
            if (duration_option("--group-window", m, v, 0, &w.group_window_ms) != 0)
                return 2;
        } else if ((m = cli_option_value(argc, argv, &i, "--repeat-interval", &v)) != 0) {
            if (duration_option("--repeat-interval", m, v, 0, &w.repeat_interval_ms) != 0)
                return 2;
        } else if ((m = cli_option_value(argc, argv, &i, "--retry-schedule", &v)) != 0) {
            webhook_schedule s;
            if (m < 0 || webhook_parse_schedule(v, &s, &err) != CR_OK ||
                strlen(v) >= sizeof w.retry_schedule)
                return cli_usage_error("webhook", "--retry-schedule: %s",
                                       m < 0 ? "needs a list" : err.msg);
            snprintf(w.retry_schedule, sizeof w.retry_schedule, "%s", v);
        } else if ((m = cli_option_value(argc, argv, &i, "--plugins", &v)) != 0) {
            if (m < 0)
                return cli_usage_error("webhook", "--plugins needs a folder");
            plugins = v;
        } else if (strcmp(argv[i], "--no-resolved") == 0) {
            w.send_resolved = 0;
        } else if (strcmp(argv[i], "--backfill") == 0) {
            backfill = 1;
        } else {
            return cli_usage_error("webhook", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!*w.url)
        return cli_usage_error("webhook", "add needs --url URL");
    char buf[4096];
    webhook_format *f;
    if (webhook_format_load(plugins_dir(plugins, common, buf, sizeof buf), w.format, &f, &err) !=
        CR_OK)
        return cli_fail(CR_INVALID, &err);
    webhook_format_free(f);
    int generated = 0;
    if (secret) {
        snprintf(w.secret, sizeof w.secret, "%s", secret);
    } else if (strcmp(w.format, "standard") == 0) {
        if (webhook_secret_generate(w.secret, &err) != CR_OK)
            return cli_fail(CR_FAIL, &err);
        generated = 1;
    }

    int status;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    int64_t backfilled = 0;
    cr_status st = db_begin(db, &err);
    if (st == CR_OK)
        st = db_webhook_add(db, &w, backfill, &backfilled, &err);
    if (st == CR_OK)
        st = audit_webhook(db, "webhook.add", &w, &err);
    st = db_end(db, st, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    printf("webhook %s added (format %s)\n", w.name, w.format);
    if (backfill)
        printf("%lld open alert%s queued for it\n", (long long)backfilled,
               backfilled == 1 ? "" : "s");
    if (generated)
        printf("signing secret (shown only now; give it to the receiver): %s\n", w.secret);
    return 0;
}

static const char *severity_name(int rank)
{
    static const char *const names[] = {"info", "warning", "critical"};
    return rank >= 0 && rank < 3 ? names[rank] : "?";
}

static json_t *webhook_json(const db_webhook *w)
{
    char url[1024];
    redact_url(w->url, url, sizeof url);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:i, s:f, s:I, s:I, s:I, s:b,"
                     " s:s, s:b, s:s?, s:s}",
                     "name", w->name, "url", url, "format", w->format, "court", w->court_prefix,
                     "min_severity", severity_name(w->min_severity), "codes", w->codes,
                     "secret_set", *w->secret != 0, "rotating", *w->secret_previous != 0,
                     "max_in_flight", w->max_in_flight, "rate_per_s", w->rate_per_s, "timeout_ms",
                     (json_int_t)w->timeout_ms, "group_window_ms", (json_int_t)w->group_window_ms,
                     "repeat_interval_ms", (json_int_t)w->repeat_interval_ms, "send_resolved",
                     w->send_resolved, "retry_schedule", w->retry_schedule, "enabled", w->enabled,
                     "disabled_reason", *w->disabled_reason ? w->disabled_reason : NULL,
                     "created_at", w->created_at);
}

static int webhook_list(const cli_common *common)
{
    int status;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    db_webhook *ws;
    int n;
    cr_err err;
    cr_status st = db_webhook_list(db, &ws, &n, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    if (common->json) {
        json_t *arr = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(arr, webhook_json(&ws[i]));
        char *text = json_dumps(arr, JSON_INDENT(2));
        puts(text);
        free(text);
        json_decref(arr);
    } else {
        for (int i = 0; i < n; i++) {
            const db_webhook *w = &ws[i];
            char url[1024];
            redact_url(w->url, url, sizeof url);
            printf("%s  %s  %s\n", w->name, w->format, url);
            printf("  court %s, severity >= %s, codes %s, secret %s\n",
                   *w->court_prefix ? w->court_prefix : "(all)", severity_name(w->min_severity),
                   w->codes,
                   *w->secret_previous ? "set (rotating: two valid)"
                   : *w->secret        ? "set"
                                       : "none");
            printf("  in flight <= %d, rate %s, timeout %lldms, group %lldms, repeat %lldms, "
                   "resolved %s, retries %s\n",
                   w->max_in_flight, w->rate_per_s > 0 ? "limited" : "unlimited",
                   (long long)w->timeout_ms, (long long)w->group_window_ms,
                   (long long)w->repeat_interval_ms, w->send_resolved ? "sent" : "not sent",
                   w->retry_schedule);
            if (!w->enabled)
                printf("  DISABLED: %s (`courtrules webhook enable %s`)\n",
                       *w->disabled_reason ? w->disabled_reason : "by hand", w->name);
        }
        printf("%d webhook%s\n", n, n == 1 ? "" : "s");
    }
    free(ws);
    return 0;
}

/* remove, enable, disable, rotate: one endpoint changed, audited. */
static int webhook_change(int argc, char **argv, const cli_common *common)
{
    const char *verb = argv[1];
    if (argc < 3)
        return cli_usage_error("webhook", "%s needs a webhook NAME", verb);
    const char *secret = NULL;
    int finish = 0;
    for (int i = 3; i < argc; i++) {
        const char *v;
        int m;
        if (strcmp(verb, "rotate") == 0 &&
            (m = cli_option_value(argc, argv, &i, "--secret", &v)) != 0) {
            if (m < 0)
                return cli_usage_error("webhook", "--secret needs a value");
            secret = v;
        } else if (strcmp(verb, "rotate") == 0 && strcmp(argv[i], "--finish") == 0) {
            finish = 1;
        } else {
            return cli_usage_error("webhook", "unexpected argument '%s'", argv[i]);
        }
    }
    cr_err err;
    char fresh[WEBHOOK_SECRET_MAX] = "";
    if (strcmp(verb, "rotate") == 0 && !finish) {
        unsigned char key[256];
        size_t key_len;
        if (secret && webhook_secret_key(secret, key, sizeof key, &key_len, &err) != CR_OK)
            return cli_usage_error("webhook", "--secret: %s", err.msg);
        if (secret)
            snprintf(fresh, sizeof fresh, "%s", secret);
        else if (webhook_secret_generate(fresh, &err) != CR_OK)
            return cli_fail(CR_FAIL, &err);
    }
    int status;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    db_webhook w;
    int64_t cancelled = 0;
    char action[32];
    snprintf(action, sizeof action, "webhook.%s", verb);
    cr_status st = db_begin(db, &err);
    if (st == CR_OK)
        st = db_webhook_get(db, argv[2], &w, &err);
    if (st == CR_OK) {
        if (strcmp(verb, "remove") == 0)
            st = db_webhook_remove(db, w.id, &cancelled, &err);
        else if (strcmp(verb, "enable") == 0 || strcmp(verb, "disable") == 0)
            st = db_webhook_set_enabled(db, w.id, verb[0] == 'e', "disabled by hand", &err);
        else if (finish && !*w.secret_previous)
            st = cr_errf(&err, CR_INVALID, "webhook '%s' is not rotating a secret", w.name);
        else
            st = db_webhook_rotate(db, w.id, finish ? NULL : fresh, &err);
    }
    if (st == CR_OK)
        st = audit_webhook(db, action, &w, &err);
    st = db_end(db, st, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    if (strcmp(verb, "remove") == 0)
        printf("webhook %s removed; %lld undelivered message%s cancelled\n", w.name,
               (long long)cancelled, cancelled == 1 ? "" : "s");
    else if (strcmp(verb, "rotate") == 0 && finish)
        printf("webhook %s: rotation finished, only the new secret signs now\n", w.name);
    else if (strcmp(verb, "rotate") == 0)
        printf("webhook %s: both secrets sign until `webhook rotate %s --finish`\n%s%s\n", w.name,
               w.name, secret ? "" : "new secret (shown only now): ", secret ? "" : fresh);
    else
        printf("webhook %s %sd\n", w.name, verb);
    return 0;
}

static int webhook_test(int argc, char **argv, const cli_common *common)
{
    const char *plugins = NULL;
    if (argc < 3)
        return cli_usage_error("webhook", "test needs a webhook NAME");
    for (int i = 3; i < argc; i++) {
        const char *v;
        int m = cli_option_value(argc, argv, &i, "--plugins", &v);
        if (m <= 0)
            return cli_usage_error("webhook", "unexpected argument '%s'", argv[i]);
        plugins = v;
    }
    int status;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    db_webhook w;
    cr_err err;
    cr_status st = db_webhook_get(db, argv[2], &w, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    char buf[4096];
    deliver_result res;
    st = deliver_test(&w, plugins_dir(plugins, common, buf, sizeof buf), &res, &err);
    if (st != CR_OK)
        return cli_fail(st, &err);
    webhook_outcome o = webhook_classify(res.http_status);
    printf("webhook %s: test message %s: ", w.name, res.msg_id);
    if (res.http_status)
        printf("HTTP %ld (%s) in %lld ms\n", res.http_status, webhook_outcome_name(o),
               (long long)res.latency_ms);
    else
        printf("no response after %lld ms: %s\n", (long long)res.latency_ms, res.error);
    if (*res.response) {
        fputs("response: ", stdout);
        cli_print_text(stdout, res.response, NULL);
        putchar('\n');
    }
    return o == WEBHOOK_DELIVERED ? 0 : 1;
}

int cmd_webhook(int argc, char **argv, const cli_common *common)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(WEBHOOK_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "add") == 0)
        return webhook_add(argc, argv, common);
    if (strcmp(verb, "list") == 0)
        return argc == 2 ? webhook_list(common)
                         : cli_usage_error("webhook", "unexpected argument '%s'", argv[2]);
    if (strcmp(verb, "test") == 0)
        return webhook_test(argc, argv, common);
    if (strcmp(verb, "remove") == 0 || strcmp(verb, "enable") == 0 ||
        strcmp(verb, "disable") == 0 || strcmp(verb, "rotate") == 0)
        return webhook_change(argc, argv, common);
    return cli_usage_error("webhook",
                           "unknown subcommand '%s' (add, list, remove, test, rotate, enable, "
                           "disable)",
                           verb);
}
