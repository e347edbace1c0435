/*
 * LD_PRELOAD for wrk: every TLS connection does a full handshake.
 *
 * wrk closes a TLS connection with SSL_shutdown + SSL_clear and reconnects with the same SSL object. SSL_clear keeps
 * the session of a cleanly shut down connection, so the next SSL_connect offers it back and the server resumes it
 * (TLS 1.3 PSK): with tickets on, 99% of wrk's "Connection: close" requests are resumptions. Dropping the session
 * after SSL_clear makes each connection a full handshake without changing anything on the server under test.
 * Built by perf/lib/common.sh (make_no_resume) into the run's temp dir.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

int SSL_set_session(SSL *s, SSL_SESSION *session);

int SSL_clear(SSL *s)
{
    static int (*real_clear)(SSL *);
    int result;

    if (real_clear == NULL) {
        real_clear = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_clear");
    }

    result = real_clear(s);
    SSL_set_session(s, NULL);
    return result;
}
