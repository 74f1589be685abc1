/*
 * cmd_deliver.c -- `courtrules deliver`, `deliveries` and `redeliver`.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "dates.h"
#include "db_webhook.h"
#include "deliver.h"

static const char DELIVER_USAGE[] =
    "usage: courtrules [--db PATH] [--json] deliver [--follow] [--plugins DIR] [--verbose]\n"
    "                  [--max-connections N]\n"
    "\n"
    "Sends the webhook messages that are due: alerts created, resolved or reopened\n"
    "since the last pass (grouped per endpoint when it has a grouping window) and\n"
    "retries whose time has come. Each attempt is recorded (`courtrules deliveries`).\n"
    "Without --follow it stops when nothing more is due now and prints what is left\n"
    "waiting; with --follow it keeps delivering until SIGTERM or SIGINT, then\n"
    "finishes the requests in flight and exits 0.\n"
    "Exit status: 0, or 1 when a format script failed (its alerts stay queued).\n";

static const char DELIVERIES_USAGE[] =
    "usage: courtrules [--db PATH] [--json] deliveries [--webhook NAME] [--alert ID]\n"
    "                  [--outcome delivered|retry|rejected|gone|dead] [--since TIME]\n"
    "                  [--limit N]\n"
    "\n"
    "Every delivery attempt, newest first: time, endpoint, message id (webhook-id),\n"
    "attempt number, HTTP status, latency, outcome, error and the start of the\n"
    "response; then, per endpoint, its messages by state.\n";

static const char REDELIVER_USAGE[] =
    "usage: courtrules [--db PATH] redeliver --alert ID\n"
    "       courtrules [--db PATH] redeliver --failed-since TIME\n"
    "\n"
    "--alert: every message that carried the alert is sent again with the same\n"
    "webhook-id (an alert never sent is queued for its endpoints).\n"
    "--failed-since: every message rejected or dead-lettered at or after TIME\n"
    "(YYYY-MM-DD[THH:MM[:SS]], Beijing time unless an offset is given) is sent\n"
    "again. Both take effect at the next `courtrules deliver`.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

int cmd_deliver(int argc, char **argv, const cli_common *common)
{
    deliver_options opt = {0};
    const char *plugins = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int m;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(DELIVER_USAGE, stdout);
            return 0;
        } else if (strcmp(argv[i], "--follow") == 0) {
            opt.follow = 1;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            opt.verbose = 1;
        } else if ((m = cli_option_value(argc, argv, &i, "--plugins", &v)) != 0) {
            if (m < 0)
                return cli_usage_error("deliver", "--plugins needs a folder");
            plugins = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--max-connections", &v)) != 0) {
            int64_t n;
            if (m < 0 || cli_parse_int(v, 1, 1024, &n) != 0)
                return cli_usage_error("deliver",
                                       "--max-connections needs a number from 1 to 1024");
            opt.max_connections = (int)n;
        } else {
            return cli_usage_error("deliver", "unexpected argument '%s'", argv[i]);
        }
    }
    char buf[4096];
    opt.plugins_dir =
        cli_find_beside_rules(plugins, common->rules_dir, "plugins", 1, buf, sizeof buf);
    int status;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    if (opt.follow) {
        struct sigaction sa = {0};
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        opt.stop = &stop_flag;
    }
    deliver_summary sum;
    cr_err err;
    cr_status st = deliver_run(db, &opt, &sum, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    if (common->json) {
        json_t *o =
            json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "messages",
                      (json_int_t)sum.messages, "repeats", (json_int_t)sum.repeats, "attempts",
                      (json_int_t)sum.attempts, "delivered", (json_int_t)sum.delivered, "retried",
                      (json_int_t)sum.retried, "rejected", (json_int_t)sum.rejected, "dead",
                      (json_int_t)sum.dead, "disabled", (json_int_t)sum.disabled, "format_failures",
                      (json_int_t)sum.format_failures, "pending", (json_int_t)sum.pending);
        if (sum.next_due_ms != INT64_MAX)
            json_object_set_new(o, "next_due_ms", json_integer(sum.next_due_ms));
        char *text = json_dumps(o, JSON_INDENT(2));
        puts(text);
        free(text);
        json_decref(o);
    } else {
        printf("%lld message%s made, %lld attempt%s: %lld delivered, %lld to retry, "
               "%lld rejected, %lld dead-lettered; %lld endpoint%s disabled (410)\n",
               (long long)sum.messages, sum.messages == 1 ? "" : "s", (long long)sum.attempts,
               sum.attempts == 1 ? "" : "s", (long long)sum.delivered, (long long)sum.retried,
               (long long)sum.rejected, (long long)sum.dead, (long long)sum.disabled,
               sum.disabled == 1 ? "" : "s");
        if (sum.pending > 0) {
            printf("%lld message%s waiting", (long long)sum.pending, sum.pending == 1 ? "" : "s");
            if (sum.next_due_ms != INT64_MAX) {
                char when[26];
                db_format_ms(sum.next_due_ms, when);
                printf(", next attempt at %s", when);
            }
            putchar('\n');
        }
        if (sum.format_failures)
            printf("%lld format failure%s: those alerts stay queued (see the errors above)\n",
                   (long long)sum.format_failures, sum.format_failures == 1 ? "" : "s");
    }
    return sum.format_failures ? 1 : 0;
}

static const char *text_of(json_t *o, const char *key, const char *none)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : none;
}

static void print_attempts(json_t *rows, json_t *summary)
{
    size_t i;
    json_t *r;
    if (json_array_size(rows))
        puts("AT                         WEBHOOK       MESSAGE                         #  STATUS "
             "MS     OUTCOME    ERROR / RESPONSE");
    json_array_foreach(rows, i, r)
    {
        json_int_t status = json_integer_value(json_object_get(r, "http_status"));
        char status_text[8] = "-";
        if (status)
            snprintf(status_text, sizeof status_text, "%lld", (long long)status);
        printf("%-26s ", text_of(r, "at", ""));
        cli_print_padded(stdout, text_of(r, "webhook", ""), 13);
        printf(" %-31s %-2lld %-6s %-6lld %-10s ", text_of(r, "message_id", ""),
               (long long)json_integer_value(json_object_get(r, "attempt")), status_text,
               (long long)json_integer_value(json_object_get(r, "latency_ms")),
               text_of(r, "outcome", ""));
        const char *detail = text_of(r, "error", NULL);
        if (!detail)
            detail = text_of(r, "response", "");
        char excerpt[121];
        snprintf(excerpt, sizeof excerpt, "%s", detail);
        cli_print_text(stdout, excerpt, NULL);
        putchar('\n');
    }
    printf("%zu attempt%s\n", json_array_size(rows), json_array_size(rows) == 1 ? "" : "s");
    json_array_foreach(summary, i, r)
    {
        printf("%s: %lld delivered, %lld pending, %lld rejected, %lld dead, %lld alert%s "
               "waiting to be sent",
               text_of(r, "webhook", ""),
               (long long)json_integer_value(json_object_get(r, "delivered")),
               (long long)json_integer_value(json_object_get(r, "pending")),
               (long long)json_integer_value(json_object_get(r, "rejected")),
               (long long)json_integer_value(json_object_get(r, "dead")),
               (long long)json_integer_value(json_object_get(r, "waiting")),
               json_integer_value(json_object_get(r, "waiting")) == 1 ? "" : "s");
        if (!json_is_true(json_object_get(r, "enabled")))
            printf("; DISABLED: %s", text_of(r, "disabled_reason", "by hand"));
        putchar('\n');
    }
}

int cmd_deliveries(int argc, char **argv, const cli_common *common)
{
    db_delivery_filter f = {0};
    char since[26], why[256];
    for (int i = 1; i < argc; i++) {
        const char *v;
        int m;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(DELIVERIES_USAGE, stdout);
            return 0;
        } else if ((m = cli_option_value(argc, argv, &i, "--webhook", &v)) != 0) {
            if (m < 0)
                return cli_usage_error("deliveries", "--webhook needs a name");
            f.webhook = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--alert", &v)) != 0) {
            if (m < 0 || cli_parse_int(v, 1, INT64_MAX, &f.alert_id) != 0)
                return cli_usage_error("deliveries", "--alert needs an alert id");
        } else if ((m = cli_option_value(argc, argv, &i, "--outcome", &v)) != 0) {
            static const char *const ok[] = {"delivered", "retry", "rejected", "gone", "dead"};
            int found = 0;
            for (int k = 0; k < 5 && m > 0; k++)
                found |= strcmp(v, ok[k]) == 0;
            if (!found)
                return cli_usage_error(
                    "deliveries", "--outcome must be delivered, retry, rejected, gone or dead");
            f.outcome = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--since", &v)) != 0) {
            cr_date day;
            if (m < 0 || datetime_parse(v, since, &day, why, sizeof why) != 0)
                return cli_usage_error("deliveries", "--since '%s': %s", m < 0 ? "" : v,
                                       m < 0 ? "needs a time" : why);
            f.since = since;
        } else if ((m = cli_option_value(argc, argv, &i, "--limit", &v)) != 0) {
            if (m < 0 || cli_parse_int(v, 1, INT64_MAX, &f.limit) != 0)
                return cli_usage_error("deliveries", "--limit needs a number >= 1");
        } else {
            return cli_usage_error("deliveries", "unexpected argument '%s'", argv[i]);
        }
    }
    int status;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    json_t *rows = NULL, *summary = NULL;
    cr_err err;
    cr_status st = db_webhook_attempts(db, &f, &rows, &err);
    if (st == CR_OK)
        st = db_webhook_summary(db, &summary, &err);
    db_close(db);
    if (st != CR_OK) {
        json_decref(rows);
        return cli_fail(st, &err);
    }
    if (common->json) {
        json_t *o = json_pack("{s:o, s:o}", "attempts", rows, "webhooks", summary);
        char *text = json_dumps(o, JSON_INDENT(2));
        puts(text);
        free(text);
        json_decref(o);
    } else {
        print_attempts(rows, summary);
        json_decref(rows);
        json_decref(summary);
    }
    return 0;
}

/* "YYYY-MM-DDTHH:MM:SS+08:00" (datetime_parse's form) to Unix ms. */
static int64_t norm_to_ms(const char norm[26], cr_date day)
{
    int hh = (norm[11] - '0') * 10 + (norm[12] - '0');
    int mi = (norm[14] - '0') * 10 + (norm[15] - '0');
    int ss = (norm[17] - '0') * 10 + (norm[18] - '0');
    int64_t secs = (int64_t)date_to_days(day) * 86400 + hh * 3600 + mi * 60 + ss - 8 * 3600;
    return secs * 1000;
}

int cmd_redeliver(int argc, char **argv, const cli_common *common)
{
    int64_t alert_id = 0, since_ms = -1;
    char since[26], why[256];
    for (int i = 1; i < argc; i++) {
        const char *v;
        int m;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(REDELIVER_USAGE, stdout);
            return 0;
        } else if ((m = cli_option_value(argc, argv, &i, "--alert", &v)) != 0) {
            if (m < 0 || cli_parse_int(v, 1, INT64_MAX, &alert_id) != 0)
                return cli_usage_error("redeliver", "--alert needs an alert id");
        } else if ((m = cli_option_value(argc, argv, &i, "--failed-since", &v)) != 0) {
            cr_date day;
            if (m < 0 || datetime_parse(v, since, &day, why, sizeof why) != 0)
                return cli_usage_error("redeliver", "--failed-since '%s': %s", m < 0 ? "" : v,
                                       m < 0 ? "needs a time" : why);
            since_ms = norm_to_ms(since, day);
        } else {
            return cli_usage_error("redeliver", "unexpected argument '%s'", argv[i]);
        }
    }
    if ((alert_id > 0) == (since_ms >= 0))
        return cli_usage_error("redeliver", "give either --alert ID or --failed-since TIME");
    int status;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    cr_err err;
    int64_t n = 0;
    char subject[64];
    cr_status st = db_begin(db, &err);
    if (st == CR_OK && alert_id > 0) {
        st = db_webhook_redeliver_alert(db, alert_id, db_now_ms(), &n, &err);
        snprintf(subject, sizeof subject, "alert %lld", (long long)alert_id);
    } else if (st == CR_OK) {
        st = db_webhook_redeliver_failed(db, since_ms, db_now_ms(), &n, &err);
        snprintf(subject, sizeof subject, "failed since %s", since);
    }
    if (st == CR_OK) {
        char detail[64];
        snprintf(detail, sizeof detail, "{\"requeued\":%lld}", (long long)n);
        st = audit_append(db, audit_cli_actor(), "webhook.redeliver", subject, detail, NULL, &err);
    }
    st = db_end(db, st, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    printf("%s: %lld message%s queued again; `courtrules deliver` sends them\n", subject,
           (long long)n, n == 1 ? "" : "s");
    return 0;
}
