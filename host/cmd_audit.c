/*
 * cmd_audit.c -- `courtrules audit verify|log|head`.
 *
 * verify walks the whole chain (audit_verify); head prints the verified head
 * for anchoring outside the database, and `verify --anchor` checks a
 * previously anchored head still belongs to the chain (which catches a chain
 * rewritten from that point on, hashes and all). log lists entries.
 */
#include "audit.h"
#include "cli.h"
#include "db_audit.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char AUDIT_USAGE[] =
    "usage: courtrules audit verify [--anchor SEQ:HASH]\n"
    "       courtrules audit log [--since SEQ] [--action PREFIX] [--limit N]\n"
    "       courtrules audit head\n"
    "\n"
    "The audit trail records every change courtrules makes, each entry chained\n"
    "to the previous one by SHA-256. `courtrules audit SUBCOMMAND --help` says more.\n";

static const char VERIFY_USAGE[] =
    "usage: courtrules [--db PATH] [--json] audit verify [--anchor SEQ:HASH]\n"
    "\n"
    "Walks the whole audit trail and checks every entry's hash, its link to the\n"
    "entry before it, the sequence, and the head recorded in the database.\n"
    "Prints \"audit: N entries, chain intact, head SEQ HASH\" and exits 0, or names\n"
    "the first bad entry and exits 1.\n"
    "\n"
    "  --anchor SEQ:HASH  also check that entry SEQ still has HASH, as printed\n"
    "                     earlier by `courtrules audit head` and kept outside the\n"
    "                     database (\"SEQ HASH\" with a space works too)\n"
    "  --json             print {\"intact\", \"entries\", \"head_seq\", \"head_hash\"}\n";

static const char LOG_USAGE[] =
    "usage: courtrules [--db PATH] [--json] audit log [--since SEQ] [--action PREFIX] [--limit N]\n"
    "\n"
    "Lists audit entries in sequence order: seq, at, actor, action, subject, detail.\n"
    "\n"
    "  --since SEQ        only entries after SEQ (seq > SEQ)\n"
    "  --action PREFIX    only actions starting with PREFIX (e.g. \"ingest.\")\n"
    "  --limit N          at most N entries\n"
    "  --json             a JSON array of {seq, at, actor, action, subject, detail,\n"
    "                     prev_hash, hash}\n"
    "\n"
    "log does not verify the chain; run `courtrules audit verify` for that.\n";

static const char HEAD_USAGE[] =
    "usage: courtrules [--db PATH] [--json] audit head\n"
    "\n"
    "Verifies the chain, then prints its head as \"SEQ HASH\" (0 and 64 zeros for an\n"
    "empty trail). Keep it outside the database (a ticket, a signed mail, a\n"
    "notary) and check it later with `courtrules audit verify --anchor SEQ:HASH`.\n"
    "  --json             print {\"seq\", \"hash\"}\n";

static int is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* Parses a decimal integer >= min; 0 on success. */
static int parse_int64(const char *s, int64_t min, int64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min)
        return -1;
    *out = v;
    return 0;
}

/* A JSON string for bytes that may not be valid UTF-8 (a file name, a
 * tampered row): invalid sequences become U+FFFD instead of failing. */
static json_t *json_text(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    if (j)
        return j;
    char *buf = malloc(len * 3 + 1);
    if (!buf)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80                ? 1
                   : c >= 0xc2 && c < 0xe0 ? 2
                   : c >= 0xe0 && c < 0xf0 ? 3
                   : c >= 0xf0 && c < 0xf5 ? 4
                                           : 0;
        int ok = n > 0 && c != 0 && i + n <= len;
        for (size_t k = 1; ok && k < n; k++)
            ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
        if (ok && n > 1) { /* json_stringn is the judge of overlongs and surrogates */
            json_t *probe = json_stringn(s + i, n);
            ok = probe != NULL;
            json_decref(probe);
        }
        if (ok) {
            memcpy(buf + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(buf + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    j = json_stringn(buf, o);
    free(buf);
    return j;
}

/* Prints s padded to width columns and two spaces, or ending the line when
 * it is the last cell; control characters (a newline in a subject) print as
 * spaces so one entry stays one line. */
static void print_cell(const char *s, int width, int last)
{
    if (last) {
        cli_print_text(stdout, s, NULL);
        putchar('\n');
        return;
    }
    cli_print_padded(stdout, s, width);
    fputs("  ", stdout);
}

static int run_log(cr_db *db, const db_audit_filter *filter, int json)
{
    db_audit_iter *it = NULL;
    cr_err err;
    cr_status st = db_audit_iter_open(db, filter, &it, &err);
    if (st != CR_OK)
        return cli_fail(st, &err);
    static const int widths[] = {6, 25, 16, 20, 28, 0};
    if (json)
        fputs("[", stdout);
    else
        printf("%6s  %-25s  %-16s  %-20s  %-28s  %s\n", "SEQ", "AT", "ACTOR", "ACTION", "SUBJECT",
               "DETAIL");
    int64_t rows = 0;
    for (;;) {
        db_audit_entry e;
        int has_row;
        if ((st = db_audit_iter_next(it, &e, &has_row, &err)) != CR_OK || !has_row)
            break;
        if (!json) {
            printf("%6" PRId64 "  ", e.seq);
            const char *cells[] = {e.at.s, e.actor.s, e.action.s, e.subject.s, e.detail.s};
            for (int i = 0; i < 5; i++)
                print_cell(cells[i], widths[i + 1], i == 4);
            rows++;
            continue;
        }
        json_t *detail = json_loadb(e.detail.s, e.detail.len, JSON_DECODE_ANY, NULL);
        if (!detail)
            detail = json_text(e.detail.s, e.detail.len); /* tampered: show it as text */
        json_t *obj = json_object();
        json_object_set_new(obj, "seq", json_integer(e.seq));
        json_object_set_new(obj, "at", json_text(e.at.s, e.at.len));
        json_object_set_new(obj, "actor", json_text(e.actor.s, e.actor.len));
        json_object_set_new(obj, "action", json_text(e.action.s, e.action.len));
        json_object_set_new(obj, "subject", json_text(e.subject.s, e.subject.len));
        json_object_set_new(obj, "detail", detail);
        json_object_set_new(obj, "prev_hash", json_text(e.prev_hash.s, e.prev_hash.len));
        json_object_set_new(obj, "hash", json_text(e.hash.s, e.hash.len));
        char *text = json_dumps(obj, JSON_COMPACT);
        json_decref(obj);
        if (!text) {
            st = cr_errf(&err, CR_FAIL, "out of memory");
            break;
        }
        printf("%s\n%s", rows ? "," : "", text);
        free(text);
        rows++;
    }
    db_audit_iter_close(it);
    if (json)
        puts(rows ? "\n]" : "]");
    if (st != CR_OK)
        return cli_fail(st, &err);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_log(int argc, char **argv, const cli_common *common)
{
    db_audit_filter filter = {0, NULL, 0};
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        int m;
        if (is_help(argv[i])) {
            fputs(LOG_USAGE, stdout);
            return 0;
        } else if ((m = cli_option_value(argc, argv, &i, "--since", &v)) != 0) {
            if (m < 0 || parse_int64(v, 0, &filter.after_seq) != 0)
                return cli_usage_error("audit log", "--since needs a sequence number >= 0");
        } else if ((m = cli_option_value(argc, argv, &i, "--limit", &v)) != 0) {
            if (m < 0 || parse_int64(v, 1, &filter.limit) != 0)
                return cli_usage_error("audit log", "--limit needs a number >= 1");
        } else if ((m = cli_option_value(argc, argv, &i, "--action", &v)) != 0) {
            if (m < 0 || !*v)
                return cli_usage_error("audit log", "--action needs a prefix");
            filter.action_prefix = v;
        } else {
            return cli_usage_error("audit log", "unexpected argument '%s'", argv[i]);
        }
    }
    int status;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    status = run_log(db, &filter, common->json);
    db_close(db);
    return status;
}

/* Parses "SEQ:HASH" or "SEQ HASH"; 0 on success. */
static int parse_anchor(const char *s, int64_t *seq, char hash[DB_AUDIT_HASH_LEN + 1])
{
    const char *sep = strpbrk(s, ": ");
    if (!sep || sep == s || (size_t)(sep - s) >= 24)
        return -1;
    char seq_text[24];
    memcpy(seq_text, s, (size_t)(sep - s));
    seq_text[sep - s] = '\0';
    if (parse_int64(seq_text, 1, seq) != 0 || strlen(sep + 1) != DB_AUDIT_HASH_LEN)
        return -1;
    for (int i = 0; i < DB_AUDIT_HASH_LEN; i++) {
        char c = sep[1 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return -1;
        hash[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    hash[DB_AUDIT_HASH_LEN] = '\0';
    return 0;
}

/* Checks that entry seq exists with the anchored hash. */
static cr_status check_anchor(cr_db *db, int64_t seq, const char *hash, cr_err *err)
{
    db_audit_filter one = {seq - 1, NULL, 1};
    db_audit_iter *it;
    cr_status st = db_audit_iter_open(db, &one, &it, err);
    if (st != CR_OK)
        return st;
    db_audit_entry e;
    int has_row;
    st = db_audit_iter_next(it, &e, &has_row, err);
    if (st == CR_OK && (!has_row || e.seq != seq))
        st = cr_errf(err, CR_FAIL,
                     "anchored entry %" PRId64 " is not in the chain (entries deleted and the "
                     "head rewritten?)",
                     seq);
    else if (st == CR_OK && strcmp(e.hash.s, hash) != 0)
        st = cr_errf(err, CR_FAIL,
                     "entry %" PRId64 " no longer has the anchored hash (chain rewritten?)", seq);
    db_audit_iter_close(it);
    return st;
}

static int cmd_verify_or_head(int argc, char **argv, const cli_common *common, int head)
{
    const char *name = head ? "audit head" : "audit verify";
    int64_t anchor_seq = 0;
    char anchor_hash[DB_AUDIT_HASH_LEN + 1];
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        int m;
        if (is_help(argv[i])) {
            fputs(head ? HEAD_USAGE : VERIFY_USAGE, stdout);
            return 0;
        } else if (!head && (m = cli_option_value(argc, argv, &i, "--anchor", &v)) != 0) {
            if (m < 0 || parse_anchor(v, &anchor_seq, anchor_hash) != 0)
                return cli_usage_error(name, "--anchor needs SEQ:HASH (as `audit head` prints)");
        } else {
            return cli_usage_error(name, "unexpected argument '%s'", argv[i]);
        }
    }
    int status;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    audit_verify_result res;
    cr_err err;
    cr_status st = audit_verify(db, &res, &err);
    if (st == CR_OK && anchor_seq > 0 &&
        (st = check_anchor(db, anchor_seq, anchor_hash, &err)) != CR_OK)
        res.first_bad_seq = anchor_seq;
    db_close(db);
    /* An intact chain is numbered 1..entries, so its head seq is entries. */
    json_t *out = NULL;
    if (st != CR_OK) {
        cr_err_prefix(&err, "%s", name);
        if (common->json && !head)
            out = json_pack("{s:b, s:I, s:I, s:s}", "intact", 0, "entries", (json_int_t)res.entries,
                            "first_bad_seq", (json_int_t)res.first_bad_seq, "error", err.msg);
    } else if (common->json && head) {
        out = json_pack("{s:I, s:s}", "seq", (json_int_t)res.entries, "hash", res.head_hash);
    } else if (common->json) {
        out = json_pack("{s:b, s:I, s:I, s:s}", "intact", 1, "entries", (json_int_t)res.entries,
                        "head_seq", (json_int_t)res.entries, "head_hash", res.head_hash);
    } else if (head) {
        printf("%" PRId64 " %s\n", res.entries, res.head_hash);
    } else {
        printf("audit: %" PRId64 " entries, chain intact, head %" PRId64 " %s\n", res.entries,
               res.entries, res.head_hash);
    }
    if (out) {
        json_dumpf(out, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(out);
    }
    if (st != CR_OK)
        return cli_fail(st, &err);
    return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_audit(int argc, char **argv, const cli_common *common)
{
    if (argc < 2)
        return cli_usage_error("audit", "missing subcommand: verify, log or head");
    const char *sub = argv[1];
    if (is_help(sub) || strcmp(sub, "help") == 0) {
        fputs(AUDIT_USAGE, stdout);
        return 0;
    }
    if (strcmp(sub, "verify") == 0)
        return cmd_verify_or_head(argc, argv, common, 0);
    if (strcmp(sub, "head") == 0)
        return cmd_verify_or_head(argc, argv, common, 1);
    if (strcmp(sub, "log") == 0)
        return cmd_log(argc, argv, common);
    return cli_usage_error("audit", "unknown subcommand '%s' (verify, log or head)", sub);
}
