/*
 * ruletest_cov.c -- line coverage of the rule scripts under test: the lines
 * that hold code (read from each compiled chunk), the lines the sandbox's
 * line hook saw run, and the per-script report.
 */
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "ruletest_internal.h"

typedef struct ruletest_cov_file {
    const char *file;    /* rule->file: "<set folder>/<script>.lua", the chunk name */
    int report;          /* in a set under test */
    unsigned char *code; /* code[line]: 1 has code, 2 also runs at load (main chunk) */
    unsigned char *hit;
    int n_lines;
} cov_file;

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

void ruletest_cov_free(ruletest_cov *cov)
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
    ruletest_cov *cov = ud;
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

cr_status ruletest_cov_init(ruletest_cov *cov, rule_sets *rs, const char *set_folder, cr_err *err)
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
            f->report = !set_folder[0] || ruletest_set_in_folder(set, set_folder);
            cr_status st = code_lines(f, path, err);
            if (st != CR_OK)
                return st;
        }
        sandbox_set_line_hook(set->sb, cov_line, cov);
    }
    return CR_OK;
}

json_t *ruletest_cov_report(const ruletest_cov *cov, double min, int *all_ok)
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
