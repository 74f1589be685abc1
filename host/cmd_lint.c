/*
 * cmd_lint.c -- `courtrules lint [PATH...]`: luacheck over rule scripts, with
 * the globals the sandbox really gives a script.
 *
 * luacheck's own standard for Lua 5.4 knows io, os, debug, load, print, ...
 * which a rule will never find (docs/sandbox.md). The config below names the
 * allow-list instead, all read-only, so `os.time()` or a stray global is a
 * lint warning rather than a runtime error in production. The repository's
 * .luacheckrc starts with the same text (tests/e2e/test_ruletest.sh checks
 * it) and adds which files `luacheck .` looks at.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

/* Keep in step with the allow-lists in host/sandbox_env.c. */
static const char lint_config[] =
    "-- luacheck config for courtrules rule scripts, plugins and rule tests.\n"
    "-- The globals are exactly what the sandbox gives a script (docs/sandbox.md),\n"
    "-- all read-only; `courtrules lint --print-config` prints this part.\n"
    "stds.courtrules = {\n"
    "  read_globals = {\n"
    "    \"assert\", \"error\", \"getmetatable\", \"ipairs\", \"next\", \"pairs\", \"pcall\",\n"
    "    \"rawequal\", \"rawget\", \"rawlen\", \"require\", \"select\", \"setmetatable\",\n"
    "    \"tonumber\", \"tostring\", \"type\", \"xpcall\",\n"
    "    string = { fields = { \"byte\", \"char\", \"find\", \"format\", \"gmatch\", \"gsub\",\n"
    "      \"len\", \"lower\", \"match\", \"pack\", \"packsize\", \"rep\", \"reverse\", \"sub\",\n"
    "      \"unpack\", \"upper\" } },\n"
    "    table = { fields = { \"concat\", \"insert\", \"move\", \"pack\", \"remove\", \"sort\",\n"
    "      \"unpack\" } },\n"
    "    math = { fields = { \"abs\", \"acos\", \"asin\", \"atan\", \"ceil\", \"cos\", \"deg\",\n"
    "      \"exp\", \"floor\", \"fmod\", \"huge\", \"log\", \"max\", \"maxinteger\", \"min\",\n"
    "      \"mininteger\", \"modf\", \"pi\", \"rad\", \"sin\", \"sqrt\", \"tan\", \"tointeger\",\n"
    "      \"type\", \"ult\" } },\n"
    "    utf8 = { fields = { \"char\", \"charpattern\", \"codepoint\", \"codes\", \"len\",\n"
    "      \"offset\" } },\n"
    "    coroutine = { fields = { \"close\", \"create\", \"isyieldable\", \"resume\", "
    "\"running\",\n"
    "      \"status\", \"wrap\", \"yield\" } },\n"
    "  },\n"
    "}\n"
    "std = \"courtrules\"\n"
    "max_line_length = 120\n";

static const char lint_help[] =
    "usage: courtrules [--rules DIR] lint [PATH...] [--config FILE] [--print-config]\n"
    "                  [-- LUACHECK-OPTIONS]\n"
    "\n"
    "Runs luacheck (Debian package lua-check) over rule scripts, their tests and\n"
    "plugins (default PATH: --rules, else ./rules). Globals are what the sandbox\n"
    "gives a script -- no io, os, debug, load, print, math.random, string.dump --\n"
    "and all of them are read-only.\n"
    "\n"
    "The config is --config FILE, else the first .luacheckrc in PATH's folder or\n"
    "above it (luacheck then runs in that folder, so the config's file patterns\n"
    "apply), else the built-in one.\n"
    "\n"
    "  --config FILE    use this luacheck config\n"
    "  --print-config   print the built-in config and exit\n"
    "  -- OPTIONS       passed on to luacheck (e.g. -- --formatter=plain)\n"
    "\n"
    "Exits with luacheck's status: 0 clean, 1 warnings, 2 errors (syntax), 3 or 4\n"
    "when luacheck could not check; 2 if luacheck is not installed.\n";

/* The absolute path of `luacheck` in $PATH, or 0. */
static int find_program(const char *name, char *out, size_t cap)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(out, cap, "%.*s/%s", (int)(n ? n : 1), n ? path : ".", name);
        if (access(out, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}

/* The folder of the first .luacheckrc in path's folder or above, or 0. */
static int find_config_dir(const char *path, char *dir, size_t cap)
{
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(path, real))
        return 0;
    if (stat(real, &st) == 0 && !S_ISDIR(st.st_mode))
        *strrchr(real, '/') = '\0';
    for (;;) {
        char rc[PATH_MAX + 16];
        snprintf(rc, sizeof rc, "%s/.luacheckrc", *real ? real : "");
        if (stat(rc, &st) == 0 && S_ISREG(st.st_mode)) {
            snprintf(dir, cap, "%s", *real ? real : "/");
            return 1;
        }
        char *slash = strrchr(real, '/');
        if (!slash || !*real)
            return 0;
        *slash = '\0';
    }
}

/* path made relative to dir when it lies inside it (for luacheck's output
 * and the config's patterns), else absolute. */
static void relative_to(const char *path, const char *dir, char *out, size_t cap)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        snprintf(out, cap, "%s", path);
        return;
    }
    size_t n = strlen(dir);
    if (strcmp(dir, "/") != 0 && strncmp(real, dir, n) == 0 && real[n] == '/')
        snprintf(out, cap, "%s", real + n + 1);
    else if (strcmp(real, dir) == 0)
        snprintf(out, cap, ".");
    else
        snprintf(out, cap, "%s", real);
}

/* Writes the built-in config to a temporary file; returns its fd or -1. */
static int write_builtin_config(char *path, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, cap, "%s/courtrules-luacheckrc.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    size_t len = sizeof lint_config - 1, off = 0;
    while (off < len) {
        ssize_t w = write(fd, lint_config + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(path);
            return -1;
        }
        off += (size_t)w;
    }
    return fd;
}

int cmd_lint(int argc, char **argv, const cli_common *common)
{
    const char *config = NULL;
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    const char **extra = calloc((size_t)argc + 1, sizeof *extra);
    size_t n_paths = 0, n_extra = 0;
    int status = 2;
    if (!paths || !extra) {
        fprintf(stderr, "courtrules lint: out of memory\n");
        goto done;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r;
        if (strcmp(a, "--") == 0) {
            while (++i < argc)
                extra[n_extra++] = argv[i];
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(lint_help, stdout);
            status = 0;
            goto done;
        } else if (strcmp(a, "--print-config") == 0) {
            fputs(lint_config, stdout);
            status = 0;
            goto done;
        } else if ((r = cli_option_value(argc, argv, &i, "--config", &v)) != 0) {
            if (r < 0) {
                status = cli_usage_error("lint", "--config needs a value");
                goto done;
            }
            config = v;
        } else if (a[0] == '-' && a[1]) {
            status = cli_usage_error("lint",
                                     "unknown option '%s' (luacheck's own options go "
                                     "after --)",
                                     a);
            goto done;
        } else {
            paths[n_paths++] = a;
        }
    }
    if (n_paths == 0)
        paths[n_paths++] = common->rules_dir;
    for (size_t i = 0; i < n_paths; i++) {
        if (access(paths[i], R_OK) != 0) {
            fprintf(stderr, "courtrules lint: %s: %s\n", paths[i], strerror(errno));
            goto done;
        }
    }
    char luacheck[PATH_MAX];
    if (!find_program("luacheck", luacheck, sizeof luacheck)) {
        fprintf(stderr, "courtrules lint: luacheck is not installed (Debian: apt install "
                        "lua-check; or luarocks install luacheck)\n");
        goto done;
    }

    /* Where luacheck runs, and with which config. */
    char run_dir[PATH_MAX] = "", tmp_config[PATH_MAX] = "";
    char(*rel)[PATH_MAX] = calloc(n_paths, sizeof *rel);
    const char **args = calloc(n_paths + n_extra + 8, sizeof *args);
    size_t n_args = 0;
    if (!rel || !args) {
        fprintf(stderr, "courtrules lint: out of memory\n");
        free(rel);
        free(args);
        goto done;
    }
    args[n_args++] = "luacheck";
    if (config) {
        args[n_args++] = "--config";
        args[n_args++] = config;
    } else if (find_config_dir(paths[0], run_dir, sizeof run_dir)) {
        for (size_t i = 0; i < n_paths; i++)
            relative_to(paths[i], run_dir, rel[i], sizeof rel[i]);
    } else {
        int fd = write_builtin_config(tmp_config, sizeof tmp_config);
        if (fd < 0) {
            fprintf(stderr, "courtrules lint: cannot write a temporary config: %s\n",
                    strerror(errno));
            free(rel);
            free(args);
            goto done;
        }
        close(fd);
        args[n_args++] = "--config";
        args[n_args++] = tmp_config;
    }
    if (!isatty(STDOUT_FILENO))
        args[n_args++] = "--no-color"; /* luacheck colours pipes and files too */
    for (size_t i = 0; i < n_extra; i++)
        args[n_args++] = extra[i];
    for (size_t i = 0; i < n_paths; i++)
        args[n_args++] = run_dir[0] ? rel[i] : paths[i];
    args[n_args] = NULL;

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (run_dir[0] && chdir(run_dir) != 0) {
            fprintf(stderr, "courtrules lint: %s: %s\n", run_dir, strerror(errno));
            _exit(2);
        }
        execv(luacheck, (char *const *)args);
        fprintf(stderr, "courtrules lint: cannot run %s: %s\n", luacheck, strerror(errno));
        _exit(2);
    }
    int wstatus = 0;
    if (pid < 0) {
        fprintf(stderr, "courtrules lint: cannot start luacheck: %s\n", strerror(errno));
    } else {
        while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
            ;
        if (WIFEXITED(wstatus))
            status = WEXITSTATUS(wstatus);
        else
            fprintf(stderr, "courtrules lint: luacheck was killed by signal %d\n",
                    WTERMSIG(wstatus));
    }
    if (tmp_config[0])
        unlink(tmp_config);
    free(rel);
    free(args);
done:
    free(paths);
    free(extra);
    return status;
}
