/*
 * serve.c -- the daemon's life: start, signals, stop (see serve.h).
 */
#include "serve.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "db_eval.h"
#include "http_api.h"
#include "log.h"
#include "metrics.h"

static void reload_on_signal(engine *e)
{
    http_reply reply = {0};
    http_api_reload(e, "signal:SIGHUP", &reply); /* logged and audited by the engine */
    json_decref(reply.json);
}

cr_status serve_run(const serve_config *cfg, cr_err *err)
{
    /* Before any thread exists, so every thread inherits the mask and only
     * daemon_wait_signal sees these signals. */
    daemon_block_signals();
    cr_db *check = NULL;
    cr_status st = db_open(cfg->db_path, DB_OPEN_EXISTING, &check, err);
    db_close(check);
    if (st != CR_OK)
        return st;
    int lock = -1;
    if ((st = daemon_lock(cfg->db_path, cfg->http.listen, &lock, err)) != CR_OK)
        return st;
    engine *e = NULL;
    http_server *http = NULL;
    daemon_jobs *jobs = NULL;
    engine_config ecfg = {.db_path = cfg->db_path,
                          .rules_dir = cfg->rules_dir,
                          .plugins_dir = cfg->plugins_dir,
                          .cal = cfg->cal,
                          .slots = cfg->workers};
    http_config hcfg = cfg->http;
    hcfg.threads = (unsigned)cfg->workers;
    st = engine_open(&ecfg, &e, err);
    if (st == CR_OK)
        st = http_start(&hcfg, e, &http, err);
    if (st == CR_OK && !(jobs = daemon_jobs_new(cfg->db_path)))
        st = cr_errf(err, CR_FAIL, "out of memory");
    if (st == CR_OK)
        st = serve_register_jobs(jobs, e, cfg, err);
    if (st == CR_OK) {
        json_t *status = engine_status(e);
        log_event("info", "listening",
                  json_pack("{s:s, s:i, s:i, s:i, s:s, s:O}", "listen", cfg->http.listen, "port",
                            (int)http_port(http), "pid", (int)getpid(), "workers", cfg->workers,
                            "db", cfg->db_path, "rules", json_object_get(status, "fingerprint")));
        json_decref(status);
        for (;;) {
            int sig = daemon_wait_signal();
            if (sig == SIGHUP) {
                reload_on_signal(e);
                continue;
            }
            log_event("info", "stopping",
                      json_pack("{s:s}", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
            break;
        }
    }
    http_stop(http);        /* requests in progress answer first */
    daemon_jobs_stop(jobs); /* running passes finish and commit */
    serve_jobs_free();
    engine_close(e);
    daemon_unlock(cfg->db_path, lock);
    if (st == CR_OK)
        log_event("info", "stopped", NULL);
    return st;
}
