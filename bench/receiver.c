/*
 * receiver.c -- the webhook receiver for bench/deliver.sh: answers every POST
 * with 200 at once (libmicrohttpd, a thread pool), and optionally a "dead"
 * endpoint that accepts connections and never answers.
 *
 * usage: receiver PORT_FILE [DEAD_PORT_FILE]
 *
 * Each file receives the port chosen by the kernel (written to NAME.tmp and
 * renamed, so a reader never sees half a number). Runs until SIGTERM/SIGINT,
 * then prints how many requests it answered.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

static atomic_long answered;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload;
    static int marker;
    if (!*state) { /* headers only: wait for the body */
        *state = &marker;
        return MHD_YES;
    }
    if (*upload_size) { /* body bytes: discard */
        *upload_size = 0;
        return MHD_YES;
    }
    static const char reply[] = "{\"ok\":true}";
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof reply - 1, (void *)reply,
                                                             MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "content-type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    atomic_fetch_add(&answered, 1);
    return ret;
}

static void write_port(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        perror(path);
        exit(1);
    }
}

/* Accepts connections and keeps them open, never reading: a receiver that
 * hangs, as a crashed or overloaded one does. */
static void *dead_listener(void *arg)
{
    int fd = *(int *)arg;
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0 && stop)
            break;
    }
    return NULL;
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("dead listener");
        exit(1);
    }
    *port = ntohs(a.sin_port);
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: receiver PORT_FILE [DEAD_PORT_FILE]\n");
        return 2;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int port;
    int probe = listen_loopback(&port); /* a free port for MHD */
    close(probe);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, handle, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, 2u,
        MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "receiver: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    write_port(argv[1], port);
    pthread_t dead;
    int dead_fd = -1, dead_port;
    if (argc > 2) {
        dead_fd = listen_loopback(&dead_port);
        pthread_create(&dead, NULL, dead_listener, &dead_fd);
        pthread_detach(dead);
        write_port(argv[2], dead_port);
    }
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    printf("answered %ld\n", (long)atomic_load(&answered));
    return 0;
}
