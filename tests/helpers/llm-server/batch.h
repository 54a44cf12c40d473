/* batch.h: the loopback server's batch APIs (OpenAI files and batches, Anthropic message
 * batches), linked into ark-llm-server (see batch.c). */
#ifndef SRV_BATCH_H
#define SRV_BATCH_H
#include <stddef.h>
#include <microhttpd.h>

/* An option of the batch APIs with its value: 1 taken (exits on a bad value), 0 not one. */
int  srvb_option(const char *opt, const char *val);
/* The server listens on port (tls: https) and requires key (NULL: any): batch requests are
 * answered by the server's own chat endpoints there. */
void srvb_start(unsigned port, int tls, const char *key);
/* A request for the batch APIs: 1 answered (*ret set), 0 not one of theirs. */
int  srvb_handle(struct MHD_Connection *c, const char *url, const char *method,
                 const char *body, size_t len, enum MHD_Result *ret);
void srvb_free(void);
/* The options' usage lines. */
extern const char srvb_usage[];
#endif
