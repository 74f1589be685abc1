/*
 * cmd_ingest.c -- `courtrules ingest FILE|-`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "ingest.h"

static const char ingest_help[] =
    "usage: courtrules ingest [--skip-invalid [--rejects FILE]] [--no-progress] FILE|-\n"
    "\n"
    "Loads courts, people, cases and case events from JSON Lines (docs/records.md).\n"
    "The whole file lands in one transaction, or nothing does: the first bad line\n"
    "is reported as FILE:LINE: field: reason and the exit status is 2.\n"
    "\n"
    "  --skip-invalid   load the valid records; report each bad line instead\n"
    "  --rejects FILE   with --skip-invalid: write each rejected line and its reason\n"
    "                   to FILE as JSON Lines (default: standard error)\n"
    "  --no-progress    no progress line, even on a terminal\n"
    "  --json           print the summary as JSON\n";

static void print_summary(const char *file, const ingest_summary *sum, int json)
{
    if (json) {
        json_t *j = ingest_summary_json(sum);
        json_object_set_new(j, "source", json_string(file));
        json_object_set_new(j, "audit_seq", json_integer(sum->audit_seq));
        json_object_set_new(j, "seconds", json_real(sum->seconds));
        char *s = json_dumps(j, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
        json_decref(j);
        return;
    }
    printf("ingested %s: %lld records in %.2f s (batch %lld, audit entry %lld)\n", file,
           (long long)sum->records, sum->seconds, (long long)sum->batch_id,
           (long long)sum->audit_seq);
    for (int t = 0; t < REC_TYPE_COUNT; t++) {
        const int64_t *c = sum->counts[t];
        if (c[INGEST_NEW] + c[INGEST_UPDATED] + c[INGEST_UNCHANGED] == 0)
            continue;
        printf("  %-7s %8lld new  %8lld updated  %8lld unchanged\n",
               record_type_name((record_type)t), (long long)c[INGEST_NEW],
               (long long)c[INGEST_UPDATED], (long long)c[INGEST_UNCHANGED]);
    }
    if (sum->rejected)
        printf("  rejected %lld line%s\n", (long long)sum->rejected, sum->rejected == 1 ? "" : "s");
}

int cmd_ingest(int argc, char **argv, const cli_common *common)
{
    ingest_options opt = {0};
    const char *file = NULL, *rejects_path = NULL;
    int progress = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(ingest_help, stdout);
            return 0;
        } else if (strcmp(a, "--skip-invalid") == 0) {
            opt.skip_invalid = 1;
        } else if (strcmp(a, "--rejects") == 0) {
            if (++i == argc)
                return cli_usage_error("ingest", "--rejects needs a file name");
            rejects_path = argv[i];
        } else if (strcmp(a, "--no-progress") == 0) {
            progress = 0;
        } else if (a[0] == '-' && a[1] != 0) {
            return cli_usage_error("ingest", "unknown option '%s'", a);
        } else if (file) {
            return cli_usage_error("ingest", "one input file at a time ('%s' and '%s')", file, a);
        } else {
            file = a;
        }
    }
    if (!file)
        return cli_usage_error("ingest", "name the input file, or - for standard input");
    if (rejects_path && !opt.skip_invalid)
        return cli_usage_error("ingest", "--rejects goes with --skip-invalid");

    FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!in) {
        fprintf(stderr, "courtrules: %s: cannot open: %s\n", file, strerror(errno));
        return 2;
    }
    FILE *rejects = NULL;
    if (opt.skip_invalid) {
        rejects = rejects_path ? fopen(rejects_path, "w") : stderr;
        if (!rejects) {
            fprintf(stderr, "courtrules: %s: cannot write: %s\n", rejects_path, strerror(errno));
            if (in != stdin)
                fclose(in);
            return 2;
        }
    }
    int status = 0;
    cr_db *db = cli_open_db(common, &status);
    if (db) {
        opt.source = file;
        opt.rejects = rejects;
        opt.progress = progress && isatty(STDERR_FILENO);
        opt.actor = audit_cli_actor();
        ingest_summary sum;
        cr_err err;
        cr_status st = ingest_stream(db, in, &opt, &sum, &err);
        if (st == CR_OK) {
            print_summary(file, &sum, common->json);
            if (sum.rejected)
                fprintf(stderr, "courtrules: %s: %lld line%s rejected%s%s\n", file,
                        (long long)sum.rejected, sum.rejected == 1 ? "" : "s",
                        rejects_path ? ", see " : "", rejects_path ? rejects_path : "");
        } else {
            status = cli_fail(st, &err);
        }
        db_close(db);
    }
    if (in != stdin)
        fclose(in);
    if (rejects && rejects != stderr && fclose(rejects) != 0 && status == 0) {
        fprintf(stderr, "courtrules: %s: write failed\n", rejects_path);
        status = 1;
    }
    return status;
}
