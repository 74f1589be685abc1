/*
 * gen.c -- deterministic synthetic court data as JSON Lines (docs/records.md).
 *
 * usage: gen [--seed N] [--cases N] [--province 粤|苏] [--as-of YYYY-MM-DD] [--out FILE]
 *
 * Output order: courts (high → intermediate → basic), people per court, then
 * the cases in filing-date order, each followed by its own events, then the
 * courts' monthly interference reports. The same arguments give the same
 * bytes: one xoshiro256** stream seeded through splitmix64, no clock, no
 * locale. Memory does not grow with --cases: cases are written as they are
 * made; only per-court counters (案号 sequences, monthly interference counts)
 * are kept. Self-contained: libc and libm only.
 *
 * The distributions are documented in bench/README.md; where a number below
 * comes from the project's domain notes (domain.md) the comment says so.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- PRNG: xoshiro256** seeded through splitmix64 ---- */

static uint64_t rng_state[4];

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_seed(uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rng_state[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
    uint64_t *s = rng_state;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static double rng_unit(void) /* [0, 1) */
{
    return (double)(rng_next() >> 11) * 0x1.0p-53;
}

static int rng_below(int n) /* [0, n), n > 0 */
{
    return (int)(((rng_next() >> 32) * (uint64_t)n) >> 32);
}

static int rng_range(int lo, int hi) /* [lo, hi] */
{
    return lo + rng_below(hi - lo + 1);
}

static int chance(double p)
{
    return rng_unit() < p;
}

static double lognormal(double median, double sigma)
{
    double u1 = 1.0 - rng_unit(), u2 = rng_unit(); /* Box–Muller, u1 in (0, 1] */
    return median * exp(sigma * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* Index into a table of structs whose int member `w` is a weight. */
static int pick_w(const void *table, size_t stride, size_t w_offset, int n)
{
    const char *base = table;
    int total = 0;
    for (int i = 0; i < n; i++)
        total += *(const int *)(base + i * stride + w_offset);
    int r = rng_below(total);
    for (int i = 0; i < n; i++)
        if ((r -= *(const int *)(base + i * stride + w_offset)) < 0)
            return i;
    return n - 1;
}
#define PICK(t) (&(t)[pick_w((t), sizeof(t)[0], offsetof(__typeof__((t)[0]), w), COUNT(t))])
#define ANY(a) ((a)[rng_below(COUNT(a))])

/* ---- calendar: day numbers since 1970-01-01 ---- */

static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void civil_from_days(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int year_of(int32_t day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return y;
}

/* Strict YYYY-MM-DD that exists; -1 if not. */
static int parse_date(const char *s, int32_t *out)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || s[4] != '-')
        return -1;
    int32_t z = days_from_civil(y, m, d);
    int y2, m2, d2;
    civil_from_days(z, &y2, &m2, &d2);
    if (y != y2 || m != m2 || d != d2 || y < 1900 || y > 2199)
        return -1;
    *out = z;
    return 0;
}

/* Adds n months; a day past the target month's end becomes its last day. */
static int32_t add_months(int32_t day, int n)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    int k = y * 12 + (m - 1) + n;
    y = k / 12;
    m = k % 12 + 1;
    int last = mdays[m - 1] + (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
    return days_from_civil(y, m, d > last ? last : d);
}

/* The 2024–2026 arrangements of domain.md §7; other years: Monday–Friday. */
static const char *const holiday_ranges[][2] = {
    {"2024-01-01", "2024-01-01"}, {"2024-02-10", "2024-02-17"}, {"2024-04-04", "2024-04-06"},
    {"2024-05-01", "2024-05-05"}, {"2024-06-08", "2024-06-10"}, {"2024-09-15", "2024-09-17"},
    {"2024-10-01", "2024-10-07"}, {"2025-01-01", "2025-01-01"}, {"2025-01-28", "2025-02-04"},
    {"2025-04-04", "2025-04-06"}, {"2025-05-01", "2025-05-05"}, {"2025-05-31", "2025-06-02"},
    {"2025-10-01", "2025-10-08"}, {"2026-01-01", "2026-01-03"}, {"2026-02-15", "2026-02-23"},
    {"2026-04-04", "2026-04-06"}, {"2026-05-01", "2026-05-05"}, {"2026-06-19", "2026-06-21"},
    {"2026-09-25", "2026-09-27"}, {"2026-10-01", "2026-10-07"},
};
static const char *const makeup_workdays[] = {
    "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11",
    "2024-09-14", "2024-09-29", "2024-10-12", "2025-01-26", "2025-02-08",
    "2025-04-27", "2025-09-28", "2025-10-11", "2026-01-04", "2026-02-14",
    "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
};

#define CAL_SPAN 4096 /* days covered by the workday table */
static int32_t cal_first;
static unsigned char cal_work[CAL_SPAN];

static void calendar_init(int32_t first)
{
    cal_first = first;
    for (int i = 0; i < CAL_SPAN; i++)
        cal_work[i] = ((first + i) % 7 + 7 + 3) % 7 < 5; /* 1970-01-01 was a Thursday */
    for (int i = 0; i < COUNT(holiday_ranges); i++) {
        int32_t a, b;
        parse_date(holiday_ranges[i][0], &a);
        parse_date(holiday_ranges[i][1], &b);
        for (int32_t z = a; z <= b; z++)
            if (z >= first && z < first + CAL_SPAN)
                cal_work[z - first] = 0;
    }
    for (int i = 0; i < COUNT(makeup_workdays); i++) {
        int32_t z;
        parse_date(makeup_workdays[i], &z);
        if (z >= first && z < first + CAL_SPAN)
            cal_work[z - first] = 1;
    }
}

static int is_workday(int32_t z)
{
    if (z >= cal_first && z < cal_first + CAL_SPAN)
        return cal_work[z - cal_first];
    return ((z % 7 + 7 + 3) % 7) < 5;
}

static int32_t next_workday(int32_t z)
{
    while (!is_workday(z))
        z++;
    return z;
}

/* ---- output: one JSON line at a time ---- */

static FILE *out;
static char *line;
static size_t line_len, line_cap;
static int comma[8], depth; /* comma[d]: a value was written at nesting depth d */

static void put(const char *s, size_t n)
{
    if (line_len + n > line_cap) {
        while (line_len + n > line_cap)
            line_cap = line_cap ? line_cap * 2 : 1 << 16;
        if (!(line = realloc(line, line_cap))) {
            fprintf(stderr, "gen: out of memory\n");
            exit(1);
        }
    }
    memcpy(line + line_len, s, n);
    line_len += n;
}

static void puts_(const char *s)
{
    put(s, strlen(s));
}

static void put_int(long long v)
{
    char b[24];
    int n = sizeof b;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do
        b[--n] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        b[--n] = '-';
    put(b + n, sizeof b - n);
}

/* A JSON string. Generated text never needs escapes, but stay correct. */
static void put_str(const char *s)
{
    put("\"", 1);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            put("\\", 1);
            put(p, 1);
        } else if (c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            puts_(esc);
        } else {
            put(p, 1);
        }
    }
    put("\"", 1);
}

static void sep(void)
{
    if (comma[depth])
        put(",", 1);
    comma[depth] = 1;
}

static void key(const char *k)
{
    sep();
    put("\"", 1);
    puts_(k);
    put("\":", 2);
}

static void open_(char c)
{
    put(&c, 1);
    comma[++depth] = 0;
}

static void close_(char c)
{
    put(&c, 1);
    depth--;
}

static void kstr(const char *k, const char *v)
{
    key(k);
    put_str(v);
}

static void kint(const char *k, long long v)
{
    key(k);
    put_int(v);
}

static void kbool(const char *k, int v)
{
    key(k);
    puts_(v ? "true" : "false");
}

static void astr(const char *v)
{
    sep();
    put_str(v);
}

static void record_begin(const char *type)
{
    line_len = 0;
    depth = 0;
    comma[0] = 0;
    open_('{');
    kstr("type", type);
}

static void record_end(void)
{
    close_('}');
    put("\n", 1);
    fwrite(line, 1, line_len, out);
}

static void fmt_date(int32_t z, char out_[11])
{
    int y, m, d;
    civil_from_days(z, &y, &m, &d);
    snprintf(out_, 11, "%04d-%02d-%02d", y, m, d);
}

static void kdate(const char *k, int32_t z)
{
    char b[11];
    fmt_date(z, b);
    kstr(k, b);
}

/* Money: a JSON integer (yuan), or a string with two decimals or none. */
enum { MONEY_INT, MONEY_DEC, MONEY_STRINT };
static void kmoney(const char *k, int64_t fen, int style)
{
    char b[32];
    key(k);
    if (style == MONEY_INT && fen % 100 == 0) {
        put_int(fen / 100);
        return;
    }
    if (style == MONEY_STRINT && fen % 100 == 0)
        snprintf(b, sizeof b, "\"%lld\"", (long long)(fen / 100));
    else
        snprintf(b, sizeof b, "\"%lld.%02d\"", (long long)(fen / 100), (int)(fen % 100));
    puts_(b);
}

/* Timestamps in the shapes records.md accepts; t is minutes since the epoch,
 * Beijing time. The same shape is used for an event's at and end. */
enum { TS_LOCAL, TS_OFFSET, TS_UTC, TS_MINUTES, TS_DATE, N_TS };
static void kts(const char *k, int64_t t, int sec, int shape)
{
    char b[40];
    if (shape == TS_UTC)
        t -= 8 * 60;
    int32_t z = (int32_t)(t >= 0 ? t / 1440 : (t - 1439) / 1440);
    int min = (int)(t - (int64_t)z * 1440), y, m, d;
    civil_from_days(z, &y, &m, &d);
    int n = snprintf(b, sizeof b, "%04d-%02d-%02d", y, m, d);
    if (shape == TS_MINUTES)
        snprintf(b + n, sizeof b - n, "T%02d:%02d", min / 60, min % 60);
    else if (shape != TS_DATE)
        snprintf(b + n, sizeof b - n, "T%02d:%02d:%02d%s", min / 60, min % 60, sec,
                 shape == TS_OFFSET ? "+08:00"
                 : shape == TS_UTC  ? "Z"
                                    : "");
    kstr(k, b);
}

/* ---- names ---- */

static const char *const surnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",   "徐",  "孙", "马", "朱",
    "胡", "郭", "何", "林", "罗", "高", "郑", "梁", "谢", "宋",   "唐",  "许", "韩", "冯",
    "邓", "曹", "彭", "曾", "肖", "田", "董", "潘", "袁", "蔡",   "蒋",  "余", "于", "杜",
    "叶", "程", "魏", "苏", "吕", "丁", "任", "卢", "姚", "沈",   "钟",  "姜", "崔", "谭",
    "陆", "范", "汪", "廖", "石", "金", "韦", "贾", "夏", "付",   "方",  "邹", "熊", "白",
    "孟", "秦", "邱", "侯", "江", "尹", "薛", "段", "雷", "龙",   "黎",  "史", "陶", "贺",
    "毛", "顾", "龚", "邵", "万", "覃", "麦", "区", "冼", "欧阳", "司徒"};
static const char *const given_chars[] = {
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "霞", "平", "刚", "辉", "玲", "桂", "华", "建", "国", "文", "红", "英", "志",
    "荣", "新", "海", "燕", "斌", "波", "宇", "浩", "凯", "鹏", "俊", "帆", "琳", "婷", "雪",
    "颖", "欣", "怡", "晨", "阳", "鑫", "宏", "峰", "亮", "健", "佳", "嘉", "瑶", "思", "子",
    "梓", "涵", "睿", "雅", "丹", "萍", "慧", "春", "秋", "振", "东", "晓", "立", "永", "德",
    "金", "玉", "秀", "兰", "梅", "云", "飞", "锋", "家", "豪", "彬", "泽", "铭", "诗", "晴"};
static const char *const brand_chars[] = {"华", "盛", "金", "源", "宏", "达", "恒", "信", "鑫",
                                          "永", "隆", "兴", "天", "海", "嘉", "禾", "联", "创",
                                          "汇", "启", "航", "泰", "和", "万", "通", "瑞", "丰",
                                          "利", "佳", "美", "德", "富", "安", "康", "顺", "祥"};
static const char *const foreign_names[] = {"JOHN SMITH",   "MARIA GARCIA",  "NGUYEN VAN NAM",
                                            "KIM JI-HOON",  "TANAKA YUKI",   "RAHUL SHARMA",
                                            "OLIVER BROWN", "SOPHIE MARTIN", "AHMED HASSAN",
                                            "ANNA MÜLLER",  "LEE WEI MING",  "SOMCHAI SUKSAN"};
static const char *const banks[] = {"中国工商银行", "中国农业银行", "中国银行", "中国建设银行",
                                    "交通银行",     "招商银行",     "兴业银行", "中国邮政储蓄银行"};
static const char *const card_centres[] = {
    "招商银行股份有限公司信用卡中心", "广发银行股份有限公司信用卡中心",
    "中信银行股份有限公司信用卡中心", "交通银行股份有限公司太平洋信用卡中心",
    "平安银行股份有限公司信用卡中心"};
static const char *const insurers[] = {"中国人民财产保险股份有限公司",
                                       "中国平安财产保险股份有限公司",
                                       "中国太平洋财产保险股份有限公司"};
static const char *const industries[] = {"贸易",     "建材",     "电子科技", "五金制品", "物流",
                                         "餐饮管理", "服装",     "家具",     "信息技术", "机械设备",
                                         "食品",     "装饰工程", "汽车销售", "商贸"};

static char name_buf[160];

static const char *person_name(void)
{
    double u = rng_unit();
    const char *s = surnames[(int)(u * u * COUNT(surnames))]; /* common surnames first */
    snprintf(name_buf, sizeof name_buf, "%s%s%s", s, ANY(given_chars),
             chance(0.7) ? ANY(given_chars) : "");
    return name_buf;
}

static void brand(char out_[16])
{
    snprintf(out_, 16, "%s%s", ANY(brand_chars), ANY(brand_chars));
}

/* ---- courts ---- */

enum level { HIGH, MID, BASIC };
static const char *const level_names[] = {"高级", "中级", "基层"};

struct court_def {
    const char *code, *place, *city; /* place: "广州市天河区"; city: its prefecture */
    int level, parent, size;         /* size: central special staff, the base year */
    int admin;                       /* basic court with centralised administrative cases */
};

/* Codes are the administrative division codes (domain.md §6). */
static const struct court_def courts_yue[] = {
    {"粤", "", "广州市", HIGH, -1, 820, 0},
    {"粤01", "广州市", "广州市", MID, 0, 640, 0},
    {"粤03", "深圳市", "深圳市", MID, 0, 600, 0},
    {"粤06", "佛山市", "佛山市", MID, 0, 420, 0},
    {"粤07", "江门市", "江门市", MID, 0, 300, 0},
    {"粤0104", "广州市越秀区", "广州市", BASIC, 1, 260, 0},
    {"粤0106", "广州市天河区", "广州市", BASIC, 1, 330, 1},
    {"粤0111", "广州市白云区", "广州市", BASIC, 1, 350, 0},
    {"粤0304", "深圳市福田区", "深圳市", BASIC, 2, 380, 1},
    {"粤0305", "深圳市南山区", "深圳市", BASIC, 2, 300, 0},
    {"粤0306", "深圳市宝安区", "深圳市", BASIC, 2, 420, 0},
    {"粤0604", "佛山市禅城区", "佛山市", BASIC, 3, 220, 1},
    {"粤0605", "佛山市南海区", "佛山市", BASIC, 3, 300, 0},
    {"粤0606", "佛山市顺德区", "佛山市", BASIC, 3, 290, 0},
    {"粤0703", "江门市蓬江区", "江门市", BASIC, 4, 160, 1},
    {"粤0705", "江门市新会区", "江门市", BASIC, 4, 150, 0},
    {"粤0781", "台山市", "江门市", BASIC, 4, 120, 0},
};
static const struct court_def courts_su[] = {
    {"苏", "", "南京市", HIGH, -1, 780, 0},
    {"苏01", "南京市", "南京市", MID, 0, 600, 0},
    {"苏02", "无锡市", "无锡市", MID, 0, 420, 0},
    {"苏05", "苏州市", "苏州市", MID, 0, 560, 0},
    {"苏06", "南通市", "南通市", MID, 0, 380, 0},
    {"苏0102", "南京市玄武区", "南京市", BASIC, 1, 170, 1},
    {"苏0104", "南京市秦淮区", "南京市", BASIC, 1, 200, 0},
    {"苏0115", "南京市江宁区", "南京市", BASIC, 1, 320, 0},
    {"苏0211", "无锡市滨湖区", "无锡市", BASIC, 2, 200, 0},
    {"苏0213", "无锡市梁溪区", "无锡市", BASIC, 2, 260, 1},
    {"苏0281", "江阴市", "无锡市", BASIC, 2, 300, 0},
    {"苏0505", "苏州市虎丘区", "苏州市", BASIC, 3, 200, 1},
    {"苏0506", "苏州市吴中区", "苏州市", BASIC, 3, 260, 0},
    {"苏0583", "昆山市", "苏州市", BASIC, 3, 380, 0},
    {"苏0612", "南通市通州区", "南通市", BASIC, 4, 210, 1},
    {"苏0681", "启东市", "南通市", BASIC, 4, 160, 0},
    {"苏0685", "海安市", "南通市", BASIC, 4, 170, 0},
};

/* Divisions. Trial divisions come first; judges are drawn from them. */
enum {
    D_FILING,
    D_CIVIL1,
    D_CIVIL2,
    D_CIVIL3,
    D_CRIM1,
    D_CRIM2,
    D_ADMIN,
    D_EXEC,
    D_REVIEW,
    N_TRIAL_DIV
};
static const char *const div_names[N_TRIAL_DIV] = {
    "立案庭", "民一庭", "民二庭", "民三庭", "刑一庭", "刑二庭", "行政庭", "执行局", "审判监督庭"};
/* Share of a court's judges per division, in percent, by level. */
static const int div_share[3][N_TRIAL_DIV] = {
    {6, 18, 18, 10, 12, 0, 12, 10, 14}, /* high */
    {6, 18, 18, 12, 9, 7, 10, 12, 8},   /* intermediate */
    {8, 28, 24, 0, 10, 0, 5, 25, 0},    /* basic (行政庭 only where centralised) */
};

struct person {
    char id[40];
};

struct division {
    int present, chief, deputy; /* person indices */
    int n_pool;
    int *pool;        /* in-quota people who take this division's cases */
    double *cum;      /* cumulative weights over pool */
    const char *team; /* 审判团队 name shared by some members, or NULL */
};

#define MAX_YEARS 3
#define MAX_MONTHS 40
#define N_TYPES 12

struct court {
    const struct court_def *def;
    char name[96], procuratorate[96], city_short[16];
    double share;      /* expected fraction of all cases */
    int quota_filled;  /* latest staffing year */
    int zero_reporter; /* reports 零报告 every month whatever happened */
    struct division div[N_TRIAL_DIV];
    struct person *people;
    int n_people, cap_people;
    int president, vice_civil, vice_other;
    int seq[MAX_YEARS][N_TYPES];
    int interference[MAX_MONTHS];
};

static const char *province_name;
static struct court courts[32];
static int n_courts;

/* ---- case types (domain.md §6: ~60% civil first instance, 22% enforcement,
 * 8% criminal, 3% administrative) ---- */

enum {
    T_MINCHU,
    T_MINZHONG,
    T_MINTE,
    T_ZHI,
    T_ZHIHUI,
    T_ZHIYI,
    T_ZHIBAO,
    T_XINGCHU,
    T_XINGZHONG,
    T_XZCHU,
    T_XZZHONG,
    T_CAIBAO
};
static const struct case_type {
    const char *code, *kind;
    int w;           /* per 10,000 cases */
    int by_level[3]; /* per mille at high, intermediate, basic courts */
} case_types[N_TYPES] = {
    [T_MINCHU] = {"民初", "民事", 6000, {3, 37, 960}},
    [T_MINZHONG] = {"民终", "民事", 450, {80, 920, 0}},
    [T_MINTE] = {"民特", "民事", 100, {0, 0, 1000}},
    [T_ZHI] = {"执", "执行", 1800, {5, 65, 930}},
    [T_ZHIHUI] = {"执恢", "执行", 200, {0, 60, 940}},
    [T_ZHIYI] = {"执异", "执行", 150, {20, 120, 860}},
    [T_ZHIBAO] = {"执保", "执行", 50, {0, 50, 950}},
    [T_XINGCHU] = {"刑初", "刑事", 700, {0, 70, 930}},
    [T_XINGZHONG] = {"刑终", "刑事", 100, {50, 950, 0}},
    [T_XZCHU] = {"行初", "行政", 250, {0, 250, 750}},
    [T_XZZHONG] = {"行终", "行政", 50, {150, 850, 0}},
    [T_CAIBAO] = {"财保", "保全", 150, {0, 0, 1000}},
};

static int court_eligible(const struct court *c, int type)
{
    return case_types[type].by_level[c->def->level] > 0 &&
           (type != T_XZCHU || c->def->level != BASIC || c->def->admin);
}

static double level_size(int level, int type)
{
    double s = 0;
    for (int i = 0; i < n_courts; i++)
        if (courts[i].def->level == level && court_eligible(&courts[i], type))
            s += courts[i].def->size;
    return s;
}

/* Expected share of all cases that court c receives as type t. */
static double court_type_share(const struct court *c, int t)
{
    if (!court_eligible(c, t))
        return 0;
    return case_types[t].w / 10000.0 * case_types[t].by_level[c->def->level] / 1000.0 *
           c->def->size / level_size(c->def->level, t);
}

static struct court *pick_court(int type)
{
    int level = pick_w(case_types[type].by_level, sizeof(int), 0, 3);
    double r = rng_unit() * level_size(level, type);
    struct court *last = NULL;
    for (int i = 0; i < n_courts; i++) {
        struct court *c = &courts[i];
        if (c->def->level != level || !court_eligible(c, type))
            continue;
        last = c;
        if ((r -= c->def->size) < 0)
            return c;
    }
    return last;
}

/* ---- people ---- */

static int add_person(struct court *c)
{
    if (c->n_people == c->cap_people) {
        c->cap_people = c->cap_people ? c->cap_people * 2 : 64;
        c->people = realloc(c->people, c->cap_people * sizeof *c->people);
        if (!c->people) {
            fprintf(stderr, "gen: out of memory\n");
            exit(1);
        }
    }
    int i = c->n_people++;
    snprintf(c->people[i].id, sizeof c->people[i].id, "P-%s-%04d", c->def->code, i + 1);
    return i;
}

static void pool_add(struct division *d, int person, double weight)
{
    d->pool = realloc(d->pool, (d->n_pool + 1) * sizeof *d->pool);
    d->cum = realloc(d->cum, (d->n_pool + 1) * sizeof *d->cum);
    if (!d->pool || !d->cum) {
        fprintf(stderr, "gen: out of memory\n");
        exit(1);
    }
    d->pool[d->n_pool] = person;
    d->cum[d->n_pool] = (d->n_pool ? d->cum[d->n_pool - 1] : 0) + weight;
    d->n_pool++;
}

/* Writes one person line. roles: up to two role names (second may be NULL). */
static void emit_person(struct court *c, int idx, const char *role1, const char *role2,
                        const char *division, const char *team, int in_quota, int32_t as_of)
{
    record_begin("person");
    kstr("id", c->people[idx].id);
    kstr("court", c->def->code);
    kstr("name", person_name());
    key("roles");
    open_('[');
    astr(role1);
    if (role2)
        astr(role2);
    close_(']');
    if (division)
        kstr("division", division);
    if (team)
        kstr("team", team);
    kbool("in_quota", in_quota);
    if (chance(0.6)) {
        int32_t start = as_of - rng_range(200, 9000);
        kdate("start_date", start);
        /* A few who left: they stay listed but take no cases. */
        if (!in_quota && chance(0.03))
            kdate("end_date", start + rng_range(30, (int)(as_of - start)));
    }
    record_end();
}

/* Staffing figures (domain.md §4): quota ≈ 39% of the central special staff,
 * some courts slightly above; admin staff 10–16.5%, so some basic courts
 * break the 15% rule. Returns the latest quota_filled. */
static int emit_staffing(struct court *c, int as_of_year)
{
    int n_years = (c - courts) % 3 == 1 ? 2 : 3;
    double quota_ratio = 0.33 + 0.07 * rng_unit() + (chance(0.15) ? 0.03 : 0);
    double admin_ratio = 0.10 + 0.065 * rng_unit();
    double local_ratio = 0.02 + 0.08 * rng_unit(); /* 核定编制 beyond the central one */
    int central = (int)(c->def->size * (0.95 + 0.1 * rng_unit()));
    int filled = 0;
    key("staffing");
    open_('[');
    for (int y = as_of_year - n_years + 1; y <= as_of_year; y++) {
        central += rng_range(0, central / 50);
        int allotted = (int)(central * (quota_ratio + 0.01 * (rng_unit() - 0.5)) + 0.5);
        filled = allotted - rng_range(0, 6);
        sep();
        open_('{');
        kint("year", y);
        kint("authorized_staff", central + (int)(central * local_ratio));
        kint("central_special_staff", central);
        kint("quota_allotted", allotted);
        kint("quota_filled", filled);
        kint("admin_staff", (int)(central * (admin_ratio + 0.01 * (rng_unit() - 0.5)) + 0.5));
        close_('}');
    }
    close_(']');
    return filled;
}

static void emit_court(struct court *c, int as_of_year)
{
    record_begin("court");
    kstr("code", c->def->code);
    kstr("name", c->name);
    kstr("level", level_names[c->def->level]);
    if (c->def->parent >= 0)
        kstr("parent", courts[c->def->parent].def->code);
    c->quota_filled = emit_staffing(c, as_of_year);
    if (c->def->admin) {
        key("extra");
        open_('{');
        kbool("centralised_administrative_jurisdiction", 1);
        close_('}');
    }
    record_end();
}

/* People of one court. The number of judges follows the expected caseload
 * (about 250 cases a year each, domain.md §6), capped by the quota filled. */
static void emit_people(struct court *c, double cases_per_year, int32_t as_of)
{
    int level = c->def->level, judges = (int)(cases_per_year / 250) + 1;
    if (judges > c->quota_filled)
        judges = c->quota_filled;
    int share_total = 0;
    for (int d = 0; d < N_TRIAL_DIV; d++) {
        /* Specialised divisions only in a court big enough to need them. */
        int optional = d == D_CIVIL3 || d == D_CRIM2 || d == D_REVIEW;
        c->div[d].present = div_share[level][d] > 0 && (!optional || judges >= 60) &&
                            (d != D_ADMIN || level != BASIC || c->def->admin);
        if (c->div[d].present)
            share_total += div_share[level][d];
    }
    int idx = (int)(c - courts);
    /* Leaders: the president hears a token number of cases (5–10% of the
     * average), at a quarter of the courts none; vice presidents 30–40%, one
     * of them in name only at every third court (domain.md §4). */
    c->president = add_person(c);
    emit_person(c, c->president, "院长", NULL, NULL, NULL, 1, as_of);
    c->vice_civil = add_person(c);
    emit_person(c, c->vice_civil, "副院长", NULL, NULL, NULL, 1, as_of);
    c->vice_other = add_person(c);
    emit_person(c, c->vice_other, "副院长", "审判长", NULL, NULL, 1, as_of);
    int member = -1;
    if (level != BASIC || c->def->size > 300) {
        member = add_person(c);
        emit_person(c, member, "审委会专职委员", NULL, NULL, NULL, 1, as_of);
    }
    for (int d = 0; d < N_TRIAL_DIV; d++) {
        struct division *dv = &c->div[d];
        if (!dv->present)
            continue;
        int n = (int)((double)judges * div_share[level][d] / share_total + 0.5);
        if (n < 3)
            n = 3; /* a 合议庭 needs three */
        dv->team = chance(0.5) ? (d == D_FILING ? "速裁团队" : "第一审判团队") : NULL;
        dv->chief = add_person(c);
        emit_person(c, dv->chief, "庭长", chance(0.5) ? "审判长" : NULL, div_names[d], NULL, 1,
                    as_of);
        pool_add(dv, dv->chief, 0.6);
        int deputies = n >= 8 ? 2 : 1;
        for (int k = 0; k < deputies; k++) {
            int p = add_person(c);
            if (k == 0)
                dv->deputy = p;
            emit_person(c, p, "副庭长", chance(0.4) ? "审判长" : NULL, div_names[d], dv->team, 1,
                        as_of);
            pool_add(dv, p, 0.8);
        }
        for (int k = deputies + 1; k < n; k++) {
            int p = add_person(c);
            emit_person(c, p, "员额法官", chance(0.25) ? "审判长" : NULL, div_names[d],
                        dv->team && k % 2 ? dv->team : NULL, 1, as_of);
            pool_add(dv, p, 1.0);
        }
        /* Support staff: fewer than the 1:1:1 the reform aims at. */
        for (int k = 0; k < (n * 8 + 5) / 10; k++)
            emit_person(c, add_person(c), "法官助理", NULL, div_names[d],
                        dv->team && k % 2 ? dv->team : NULL, 0, as_of);
        for (int k = 0; k < (n + 1) / 2; k++)
            emit_person(c, add_person(c), "书记员", NULL, div_names[d], NULL, 0, as_of);
        if (d == D_EXEC)
            for (int k = 0; k < (n + 2) / 3; k++)
                emit_person(c, add_person(c), "执行员", NULL, div_names[d], NULL, 0, as_of);
    }
    pool_add(&c->div[D_CIVIL1], c->president, idx % 4 == 1 ? 0.0 : 0.07);
    pool_add(&c->div[D_CIVIL2], c->vice_civil, 0.35);
    pool_add(&c->div[level == BASIC ? D_EXEC : D_CRIM1], c->vice_other, idx % 3 == 2 ? 0.0 : 0.3);
    if (member >= 0)
        pool_add(&c->div[D_CIVIL1], member, 0.4);
    int staff = c->n_people;
    for (int k = 0; k < (staff + 5) / 10 + 1; k++)
        emit_person(c, add_person(c), "司法行政人员", NULL, k % 3 ? "办公室" : "政治部", NULL, 0,
                    as_of);
    for (int k = 0; k < staff / 30 + 1; k++)
        emit_person(c, add_person(c), "司法警察", NULL, "司法警察大队", NULL, 0, as_of);
}

static int pick_judge(const struct division *d)
{
    double r = rng_unit() * d->cum[d->n_pool - 1];
    for (int i = 0; i < d->n_pool; i++)
        if (r < d->cum[i])
            return d->pool[i];
    return d->pool[d->n_pool - 1];
}

/* ---- causes (domain.md §6) ---- */

enum {
    NK_PERSON,
    NK_COMPANY,
    NK_BANK,
    NK_CARD,
    NK_INSURER,
    NK_PROPERTY,
    NK_LENDER,
    NK_DEVELOPER,
    NK_BUILDER,
    NK_PROCURATORATE,
    NK_GOVERNMENT,
    NK_POLICE,
    NK_BUREAU,
    NK_FOREIGN
};

static const struct civil_cause {
    const char *name;
    int w;                    /* percent of civil first instance at a basic court */
    int median;               /* claim, yuan */
    float sigma;              /* log-normal spread */
    float p_amount;           /* share of cases with a claim amount */
    int money;                /* a money-payment dispute (small claims possible) */
    int division;             /* D_CIVIL1 (family, tort, labour) or D_CIVIL2 (commercial) */
    int plaintiff, defendant; /* NK_* */
    float p_mass;             /* share with 10 or more parties */
} civil_causes[] = {
    {"民间借贷纠纷", 26, 50000, 1.1f, 0.97f, 1, D_CIVIL2, NK_PERSON, NK_PERSON, 0.005f},
    {"离婚纠纷", 17, 200000, 1.0f, 0.15f, 0, D_CIVIL1, NK_PERSON, NK_PERSON, 0},
    {"机动车交通事故责任纠纷", 14, 50000, 1.0f, 0.98f, 1, D_CIVIL1, NK_PERSON, NK_INSURER, 0},
    {"买卖合同纠纷", 10, 60000, 1.2f, 0.97f, 1, D_CIVIL2, NK_COMPANY, NK_COMPANY, 0.003f},
    {"借款合同纠纷", 6, 100000, 1.2f, 0.98f, 1, D_CIVIL2, NK_LENDER, NK_PERSON, 0},
    {"金融借款合同纠纷", 5, 200000, 1.2f, 0.99f, 1, D_CIVIL2, NK_BANK, NK_PERSON, 0},
    {"信用卡纠纷", 4, 30000, 0.8f, 0.99f, 1, D_CIVIL2, NK_CARD, NK_PERSON, 0},
    {"物业服务合同纠纷", 4, 5000, 0.8f, 0.99f, 1, D_CIVIL1, NK_PROPERTY, NK_PERSON, 0.01f},
    {"房屋租赁合同纠纷", 3, 40000, 1.0f, 0.95f, 1, D_CIVIL1, NK_PERSON, NK_PERSON, 0},
    {"劳动争议", 3, 30000, 1.0f, 0.9f, 1, D_CIVIL1, NK_PERSON, NK_COMPANY, 0.05f},
    {"劳务合同纠纷", 2, 20000, 0.9f, 0.95f, 1, D_CIVIL1, NK_PERSON, NK_PERSON, 0.02f},
    {"建设工程施工合同纠纷", 2, 600000, 1.3f, 0.98f, 1, D_CIVIL2, NK_BUILDER, NK_DEVELOPER, 0.02f},
    {"赡养纠纷", 1, 12000, 0.6f, 0.6f, 0, D_CIVIL1, NK_PERSON, NK_PERSON, 0},
    {"抚养费纠纷", 2, 20000, 0.6f, 0.8f, 0, D_CIVIL1, NK_PERSON, NK_PERSON, 0},
    {"商品房预售合同纠纷", 1, 500000, 0.8f, 0.95f, 1, D_CIVIL1, NK_PERSON, NK_DEVELOPER, 0.1f},
};
#define CAUSE_DIVORCE 1
#define CAUSE_TRAFFIC 2
#define CAUSE_FIN_LOAN 5
#define CAUSE_CONSTRUCTION 11

static const struct crime {
    const char *name;
    int w_basic, w_mid;
    int light;       /* sentence likely ≤ 3 years: 速裁 possible */
    float p_victims; /* has victims listed */
} crimes[] = {
    {"危险驾驶罪", 30, 0, 1, 0},
    {"盗窃罪", 20, 0, 1, 0.3f},
    {"帮助信息网络犯罪活动罪", 10, 0, 1, 0},
    {"诈骗罪", 10, 5, 0, 0.6f},
    {"故意伤害罪", 6, 15, 0, 0.9f},
    {"掩饰、隐瞒犯罪所得、犯罪所得收益罪", 5, 0, 1, 0},
    {"寻衅滋事罪", 4, 0, 0, 0.5f},
    {"开设赌场罪", 4, 0, 0, 0},
    {"交通肇事罪", 4, 0, 1, 0.8f},
    {"非法吸收公众存款罪", 3, 0, 0, 1},
    {"集资诈骗罪", 1, 15, 0, 1},
    {"贩卖毒品罪", 3, 30, 0, 0},
    {"故意杀人罪", 0, 25, 0, 1},
    {"抢劫罪", 0, 10, 0, 1},
};
#define CRIME_FUNDRAISING 9 /* 非法吸收公众存款罪 and 集资诈骗罪 follow */

static const struct admin_cause {
    const char *name;
    int w, defendant; /* NK_GOVERNMENT, NK_POLICE or NK_BUREAU */
    int simple;       /* decided on the spot / information disclosure */
} admin_causes[] = {
    {"行政处罚", 30, NK_POLICE, 1},           {"政府信息公开", 20, NK_GOVERNMENT, 1},
    {"行政强制", 10, NK_GOVERNMENT, 0},       {"工伤认定", 10, NK_BUREAU, 0},
    {"房屋征收与补偿", 10, NK_GOVERNMENT, 0}, {"行政登记", 10, NK_BUREAU, 0},
    {"行政复议", 10, NK_GOVERNMENT, 0},
};

/* ---- flags, in the order of docs/records.md ---- */

enum {
    F_PUBLICATION,
    F_COUNTERCLAIM,
    F_APPRAISAL,
    F_FOREIGN,
    F_HMT,
    F_PUBLIC_INTEREST,
    F_WHEREABOUTS,
    F_PROTEST,
    F_REMANDED,
    F_RETRIAL_OWN,
    F_THIRD_PARTY_REVOCATION,
    F_GANG,
    F_SUPERVISED,
    F_DEPUTIES,
    F_MEDIA,
    F_PETITION,
    F_PARTY_ORGAN,
    F_MILITARY,
    F_DEATH,
    F_ACQUITTAL,
    F_BELOW_MIN,
    F_GUILTY,
    F_MINOR,
    F_PERSONAL_STATUS,
    F_TITLE,
    F_BOTH_AGREE,
    F_COMPLAINT,
    F_NEW_TYPE,
    F_NATSEC,
    F_DETAINED3,
    N_FLAGS
};
static const char *const flag_names[N_FLAGS] = {"service_by_publication",
                                                "counterclaim",
                                                "appraisal",
                                                "foreign_element",
                                                "hmt_element",
                                                "public_interest",
                                                "defendant_whereabouts_unknown",
                                                "procuratorate_protest",
                                                "remanded",
                                                "retrial_own_court",
                                                "third_party_revocation",
                                                "gang_related",
                                                "supervised",
                                                "deputies_attention",
                                                "media_attention",
                                                "petition_risk",
                                                "party_organ_defendant",
                                                "military_defendant",
                                                "death_penalty_intended",
                                                "acquittal_intended",
                                                "below_minimum_intended",
                                                "guilty_plea",
                                                "minor_defendant",
                                                "personal_status",
                                                "title_dispute",
                                                "both_agree_small_claims",
                                                "complaint_against_judge",
                                                "new_type",
                                                "national_security",
                                                "detained_over_3_years"};
#define BIT(f) (1u << (f))
/* Markers of a 四类案件 (domain.md §1): the case should be reported. */
#define SIGNAL_FLAGS                                                                               \
    (BIT(F_PUBLIC_INTEREST) | BIT(F_PROTEST) | BIT(F_GANG) | BIT(F_SUPERVISED) | BIT(F_DEPUTIES) | \
     BIT(F_MEDIA) | BIT(F_PETITION) | BIT(F_DEATH) | BIT(F_ACQUITTAL) | BIT(F_BELOW_MIN) |         \
     BIT(F_COMPLAINT) | BIT(F_NEW_TYPE) | BIT(F_NATSEC) | BIT(F_DETAINED3))

/* ---- one case ---- */

#define MAX_LISTED 40
#define MAX_EVENTS 32

struct party {
    const char *role;
    int nk;
    unsigned char unknown, foreign;
};

enum {
    EV_ASSIGNED,
    EV_DESIGNATED,
    EV_REASSIGNED,
    EV_REPORTED,
    EV_MEETING,
    EV_COMMITTEE,
    EV_EXTENSION,
    EV_SUSPENDED,
    EV_RESUMED,
    EV_PUBLICATION,
    EV_APPRAISAL,
    EV_SETTLEMENT,
    EV_JURISDICTION,
    EV_HEARING,
    EV_CLOSED,
    EV_INTERFERENCE,
    EV_SUPERVISION,
    EV_FLAG_CONFIRMED,
    EV_FLAG_REMOVED,
    EV_PROCEDURE,
    EV_COUNTERCLAIM,
    EV_PARTY_ADDED,
    EV_CLAIM_AMENDED,
    EV_PARTIES_NOTIFIED
};
static const char *const event_names[] = {"assigned",
                                          "designated_assignment",
                                          "reassigned",
                                          "reported_to_president",
                                          "submitted_to_professional_meeting",
                                          "submitted_to_committee",
                                          "extension_approved",
                                          "suspended",
                                          "resumed",
                                          "publication_service",
                                          "appraisal",
                                          "settlement_period",
                                          "jurisdiction_objection",
                                          "hearing",
                                          "closed",
                                          "interference_record",
                                          "supervision",
                                          "flag_confirmed",
                                          "flag_removed",
                                          "procedure_changed",
                                          "counterclaim_filed",
                                          "party_added",
                                          "claim_amended",
                                          "parties_notified"};

enum { DATA_NONE, DATA_MONTHS, DATA_DAYS, DATA_NOTIFIED, DATA_TO, DATA_CLAIM };

struct event {
    int kind;
    int64_t at, end; /* minutes since the epoch, Beijing time; end < 0: none */
    const char *actor, *reason;
    int data, data_int;
    const char *data_str;
};

struct kase {
    int type;
    struct court *c;
    int32_t filed, closed; /* closed < 0: still open at --as-of */
    const char *cause, *procedure, *org, *status;
    int division, civil_cause;
    int64_t fen; /* claim in 分, < 0: none */
    int money_style;
    unsigned flags, flags_false;
    int judges[3], n_judges, presiding;
    struct party parties[MAX_LISTED];
    int n_parties, party_total;
    struct event ev[MAX_EVENTS];
    int n_ev;
};

static int32_t as_of, window_first;
static int first_year, first_month_key;
static uint64_t event_serial;

static void add_party(struct kase *k, const char *role, int nk)
{
    if (k->n_parties < MAX_LISTED) {
        struct party *p = &k->parties[k->n_parties++];
        p->role = role;
        p->nk = nk;
        p->unknown = p->foreign = 0;
    }
    k->party_total++;
}

/* The party at index i, or the first listed with this role. */
static struct party *party_with_role(struct kase *k, const char *role)
{
    for (int i = 0; i < k->n_parties; i++)
        if (strcmp(k->parties[i].role, role) == 0)
            return &k->parties[i];
    return NULL;
}

/* Small-claims limits: 50% and 200% of the provincial average wage
 * (domain.md §2). The figures are 江苏's: 2024 for filings before
 * 2026-01-04, then 2026's. domain.md has no 广东 figure, so 粤 uses the same. */
static void wage_limits(int32_t filed, int64_t *half_fen, int64_t *double_fen)
{
    static int32_t switch_day = 0;
    if (!switch_day)
        parse_date("2026-01-04", &switch_day);
    *half_fen = filed >= switch_day ? 6461000 : 6086200;
    *double_fen = filed >= switch_day ? 25844000 : 24344800;
}

/* A log-normal claim in fen; about a third carry 分. */
static void draw_claim(struct kase *k, double median, double sigma)
{
    double yuan = lognormal(median, sigma);
    if (yuan < 100)
        yuan = 100 + rng_below(400);
    if (yuan > 5e9)
        yuan = 5e9;
    int r = rng_below(100);
    k->money_style = r < 65 ? MONEY_INT : r < 95 ? MONEY_DEC : MONEY_STRINT;
    k->fen = (int64_t)yuan * 100;
    if (k->money_style == MONEY_DEC && chance(0.8))
        k->fen += rng_below(100);
}

/* About 1.5% of money claims sit exactly on or one 分 around a limit. */
static void maybe_boundary_claim(struct kase *k)
{
    if (!chance(0.015))
        return;
    int64_t half, twice;
    wage_limits(k->filed, &half, &twice);
    int64_t base = chance(0.6) ? half : twice;
    int r = rng_below(4);
    k->fen = base + (r == 0 ? -1 : r == 1 ? 1 : 0);
    k->money_style = r >= 2 ? (r == 2 ? MONEY_INT : MONEY_DEC) : MONEY_DEC;
}

static void set_rare_flags(struct kase *k, double scale)
{
    static const struct {
        int flag;
        double p;
    } rare[] = {
        {F_MEDIA, 0.005},    {F_PETITION, 0.005},  {F_DEPUTIES, 0.002}, {F_SUPERVISED, 0.003},
        {F_NEW_TYPE, 0.003}, {F_COMPLAINT, 0.001}, {F_HMT, 0.005},      {F_NATSEC, 0.0002},
    };
    for (int i = 0; i < COUNT(rare); i++)
        if (chance(rare[i].p * scale))
            k->flags |= BIT(rare[i].flag);
}

static void make_mass(struct kase *k, const char *role, int nk)
{
    int total = 10 + (int)lognormal(8, 1.0);
    if (total > 400)
        total = 400;
    /* Up to 30 are listed; beyond that a representative suit lists a few. */
    int listed = total <= 30 ? total : rng_range(4, 8);
    for (int i = 1; i < total; i++) {
        if (i < listed)
            add_party(k, role, nk);
        else
            k->party_total++;
    }
    if (chance(0.25))
        k->flags |= BIT(F_PETITION);
}

static void civil_first_instance(struct kase *k)
{
    int level = k->c->def->level;
    if (level != BASIC) {
        /* Large commercial cases start at intermediate and high courts. */
        static const char *const big[] = {"金融借款合同纠纷", "建设工程施工合同纠纷",
                                          "买卖合同纠纷", "股权转让纠纷", "合同纠纷"};
        k->cause = ANY(big);
        draw_claim(k, level == HIGH ? 6e8 : 8e7, 0.8);
        k->procedure = "普通";
        k->org = "合议庭";
        k->division = k->cause == big[1] && level == MID ? D_CIVIL3 : D_CIVIL2;
        add_party(k, "原告", strcmp(k->cause, "金融借款合同纠纷") ? NK_COMPANY : NK_BANK);
        add_party(k, "被告", k->cause == big[1] ? NK_DEVELOPER : NK_COMPANY);
        if (chance(0.5))
            add_party(k, "被告", NK_COMPANY);
        set_rare_flags(k, 3);
        if (chance(0.03))
            k->flags |= BIT(F_FOREIGN);
        return;
    }
    if (chance(0.003)) { /* 环境民事公益诉讼 brought by the procuratorate */
        k->cause = "环境污染责任纠纷";
        draw_claim(k, 1e6, 1.0);
        k->procedure = "普通";
        k->org = "合议庭";
        k->division = D_CIVIL1;
        add_party(k, "原告", NK_PROCURATORATE);
        add_party(k, "被告", NK_COMPANY);
        k->flags |= BIT(F_PUBLIC_INTEREST);
        return;
    }
    const struct civil_cause *cc = PICK(civil_causes);
    k->civil_cause = (int)(cc - civil_causes);
    k->cause = cc->name;
    k->division = cc->division;
    if (chance(cc->p_amount)) {
        draw_claim(k, cc->median, cc->sigma);
        if (cc->money)
            maybe_boundary_claim(k);
    }
    /* Parties: mostly one on each side. */
    add_party(k, "原告", cc->plaintiff);
    if (chance(0.08))
        add_party(k, "原告", cc->plaintiff);
    if (k->civil_cause == CAUSE_TRAFFIC) {
        add_party(k, "被告", NK_PERSON); /* the driver, then the insurer */
        add_party(k, "被告", NK_INSURER);
    } else {
        add_party(k, "被告", cc->defendant);
    }
    if ((k->civil_cause == CAUSE_FIN_LOAN && chance(0.4)) || (cc->money && chance(0.12)))
        add_party(k, "被告", NK_PERSON); /* guarantor, spouse */
    if (chance(0.03))
        add_party(k, "第三人", chance(0.5) ? NK_PERSON : NK_COMPANY);
    if (chance(cc->p_mass) || chance(0.004)) {
        if (strcmp(cc->name, "物业服务合同纠纷") == 0)
            make_mass(k, "被告", NK_PERSON);
        else
            make_mass(k, "原告", cc->plaintiff == NK_PERSON ? NK_PERSON : cc->plaintiff);
    }
    /* Flags at the rates of the brief: publication ~5%, counterclaim 2%,
     * appraisal ~6%, foreign 1%, whereabouts unknown 3%, remanded 1%. */
    if (k->civil_cause == CAUSE_DIVORCE)
        k->flags |= BIT(F_PERSONAL_STATUS);
    struct party *def = party_with_role(k, "被告");
    if (def && def->nk == NK_PERSON && chance(0.035)) {
        k->flags |= BIT(F_WHEREABOUTS);
        def->unknown = 1;
    }
    if (chance(k->flags & BIT(F_WHEREABOUTS) ? 0.85 : 0.025))
        k->flags |= BIT(F_PUBLICATION);
    if (cc->money && k->civil_cause != CAUSE_FIN_LOAN && chance(0.025))
        k->flags |= BIT(F_COUNTERCLAIM);
    double p_appraisal = k->civil_cause == CAUSE_TRAFFIC        ? 0.2
                         : k->civil_cause == CAUSE_CONSTRUCTION ? 0.3
                                                                : 0.025;
    if (chance(p_appraisal))
        k->flags |= BIT(F_APPRAISAL);
    if (chance(0.01)) {
        k->flags |= BIT(F_FOREIGN);
        struct party *p = &k->parties[chance(0.5) ? 0 : k->n_parties - 1];
        p->nk = NK_FOREIGN;
        p->foreign = 1;
        p->unknown = 0;
    }
    if (chance(0.01))
        k->flags |= BIT(F_REMANDED);
    set_rare_flags(k, 1);

    /* Procedure (domain.md §2), consistent with the amount most of the time. */
    int64_t half, twice;
    wage_limits(k->filed, &half, &twice);
    unsigned no_small = BIT(F_PERSONAL_STATUS) | BIT(F_APPRAISAL) | BIT(F_FOREIGN) | BIT(F_HMT) |
                        BIT(F_WHEREABOUTS) | BIT(F_COUNTERCLAIM) | BIT(F_PUBLICATION);
    unsigned no_simple =
        BIT(F_WHEREABOUTS) | BIT(F_REMANDED) | BIT(F_PUBLIC_INTEREST) | BIT(F_PUBLICATION);
    int small_ok = cc->money && k->fen >= 0 && !(k->flags & no_small) && k->party_total < 10;
    int simple_ok = !(k->flags & no_simple) && k->party_total < 10;
    if (!simple_ok)
        k->procedure = chance(0.02) ? "简易" : "普通"; /* a few wrong, for the rules to find */
    else if (small_ok && k->fen <= half)
        k->procedure = chance(0.75) ? "小额诉讼" : "简易";
    else if (small_ok && k->fen <= twice && chance(0.08)) {
        k->procedure = "小额诉讼";
        k->flags |= BIT(F_BOTH_AGREE);
    } else if (k->fen > twice)
        k->procedure = chance(0.4) ? "普通" : "简易";
    else
        k->procedure = chance(0.005) ? "小额诉讼" : chance(0.94) ? "简易" : "普通";

    unsigned collegial = BIT(F_PUBLIC_INTEREST) | BIT(F_MEDIA) | BIT(F_NEW_TYPE);
    if (strcmp(k->procedure, "普通") != 0)
        k->org = "独任";
    else if ((k->flags & collegial) || k->party_total >= 10)
        k->org = chance(0.97) ? "合议庭" : "独任";
    else
        k->org = chance(0.6) ? "合议庭" : "独任";
    if (strcmp(k->procedure, "小额诉讼") == 0 && chance(0.5))
        k->division = D_FILING; /* 速裁团队 */
}

static void civil_appeal(struct kase *k)
{
    const struct civil_cause *cc = PICK(civil_causes);
    k->civil_cause = (int)(cc - civil_causes);
    k->cause = cc->name;
    k->division = k->civil_cause == CAUSE_CONSTRUCTION ? D_CIVIL3 : cc->division;
    if (chance(cc->p_amount))
        draw_claim(k, cc->median * (k->c->def->level == HIGH ? 40.0 : 2.0), cc->sigma);
    add_party(k, "上诉人", chance(0.5) ? cc->plaintiff : cc->defendant);
    add_party(k, "被上诉人", chance(0.5) ? cc->defendant : cc->plaintiff);
    if (chance(0.2))
        add_party(k, "第三人", NK_PERSON);
    if (k->civil_cause == CAUSE_DIVORCE)
        k->flags |= BIT(F_PERSONAL_STATUS);
    if (chance(0.01)) {
        k->flags |= BIT(F_FOREIGN);
        k->parties[0].nk = NK_FOREIGN;
        k->parties[0].foreign = 1;
    }
    set_rare_flags(k, 1);
    k->procedure = "二审";
    k->org = chance(0.8) ? "合议庭" : "独任";
}

static void civil_special(struct kase *k)
{
    static const struct {
        const char *name;
        int w;
    } causes[] = {{"申请司法确认调解协议", 60},
                  {"申请实现担保物权", 25},
                  {"申请宣告公民失踪", 5},
                  {"申请认定公民无民事行为能力", 10}};
    int i = (int)(PICK(causes) - causes);
    k->cause = causes[i].name;
    add_party(k, "申请人", NK_PERSON);
    if (i == 0)
        add_party(k, "申请人", chance(0.7) ? NK_PERSON : NK_COMPANY);
    if (i == 1) {
        add_party(k, "被申请人", NK_PERSON);
        draw_claim(k, 300000, 0.9);
    }
    k->procedure = "特别程序";
    k->org = "独任";
    k->division = D_FILING;
}

static void enforcement(struct kase *k)
{
    const struct civil_cause *cc = PICK(civil_causes);
    if (chance(0.6))
        k->cause = cc->name; /* the underlying dispute */
    k->division = D_EXEC;
    k->procedure = "执行";
    if (k->type == T_ZHIYI) {
        add_party(k, "申请人", NK_PERSON); /* 案外人 objecting */
        add_party(k, "申请执行人", cc->plaintiff);
        add_party(k, "被执行人", cc->defendant == NK_INSURER ? NK_PERSON : cc->defendant);
        k->org = "合议庭";
        return;
    }
    if (chance(0.92))
        draw_claim(k, k->type == T_ZHIBAO ? 200000 : 40000, 1.3);
    add_party(k, k->type == T_ZHIBAO ? "申请人" : "申请执行人", cc->plaintiff);
    add_party(k, k->type == T_ZHIBAO ? "被申请人" : "被执行人",
              cc->defendant == NK_INSURER ? NK_PERSON : cc->defendant);
    if (chance(0.15))
        add_party(k, k->type == T_ZHIBAO ? "被申请人" : "被执行人", NK_PERSON);
    if (chance(0.003))
        make_mass(k, "申请执行人", NK_PERSON); /* wage arrears */
    struct party *p = party_with_role(k, "被执行人");
    if (p && p->nk == NK_PERSON && chance(0.06)) {
        k->flags |= BIT(F_WHEREABOUTS);
        p->unknown = 1;
    }
    if (chance(0.03))
        k->flags |= BIT(F_PUBLICATION);
    set_rare_flags(k, 0.5);
}

static void criminal(struct kase *k)
{
    int level = k->c->def->level;
    int mid = level != BASIC;
    int i = pick_w(crimes, sizeof crimes[0],
                   mid && k->type == T_XINGCHU ? offsetof(struct crime, w_mid)
                                               : offsetof(struct crime, w_basic),
                   COUNT(crimes));
    const struct crime *cr = &crimes[i];
    k->cause = cr->name;
    k->division = mid && (i >= CRIME_FUNDRAISING && i <= CRIME_FUNDRAISING + 1) ? D_CRIM2 : D_CRIM1;
    if (k->type == T_XINGZHONG) {
        add_party(k, "上诉人", NK_PERSON);
        if (chance(0.2))
            add_party(k, "上诉人", NK_PERSON);
        if (chance(0.03)) {
            k->flags |= BIT(F_PROTEST);
            add_party(k, "公诉机关", NK_PROCURATORATE);
        }
        k->procedure = "二审";
        k->org = "合议庭";
        set_rare_flags(k, 1);
        return;
    }
    add_party(k, "公诉机关", NK_PROCURATORATE);
    int defendants = chance(0.8) ? 1 : chance(0.75) ? rng_range(2, 3) : rng_range(4, 9);
    if ((!strcmp(cr->name, "寻衅滋事罪") || !strcmp(cr->name, "开设赌场罪")) && chance(0.08)) {
        k->flags |= BIT(F_GANG);
        defendants = rng_range(10, 25);
    } else if (chance(0.004)) {
        k->flags |= BIT(F_GANG);
    }
    for (int d = 0; d < defendants; d++)
        add_party(k, "被告人", NK_PERSON);
    if (chance(cr->p_victims)) {
        add_party(k, "被害人", NK_PERSON);
        if (i == CRIME_FUNDRAISING || i == CRIME_FUNDRAISING + 1) {
            int victims = 10 + (int)lognormal(300, 1.2);
            add_party(k, "被害人", NK_PERSON);
            k->party_total += victims - 2; /* listed two of them */
        }
    }
    if (cr->p_victims > 0.7f && chance(0.2)) {
        add_party(k, "附带民事诉讼原告人", NK_PERSON);
        draw_claim(k, 80000, 1.0);
    }
    if (chance(0.005)) {
        k->flags |= BIT(F_FOREIGN);
        struct party *p = party_with_role(k, "被告人");
        p->nk = NK_FOREIGN;
        p->foreign = 1;
    }
    if (chance(0.85))
        k->flags |= BIT(F_GUILTY);
    else if (chance(0.5))
        k->flags_false |= BIT(F_GUILTY);
    if (!mid && chance(0.03))
        k->flags |= BIT(F_MINOR);
    if (mid && (!strcmp(cr->name, "故意杀人罪") || !strcmp(cr->name, "贩卖毒品罪")) && chance(0.12))
        k->flags |= BIT(F_DEATH);
    if (mid && chance(0.01))
        k->flags |= BIT(F_DETAINED3);
    if (chance(0.002))
        k->flags |= BIT(F_ACQUITTAL);
    if (chance(0.005))
        k->flags |= BIT(F_BELOW_MIN);
    set_rare_flags(k, 1);

    int guilty = (k->flags & BIT(F_GUILTY)) != 0;
    if (mid)
        k->procedure = "普通";
    else if (guilty && cr->light && !(k->flags & BIT(F_MINOR)) && chance(0.6))
        k->procedure = "速裁";
    else if (guilty && chance(0.65))
        k->procedure = "简易";
    else
        k->procedure = "普通";
    k->org = strcmp(k->procedure, "普通") == 0 ? "合议庭" : chance(0.95) ? "独任" : "合议庭";
}

static void administrative(struct kase *k)
{
    const struct admin_cause *ac = PICK(admin_causes);
    k->cause = ac->name;
    k->division = D_ADMIN;
    if (k->type == T_XZZHONG) {
        add_party(k, "上诉人", chance(0.8) ? NK_PERSON : ac->defendant);
        add_party(k, "被上诉人", ac->defendant);
        k->procedure = "二审";
        k->org = "合议庭";
        if (ac->defendant == NK_GOVERNMENT)
            k->flags |= BIT(F_PARTY_ORGAN);
        return;
    }
    add_party(k, "原告", chance(0.75) ? NK_PERSON : NK_COMPANY);
    add_party(k, "被告", ac->defendant);
    if (chance(0.1))
        add_party(k, "第三人", NK_PERSON);
    if (ac->defendant == NK_GOVERNMENT)
        k->flags |= BIT(F_PARTY_ORGAN);
    if (!strcmp(ac->name, "行政处罚") && chance(0.7))
        draw_claim(k, 1500, 1.2);
    if (!strcmp(ac->name, "房屋征收与补偿") && chance(0.05))
        make_mass(k, "原告", NK_PERSON);
    set_rare_flags(k, 1);
    int small = k->fen >= 0 && k->fen <= 200000;
    k->procedure =
        ac->simple && (small || !strcmp(ac->name, "政府信息公开")) && chance(0.6) ? "简易" : "普通";
    k->org = strcmp(k->procedure, "简易") == 0 ? "独任" : "合议庭";
}

static void preservation(struct kase *k)
{
    k->cause = "申请诉前财产保全";
    add_party(k, "申请人", chance(0.5) ? NK_COMPANY : NK_PERSON);
    add_party(k, "被申请人", chance(0.5) ? NK_COMPANY : NK_PERSON);
    draw_claim(k, 200000, 1.2);
    k->procedure = "其他";
    k->org = "独任";
    k->division = D_FILING;
}

/* Judges of the division that hears the case, all drawn by weight, so a
 * leader who hears nothing sits on no 合议庭 either. */
static void assign_judges(struct kase *k)
{
    struct court *c = k->c;
    int d = k->division;
    if (!c->div[d].present)
        d = d == D_CIVIL3 ? D_CIVIL2 : d == D_CRIM2 ? D_CRIM1 : D_CIVIL1;
    k->division = d;
    struct division *dv = &c->div[d];
    k->presiding = pick_judge(dv);
    k->judges[0] = k->presiding;
    k->n_judges = 1;
    if (k->org && strcmp(k->org, "合议庭") == 0) {
        while (k->n_judges < 3) {
            int p = pick_judge(dv);
            int dup = 0;
            for (int j = 0; j < k->n_judges; j++)
                dup |= k->judges[j] == p;
            if (!dup)
                k->judges[k->n_judges++] = p;
        }
    }
}

/* ---- time limits and events ---- */

struct limit {
    int months, days;         /* 审限 (one of the two) */
    int ext_months, ext_days; /* extension, 0: none */
    double median;            /* typical share of the limit used */
};

static struct limit case_limit(const struct kase *k)
{
    const char *p = k->procedure;
    const char *kind = case_types[k->type].kind;
    if (!strcmp(kind, "刑事")) {
        if (!strcmp(p, "速裁"))
            return (struct limit){0, 10, 0, 0, 0.6};
        if (!strcmp(p, "简易"))
            return (struct limit){0, 20, 0, 0, 0.6};
        if (!strcmp(p, "二审"))
            return (struct limit){2, 0, 2, 0, 0.6};
        return (struct limit){2, 0, 3, 0, 0.6};
    }
    if (!strcmp(kind, "行政")) {
        if (!strcmp(p, "简易"))
            return (struct limit){0, 45, 0, 0, 0.5};
        if (!strcmp(p, "二审"))
            return (struct limit){3, 0, 3, 0, 0.5};
        return (struct limit){6, 0, 3, 0, 0.4};
    }
    if (!strcmp(kind, "执行"))
        return (struct limit){k->type == T_ZHIBAO ? 0 : 6, k->type == T_ZHIBAO ? 15 : 0, 3, 0,
                              0.45};
    if (!strcmp(kind, "保全"))
        return (struct limit){0, 5, 0, 0, 0.4};
    if (!strcmp(p, "小额诉讼"))
        return (struct limit){2, 0, 1, 0, 0.4};
    if (!strcmp(p, "简易"))
        return (struct limit){3, 0, 1, 0, 0.45};
    if (!strcmp(p, "特别程序"))
        return (struct limit){0, 30, 0, 30, 0.4};
    if (!strcmp(p, "二审"))
        return (struct limit){3, 0, 3, 0, 0.55};
    return (struct limit){6, 0, 6, 0, 0.45};
}

static int64_t at_minutes(int32_t day, int from_min, int to_min)
{
    return (int64_t)day * 1440 + rng_range(from_min, to_min);
}

static int64_t office_time(int32_t day)
{
    return chance(0.5) ? at_minutes(day, 8 * 60 + 30, 12 * 60)
                       : at_minutes(day, 14 * 60 + 30, 17 * 60 + 30);
}

static struct event *add_event(struct kase *k, int kind, int64_t at)
{
    if (k->n_ev == MAX_EVENTS)
        return NULL;
    struct event *e = &k->ev[k->n_ev++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->at = at;
    e->end = -1;
    return e;
}

static const char *pid(const struct kase *k, int person)
{
    return k->c->people[person].id;
}

/* Periods that do not count against the time limit (domain.md §3). */
struct period {
    int kind;
    int32_t start, len;
};

static void plan_events(struct kase *k)
{
    struct court *c = k->c;
    struct division *dv = &c->div[k->division];
    struct limit lim = case_limit(k);
    int32_t limit_end = lim.months ? add_months(k->filed, lim.months) : k->filed + lim.days;
    int32_t limit_days = limit_end - k->filed;
    const char *kind = case_types[k->type].kind;
    int is_civil = !strcmp(kind, "民事");

    /* Excluded periods, in sequence after filing. */
    struct period per[6];
    int n_per = 0;
    int32_t cursor = k->filed + rng_range(5, 25);
    if (k->flags & BIT(F_PUBLICATION))
        per[n_per++] = (struct period){EV_PUBLICATION, 0, k->flags & BIT(F_FOREIGN) ? 60 : 30};
    if (is_civil && k->type == T_MINCHU && chance(0.015))
        per[n_per++] = (struct period){EV_JURISDICTION, 0, rng_range(20, 45)};
    if (k->flags & BIT(F_APPRAISAL))
        per[n_per++] = (struct period){EV_APPRAISAL, 0, (int32_t)lognormal(60, 0.6) + 10};
    if (is_civil && chance(0.005))
        per[n_per++] = (struct period){EV_SETTLEMENT, 0, rng_range(15, 60)};
    if (strcmp(kind, "保全") && chance(0.02))
        per[n_per++] = (struct period){EV_SUSPENDED, 0, (int32_t)lognormal(90, 0.8) + 10};
    int32_t excluded = 0;
    for (int i = 0; i < n_per; i++) {
        per[i].start = cursor;
        cursor += per[i].len + rng_range(3, 20);
        excluded += per[i].len;
    }

    /* Time used against the limit: mostly well inside it; a tail runs over. */
    double used = lognormal(lim.median * limit_days, 0.5);
    if (chance(0.04))
        used = limit_days * (1.0 + 2.0 * rng_unit());
    int32_t net = (int32_t)used + 1;
    int32_t close = next_workday(k->filed + net + excluded);
    if (close < cursor)
        close = next_workday(cursor);
    k->closed = close <= as_of ? close : -1;
    int32_t horizon = k->closed >= 0 ? k->closed : as_of; /* nothing after this */

    /* Assignment: random (through the platform) or designated. */
    int32_t assign_day = chance(0.7) ? k->filed : next_workday(k->filed + rng_range(1, 2));
    if (assign_day > horizon)
        assign_day = k->filed;
    struct event *e;
    if (chance(0.02)) {
        static const char *const why[] = {"关联案件由同一承办法官审理", "专业化审判团队集中审理",
                                          "院庭长办理"};
        e = add_event(k, EV_DESIGNATED, office_time(assign_day));
        e->actor = pid(k, dv->chief);
        e->reason = chance(0.65) ? ANY(why) : NULL;
    } else {
        e = add_event(k, EV_ASSIGNED, office_time(assign_day));
        e->actor = "随机分案系统";
    }
    if (horizon - assign_day > 10 && chance(0.015)) {
        static const char *const why[] = {"承办法官回避", "承办法官工作调动", "承办法官身体原因",
                                          "审判团队调整"};
        int32_t d = assign_day + rng_range(5, horizon - assign_day - 1);
        e = add_event(k, EV_REASSIGNED, office_time(next_workday(d)));
        e->actor = pid(k, dv->chief);
        e->reason = chance(0.9) ? ANY(why) : NULL;
        e->data = DATA_NOTIFIED;
        e->data_int = chance(0.85);
        if (e->data_int && chance(0.5))
            add_event(k, EV_PARTIES_NOTIFIED, e->at + rng_range(60, 3 * 1440));
    }

    int still_suspended = 0;
    for (int i = 0; i < n_per; i++) {
        int32_t start = next_workday(per[i].start), end = start + per[i].len;
        if (start > horizon)
            break;
        e = add_event(k, per[i].kind, office_time(start));
        if (per[i].kind == EV_SUSPENDED) {
            static const char *const why[] = {"本案须以另一案审理结果为依据",
                                              "一方当事人死亡，需等待继承人表明是否参加诉讼",
                                              "当事人因不可抗拒的事由不能参加诉讼"};
            e->reason = ANY(why);
            e->actor = pid(k, k->presiding);
            if (end <= horizon)
                add_event(k, EV_RESUMED, office_time(next_workday(end)));
            else
                still_suspended = 1;
        } else if (end <= horizon) {
            e->end = (int64_t)end * 1440 + 17 * 60;
        }
        if ((per[i].kind == EV_PUBLICATION || per[i].kind == EV_APPRAISAL) &&
            c->def->level == BASIC && is_civil && !strcmp(k->procedure, "普通") && chance(0.6)) {
            e = add_event(k, EV_PROCEDURE, office_time(start) + 30);
            e->data = DATA_TO;
            e->data_str = "普通";
            e->reason = per[i].kind == EV_PUBLICATION ? "需要公告送达" : "需要鉴定";
        }
    }
    if (k->flags & BIT(F_COUNTERCLAIM)) {
        int32_t d = k->filed + rng_range(7, 25);
        if (d <= horizon)
            add_event(k, EV_COUNTERCLAIM, office_time(next_workday(d)));
    }

    /* Hearings, between filing and closing. */
    static const char *const no_hearing[] = {"执行", "其他"};
    int hears = strcmp(k->procedure, no_hearing[0]) && strcmp(k->procedure, no_hearing[1]);
    if (hears && chance(strcmp(k->procedure, "特别程序") == 0 ? 0.2 : 0.9)) {
        int n = strcmp(k->procedure, "普通") == 0 && chance(0.3) ? 2 : 1;
        int32_t span = close - k->filed;
        for (int h = 0; h < n; h++) {
            int32_t d =
                next_workday(k->filed + (int32_t)(span * (0.35 + 0.3 * h + 0.2 * rng_unit())));
            if (d > horizon || (k->closed >= 0 && d >= k->closed))
                break;
            static const int slots[] = {9 * 60, 9 * 60 + 30, 10 * 60 + 30, 14 * 60 + 30,
                                        15 * 60 + 30};
            e = add_event(k, EV_HEARING, (int64_t)d * 1440 + ANY(slots));
            e->actor = pid(k, k->presiding);
        }
    }

    /* Extension when the limit is exceeded; a few are missing. */
    if ((lim.ext_months || lim.ext_days) && net > limit_days - 10 && chance(0.85)) {
        int32_t d = next_workday(k->filed + excluded + limit_days - rng_range(5, 15));
        if (d <= horizon && d > k->filed) {
            e = add_event(k, EV_EXTENSION, office_time(d));
            e->actor = pid(k, c->president);
            e->reason = "案情复杂，需要延长审理期限";
            if (lim.ext_months && chance(0.85)) {
                e->data = DATA_MONTHS;
                e->data_int = lim.ext_months;
            } else {
                e->data = DATA_DAYS;
                e->data_int = lim.ext_days ? lim.ext_days : lim.ext_months * 30;
            }
        }
    }

    /* 四类案件: reported and discussed, most of the time (domain.md §1). */
    int signal = (k->flags & SIGNAL_FLAGS) || k->party_total >= 10 ||
                 (k->fen >= 0 && k->fen >= INT64_C(10000000000));
    if (signal) {
        int32_t d0 = k->filed + rng_range(3, 30);
        if (chance(0.75) && d0 <= horizon) {
            e = add_event(k, EV_REPORTED, office_time(next_workday(d0)));
            e->actor = pid(k, k->presiding);
        }
        if (chance(0.4) && d0 + 1 <= horizon) {
            e = add_event(k, chance(0.9) ? EV_FLAG_CONFIRMED : EV_FLAG_REMOVED,
                          office_time(next_workday(d0 + 1)));
            e->actor = pid(k, dv->chief);
        }
        int32_t d1 = d0 + rng_range(10, 40);
        if (chance(0.55) && d1 <= horizon) {
            e = add_event(k, EV_MEETING, office_time(next_workday(d1)));
            e->actor = pid(k, dv->chief);
        }
        int must_committee = (k->flags & (BIT(F_DEATH) | BIT(F_PROTEST) | BIT(F_ACQUITTAL))) != 0;
        if (chance(must_committee ? 0.9 : 0.05) && d1 + 7 <= horizon) {
            e = add_event(k, EV_COMMITTEE, office_time(next_workday(d1 + 7)));
            e->actor = pid(k, c->president);
        }
        if (chance(0.3) && d0 + 20 <= horizon) {
            e = add_event(k, EV_SUPERVISION, office_time(next_workday(d0 + 20)));
            e->actor = pid(k, chance(0.5) ? dv->chief : c->president);
            e->reason = chance(0.5) ? "询问案件进展" : "督促在审限内结案";
        }
    }
    if (chance(0.005) && k->fen >= 0) {
        int32_t d = k->filed + rng_range(10, 40);
        if (d <= horizon) {
            e = add_event(k, EV_CLAIM_AMENDED, office_time(next_workday(d)));
            e->data = DATA_CLAIM;
        }
    }
    if (chance(0.005)) {
        int32_t d = k->filed + rng_range(10, 40);
        if (d <= horizon) {
            e = add_event(k, EV_PARTY_ADDED, office_time(next_workday(d)));
            e->reason = "追加当事人";
        }
    }
    if (chance(0.002)) { /* 干预过问 (domain.md §5), counted for the monthly report */
        int32_t d = k->filed + rng_range(5, 60);
        if (d <= horizon) {
            d = next_workday(d);
            e = add_event(k, EV_INTERFERENCE, office_time(d));
            e->actor = pid(k, k->presiding);
            e->reason = chance(0.5) ? "案外人员过问案件进展" : "领导干部打招呼";
            int y, m, dd;
            civil_from_days(d, &y, &m, &dd);
            int mi = y * 12 + m - 1 - first_month_key;
            if (mi >= 0 && mi < MAX_MONTHS)
                c->interference[mi]++;
        }
    }

    if (k->closed >= 0) {
        static const char *const civil_end[] = {"判决", "判决", "判决", "调解",
                                                "调解", "撤诉", "撤诉", "驳回起诉"};
        static const char *const exec_end[] = {"执行完毕",         "执行完毕", "终结本次执行程序",
                                               "终结本次执行程序", "终结执行", "和解长期履行"};
        static const char *const appeal_end[] = {"驳回上诉，维持原判", "驳回上诉，维持原判",
                                                 "驳回上诉，维持原判", "改判",
                                                 "发回重审",           "撤回上诉"};
        e = add_event(k, EV_CLOSED, at_minutes(k->closed, 15 * 60, 17 * 60 + 30));
        e->actor = pid(k, k->presiding);
        static const char *const admin_end[] = {"判决", "判决", "裁定驳回起诉", "撤诉"};
        static const char *const exec_review_end[] = {"裁定驳回异议", "裁定中止执行",
                                                      "裁定驳回异议"};
        e->reason = !strcmp(k->procedure, "二审") ? ANY(appeal_end)
                    : k->type == T_ZHIYI          ? ANY(exec_review_end)
                    : !strcmp(kind, "执行")       ? ANY(exec_end)
                    : !strcmp(kind, "刑事")       ? "判决"
                    : !strcmp(kind, "行政")       ? ANY(admin_end)
                    : !strcmp(kind, "保全")       ? "裁定保全"
                    : k->type == T_MINTE          ? "裁定"
                                                  : ANY(civil_end);
        k->status = "已结";
    } else {
        k->status = still_suspended ? "中止" : "在办";
    }

    /* Events in time order (insertion sort: a case has a handful). */
    for (int i = 1; i < k->n_ev; i++) {
        struct event tmp = k->ev[i];
        int j = i;
        while (j > 0 && k->ev[j - 1].at > tmp.at) {
            k->ev[j] = k->ev[j - 1];
            j--;
        }
        k->ev[j] = tmp;
    }
}

/* ---- writing a case and its events ---- */

static void emit_party(struct kase *k, const struct party *p)
{
    const struct court *c = k->c;
    const char *place = c->def->place[0] ? c->def->place : c->def->city;
    const char *city = c->def->city, *cs = c->city_short;
    char b[16], name[200];
    static const char *const kinds[] = {"自然人", "法人", "非法人组织", "机关"};
    int kind = 1;
    brand(b);
    switch (p->nk) {
    case NK_PERSON:
        snprintf(name, sizeof name, "%s", person_name());
        kind = 0;
        break;
    case NK_FOREIGN:
        snprintf(name, sizeof name, "%s", ANY(foreign_names));
        kind = 0;
        break;
    case NK_COMPANY:
        snprintf(name, sizeof name, "%s%s%s有限公司", cs, b, ANY(industries));
        break;
    case NK_BANK:
        snprintf(name, sizeof name, "%s股份有限公司%s分行", ANY(banks), cs);
        kind = 2;
        break;
    case NK_CARD:
        snprintf(name, sizeof name, "%s", ANY(card_centres));
        kind = 2;
        break;
    case NK_INSURER:
        snprintf(name, sizeof name, "%s%s中心支公司", ANY(insurers), cs);
        kind = 2;
        break;
    case NK_PROPERTY:
        snprintf(name, sizeof name, "%s%s物业管理有限公司", cs, b);
        break;
    case NK_LENDER:
        snprintf(name, sizeof name, "%s%s小额贷款有限公司", cs, b);
        break;
    case NK_DEVELOPER:
        snprintf(name, sizeof name, "%s%s房地产开发有限公司", cs, b);
        break;
    case NK_BUILDER:
        snprintf(name, sizeof name, "%s%s建设集团有限公司", cs, b);
        break;
    case NK_PROCURATORATE:
        snprintf(name, sizeof name, "%s", c->procuratorate);
        kind = 3;
        break;
    case NK_GOVERNMENT:
        snprintf(name, sizeof name, "%s人民政府", place);
        kind = 3;
        break;
    case NK_POLICE: {
        size_t n = strlen(city);
        if (strncmp(place, city, n) == 0 && strlen(place) > n + 3) /* 广州市天河区 */
            snprintf(name, sizeof name, "%s公安局%.*s分局", city, (int)(strlen(place) - n - 3),
                     place + n);
        else
            snprintf(name, sizeof name, "%s公安局", place);
        kind = 3;
        break;
    }
    default: {
        static const char *const bureaus[] = {"人力资源和社会保障局", "自然资源局",
                                              "市场监督管理局", "住房和城乡建设局"};
        snprintf(name, sizeof name, "%s%s", city, ANY(bureaus));
        kind = 3;
        break;
    }
    }
    sep();
    open_('{');
    kstr("name", name);
    kstr("role", p->role);
    if (chance(0.85))
        kstr("kind", kinds[kind]);
    if (p->unknown)
        kbool("whereabouts_unknown", 1);
    if (p->foreign)
        kbool("foreign", 1);
    close_('}');
}

static void emit_case(struct kase *k, const char *case_no)
{
    record_begin("case");
    kstr("case_no", case_no);
    if (chance(0.7))
        kstr("court", k->c->def->code);
    if (chance(0.9))
        kstr("kind", case_types[k->type].kind);
    if (k->cause) {
        kstr("cause", k->cause);
        if (!strcmp(case_types[k->type].kind, "民事") && chance(0.8))
            kstr("cause_catalog", year_of(k->filed) >= 2026 ? "2025" : "2020");
    }
    if (k->procedure)
        kstr("procedure", k->procedure);
    kdate("filing_date", k->filed);
    if (k->fen >= 0)
        kmoney("claim_amount", k->fen, k->money_style);
    key("parties");
    open_('[');
    for (int i = 0; i < k->n_parties; i++)
        emit_party(k, &k->parties[i]);
    close_(']');
    if (k->party_total > k->n_parties || chance(0.2))
        kint("party_count", k->party_total);
    if (k->flags || k->flags_false) {
        key("flags");
        open_('{');
        for (int f = 0; f < N_FLAGS; f++)
            if ((k->flags | k->flags_false) & BIT(f))
                kbool(flag_names[f], (k->flags & BIT(f)) != 0);
        close_('}');
    }
    if (k->org)
        kstr("trial_org", k->org);
    if (chance(0.97)) {
        key("judges");
        open_('[');
        for (int j = 0; j < k->n_judges; j++)
            astr(pid(k, k->judges[j]));
        close_(']');
    }
    if (chance(0.97))
        kstr("presiding", pid(k, k->presiding));
    kstr("status", k->status);
    if (k->closed >= 0)
        kdate("closing_date", k->closed);
    if (chance(0.005)) {
        key("extra");
        open_('{');
        kstr("source", "gen");
        close_('}');
    }
    record_end();
}

static int ts_shape(void)
{
    int r = rng_below(100);
    return r < 82 ? TS_LOCAL : r < 90 ? TS_OFFSET : r < 95 ? TS_UTC : r < 98 ? TS_MINUTES : TS_DATE;
}

static void emit_events(struct kase *k, const char *case_no)
{
    for (int i = 0; i < k->n_ev; i++) {
        const struct event *e = &k->ev[i];
        char id[32];
        snprintf(id, sizeof id, "E%010llu", (unsigned long long)++event_serial);
        record_begin("event");
        kstr("id", id);
        kstr("case_no", case_no);
        kstr("event", event_names[e->kind]);
        int shape = ts_shape();
        kts("at", e->at, rng_below(60), shape);
        if (e->end >= 0)
            kts("end", e->end, 0, shape);
        if (e->actor)
            kstr("actor", e->actor);
        if (e->reason)
            kstr("reason", e->reason);
        if (e->data != DATA_NONE) {
            key("data");
            open_('{');
            switch (e->data) {
            case DATA_MONTHS:
                kint("months", e->data_int);
                break;
            case DATA_DAYS:
                kint("days", e->data_int);
                break;
            case DATA_NOTIFIED:
                kbool("parties_notified", e->data_int);
                break;
            case DATA_TO:
                kstr("to", e->data_str);
                break;
            case DATA_CLAIM:
                kmoney("claim_amount", k->fen, MONEY_DEC);
                break;
            }
            close_('}');
        }
        record_end();
    }
}

static void generate_case(int32_t day)
{
    static struct kase k;
    memset(&k, 0, sizeof k);
    k.type = pick_w(case_types, sizeof case_types[0], offsetof(struct case_type, w), N_TYPES);
    k.c = pick_court(k.type);
    k.filed = day;
    k.fen = -1;
    k.civil_cause = -1;
    switch (k.type) {
    case T_MINCHU:
        civil_first_instance(&k);
        break;
    case T_MINZHONG:
        civil_appeal(&k);
        break;
    case T_MINTE:
        civil_special(&k);
        break;
    case T_XINGCHU:
    case T_XINGZHONG:
        criminal(&k);
        break;
    case T_XZCHU:
    case T_XZZHONG:
        administrative(&k);
        break;
    case T_CAIBAO:
        preservation(&k);
        break;
    default:
        enforcement(&k);
        break;
    }
    assign_judges(&k);
    plan_events(&k);

    int year = year_of(day);
    int seq = ++k.c->seq[year - first_year][k.type];
    char case_no[96];
    int fullwidth = chance(0.03);
    snprintf(case_no, sizeof case_no, "%s%d%s%s%s%d号", fullwidth ? "（" : "(", year,
             fullwidth ? "）" : ")", k.c->def->code, case_types[k.type].code, seq);
    emit_case(&k, case_no);
    emit_events(&k, case_no);
}

/* Monthly interference reports (domain.md §5): one per court and month,
 * a few months missing, some courts always reporting zero. */
static void emit_interference_reports(void)
{
    int y, m, d;
    civil_from_days(as_of, &y, &m, &d);
    int last_key = y * 12 + m - 2; /* the month before --as-of's */
    for (int i = 0; i < n_courts; i++) {
        struct court *c = &courts[i];
        for (int key_ = first_month_key; key_ <= last_key; key_++) {
            int mi = key_ - first_month_key;
            if (chance(0.04) || (i == 2 && (mi == 5 || mi == 6)))
                continue;
            int32_t report = days_from_civil((key_ + 1) / 12, (key_ + 1) % 12 + 1, 1);
            report = next_workday(report + rng_range(2, 6));
            if (report > as_of)
                continue;
            char id[64], month[16];
            snprintf(month, sizeof month, "%04d-%02d", key_ / 12, key_ % 12 + 1);
            snprintf(id, sizeof id, "IR-%s-%s", c->def->code, month);
            record_begin("event");
            kstr("id", id);
            kstr("court", c->def->code);
            kstr("event", "interference_report");
            kts("at", office_time(report), 0, TS_LOCAL);
            kstr("actor", c->people[c->president].id);
            key("data");
            open_('{');
            kstr("month", month);
            kint("count", c->zero_reporter ? 0 : c->interference[mi]);
            close_('}');
            record_end();
        }
    }
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fputs("usage: gen [--seed N] [--cases N] [--province 粤|苏] [--as-of YYYY-MM-DD] "
          "[--out FILE]\n"
          "\n"
          "Writes synthetic courts, people, cases and events as JSON Lines\n"
          "(docs/records.md). The same arguments always give the same bytes.\n"
          "\n"
          "  --seed N        PRNG seed (default 1)\n"
          "  --cases N       number of cases (default 1000)\n"
          "  --province P    粤 (广东, default) or 苏 (江苏)\n"
          "  --as-of DATE    the data's \"today\": cases are filed in the 730 days up to it,\n"
          "                  nothing happens after it (default 2026-03-31)\n"
          "  --out FILE      write to FILE instead of standard output\n",
          f);
}

static void setup_courts(const struct court_def *defs, int n)
{
    n_courts = n;
    for (int i = 0; i < n; i++) {
        struct court *c = &courts[i];
        c->def = &defs[i];
        snprintf(c->city_short, sizeof c->city_short, "%.*s", (int)strlen(defs[i].city) - 3,
                 defs[i].city);
        if (defs[i].level == HIGH) {
            snprintf(c->name, sizeof c->name, "%s高级人民法院", province_name);
            snprintf(c->procuratorate, sizeof c->procuratorate, "%s人民检察院", province_name);
        } else {
            snprintf(c->name, sizeof c->name, "%s%s%s人民法院", province_name, defs[i].place,
                     defs[i].level == MID ? "中级" : "");
            snprintf(c->procuratorate, sizeof c->procuratorate, "%s人民检察院", defs[i].place);
        }
        c->zero_reporter = i % 5 == 3;
    }
}

int main(int argc, char **argv)
{
    uint64_t seed = 1;
    long long n_cases = 1000;
    const char *province = "粤", *as_of_text = "2026-03-31", *out_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 == argc) {
            fprintf(stderr, "gen: %s: missing value\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        char *end;
        if (!strcmp(a, "--seed")) {
            seed = strtoull(v, &end, 10);
            if (*end || !*v) {
                fprintf(stderr, "gen: --seed: '%s' is not a number\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--cases")) {
            n_cases = strtoll(v, &end, 10);
            if (*end || !*v || n_cases < 0 || n_cases > 100000000) {
                fprintf(stderr, "gen: --cases: '%s' is not a number from 0 to 100000000\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--province")) {
            province = v;
        } else if (!strcmp(a, "--as-of")) {
            as_of_text = v;
        } else if (!strcmp(a, "--out")) {
            out_path = v;
        } else {
            fprintf(stderr, "gen: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (parse_date(as_of_text, &as_of) != 0) {
        fprintf(stderr, "gen: --as-of: '%s' is not a date YYYY-MM-DD\n", as_of_text);
        return 2;
    }
    if (!strcmp(province, "粤")) {
        province_name = "广东省";
        setup_courts(courts_yue, COUNT(courts_yue));
    } else if (!strcmp(province, "苏")) {
        province_name = "江苏省";
        setup_courts(courts_su, COUNT(courts_su));
    } else {
        fprintf(stderr, "gen: --province: '%s' is not 粤 or 苏\n", province);
        return 2;
    }
    out = out_path ? fopen(out_path, "w") : stdout;
    if (!out) {
        fprintf(stderr, "gen: %s: cannot open for writing\n", out_path);
        return 1;
    }
    static char obuf[1 << 20];
    setvbuf(out, obuf, _IOFBF, sizeof obuf);
    rng_seed(seed);

    window_first = as_of - 729;
    calendar_init(window_first - 400);
    int y, m, d;
    civil_from_days(window_first, &y, &m, &d);
    first_year = y;
    first_month_key = y * 12 + m - 1;

    /* Sequences of the first, partial year start where that year's earlier
     * filings would have left them. */
    int32_t year_start = days_from_civil(first_year, 1, 1);
    for (int i = 0; i < n_courts; i++) {
        double total = 0;
        for (int t = 0; t < N_TYPES; t++) {
            double share = court_type_share(&courts[i], t);
            total += share;
            courts[i].seq[0][t] = (int)(n_cases * share / 730.0 * (window_first - year_start));
        }
        courts[i].share = total;
    }

    for (int i = 0; i < n_courts; i++)
        emit_court(&courts[i], year_of(as_of));
    for (int i = 0; i < n_courts; i++)
        emit_people(&courts[i], n_cases * courts[i].share / 2.0, as_of);

    /* Cases per day: workdays weigh 25 times a weekend or holiday (online
     * filing); the rounding keeps the total exactly n_cases. */
    int64_t total_w = 0, cum = 0, emitted = 0;
    for (int32_t z = window_first; z <= as_of; z++)
        total_w += is_workday(z) ? 100 : 4;
    for (int32_t z = window_first; z <= as_of; z++) {
        cum += is_workday(z) ? 100 : 4;
        int64_t target = (int64_t)((__int128)n_cases * cum / total_w);
        for (; emitted < target; emitted++)
            generate_case(z);
    }
    emit_interference_reports();

    if (fflush(out) != 0 || ferror(out) || (out_path && fclose(out) != 0)) {
        fprintf(stderr, "gen: %s: write error\n", out_path ? out_path : "standard output");
        return 1;
    }
    return 0;
}
