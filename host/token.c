/*
 * token.c -- API bearer tokens (see token.h).
 */
#include "token.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "casenum.h"

static const struct {
    const char *name;
    int perms;
} roles[] = {
    {"reader", TOKEN_READ},
    {"filer", TOKEN_READ | TOKEN_FILE},
    {"operator", TOKEN_READ | TOKEN_OPERATE},
    {"admin", TOKEN_READ | TOKEN_FILE | TOKEN_OPERATE | TOKEN_ADMIN},
};

int token_role_perms(const char *role)
{
    for (size_t i = 0; role && i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(role, roles[i].name) == 0)
            return roles[i].perms;
    return 0;
}

const char *token_role_names(void)
{
    return "reader, filer, operator, admin";
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

cr_status token_generate(char out[TOKEN_TEXT_LEN + 1], cr_err *err)
{
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return cr_errf(err, CR_FAIL, "token: the random generator failed");
    memcpy(out, "crt_", 4);
    hex(raw, sizeof raw, out + 4);
    return CR_OK;
}

/* SHA-256 fetched from the provider once: EVP_sha256() makes every digest
 * look the algorithm up again, under a lock the request threads contend for
 * (a token is hashed on every authenticated request). Kept for the process's
 * life; NULL if the fetch failed, and then EVP_sha256() is used. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void token_hash(const char *token, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    pthread_once(&sha256_once, fetch_sha256);
    EVP_Digest(token, strlen(token), md, &n, sha256_md ? sha256_md : EVP_sha256(), NULL);
    hex(md, n, out);
}

int token_well_formed(const char *text)
{
    if (!text || strlen(text) != TOKEN_TEXT_LEN || strncmp(text, "crt_", 4) != 0)
        return 0;
    for (const char *p = text + 4; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int token_scope_check(const char *scope, char *why, size_t whylen)
{
    if (scope && strcmp(scope, "*") == 0)
        return 0;
    if (!scope || !*scope) {
        snprintf(why, whylen, "empty; give a court code (粤07) or '*' for every court");
        return -1;
    }
    return court_code_check(scope, why, whylen);
}

int token_covers(const char *scope, const char *court)
{
    if (strcmp(scope, "*") == 0)
        return 1;
    return court && *court && strncmp(court, scope, strlen(scope)) == 0;
}

int token_scope_within(const char *narrow, const char *scope)
{
    if (strcmp(scope, "*") == 0)
        return 1;
    if (strcmp(narrow, "*") == 0)
        return 0;
    return token_covers(scope, narrow);
}
