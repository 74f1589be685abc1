/*
 * cli.h -- the command-line layer: one cmd_<name>() per subcommand, in
 * host/cmd_<name>.c. main.c only dispatches. Each command parses its own
 * options (with the helpers here), calls the modules, prints, and returns the
 * exit status: 0 success, 1 the work failed, 2 bad usage or bad input.
 */
#ifndef COURTRULES_CLI_H
#define COURTRULES_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "db.h"
#include "err.h"

/* Options common to every command. Filled by cli_parse_common(). */
typedef struct cli_common {
    const char *db_path;   /* --db, else $COURTRULES_DB, else ./courtrules.db */
    const char *rules_dir; /* --rules, else ./rules */
    int json;              /* --json */
} cli_common;

typedef int (*cli_command_fn)(int argc, char **argv, const cli_common *common);

typedef struct cli_command {
    const char *name;
    cli_command_fn run;
    const char *summary;
} cli_command;

/* Removes --db/--rules/--json (anywhere before a bare "--") from argv, filling
 * common. Returns the new argc, or -1 with a message on stderr. */
int cli_parse_common(int argc, char **argv, cli_common *common);

/* Opens the database for a command; on failure prints "courtrules: <msg>" and
 * returns NULL with *status set to the exit code to use. */
cr_db *cli_open_db(const cli_common *common, int *status);

/* Prints "courtrules: <msg>" to stderr and returns the exit code for st. */
int cli_fail(cr_status st, const cr_err *err);

/* Prints a usage error ("courtrules CMD: msg; see --help") and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Matches "--name VALUE" or "--name=VALUE" at argv[*i]. Returns 1 and sets
 * *value (advancing *i past a separate value), 0 if argv[*i] is another
 * argument (including "--namefoo"), or -1 if the value is missing. */
int cli_option_value(int argc, char **argv, int *i, const char *name, const char **value);

/* Parses text as a decimal whole number from lo to hi (digits only: no
 * sign, spaces or suffix). 0, or -1 when it is not one; *out is set only
 * on success. */
int cli_parse_int(const char *text, int64_t lo, int64_t hi, int64_t *out);

/* Terminal columns a UTF-8 string takes: 2 for each East Asian Wide or
 * Fullwidth code point (CJK ideographs and punctuation, kana, Hangul,
 * full-width forms such as （ ）, wide emoji), 1 for any other code point,
 * and 1 for each byte that is not part of a well-formed UTF-8 sequence (a
 * terminal shows it as one replacement character). NULL counts 0. Never
 * reads past the terminating NUL. */
int cli_display_width(const char *utf8);

/* Writes utf8 to f with control characters (C0 and DEL) as spaces, so one
 * record stays on one line. With indent non-NULL, a newline that is not the
 * last character instead starts a new line beginning with indent (a Lua
 * traceback in `explain`). NULL writes nothing. */
void cli_print_text(FILE *f, const char *utf8, const char *indent);

/* cli_print_text(f, utf8, NULL), then spaces up to `columns` display columns
 * (none if the text is already as wide or wider): a table cell that lines up
 * with CJK text, where printf's "%-24s" counts bytes. */
void cli_print_padded(FILE *f, const char *utf8, int columns);

/* Where the rule folders' companions are, when not given: ./NAME, else NAME
 * beside the rules folder (so commands work from any directory). Returns
 * given if not NULL, else the first existing candidate (composed in buf), or
 * NULL. kind_dir: 1 for a directory (plugins), 0 for a file (calendar). */
const char *cli_find_beside_rules(const char *given, const char *rules_dir, const char *name,
                                  int kind_dir, char *buf, size_t len);

int cmd_init(int argc, char **argv, const cli_common *common);
int cmd_ingest(int argc, char **argv, const cli_common *common);
int cmd_audit(int argc, char **argv, const cli_common *common);
int cmd_stats(int argc, char **argv, const cli_common *common);
int cmd_eval(int argc, char **argv, const cli_common *common);
int cmd_rules(int argc, char **argv, const cli_common *common);
int cmd_alerts(int argc, char **argv, const cli_common *common);
int cmd_explain(int argc, char **argv, const cli_common *common);
int cmd_test(int argc, char **argv, const cli_common *common);
int cmd_lint(int argc, char **argv, const cli_common *common);
int cmd_webhook(int argc, char **argv, const cli_common *common);
int cmd_deliver(int argc, char **argv, const cli_common *common);
int cmd_deliveries(int argc, char **argv, const cli_common *common);
int cmd_redeliver(int argc, char **argv, const cli_common *common);
int cmd_schedule(int argc, char **argv, const cli_common *common);
int cmd_token(int argc, char **argv, const cli_common *common);
int cmd_serve(int argc, char **argv, const cli_common *common);

#endif
