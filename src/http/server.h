/* The HTTP server: libevent evhttp, one event loop per thread, all bound to
 * the same port with SO_REUSEPORT. The only file including libevent is
 * server.c. */
#ifndef OG_SERVER_H
#define OG_SERVER_H

#include "sys/config.h"
#include "store/store.h"

/* Serves until SIGINT or SIGTERM; returns 0 on a clean stop, 1 when it could
 * not start (the reason is logged). */
int http_serve(const struct og_config *cfg, struct og_store *st);

#endif
