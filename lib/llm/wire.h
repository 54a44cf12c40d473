/* wire.h: what goes over the wire for the HTTP backends, apart from the transport: the request
 * body of a call (OpenAI-compatible chat completions, Anthropic messages) and the reading of a
 * 2xx reply into the call's out fields.  lib/llm/http.c sends what these write; a writer of
 * batch files can use the same two functions.
 *
 * A body is written straight into the caller's buffer: the member's fixed parts (model, limits,
 * sampling parameters, stop sequences, log-probabilities, extra fields) are laid out once in an
 * ark_body, and each call adds its messages, escaped by the one escaper (jv_escape), and its
 * seed.  The bytes are those of the body built as a JSON tree and dumped (the previous way,
 * which tests/unit/test-wire.c keeps as the reference): field order, number texts, an extra
 * field replacing a field of the same name in its place.  A member whose extra fields name
 * "messages", "seed" or "system" falls back to building that tree for every call.
 *
 * An ark_body takes the member's fields when it is made; ark_body_fits tells whether it still
 * fits the member at that address (a member changed, or freed and another made in its place,
 * needs a new one).
 */
#ifndef ARK_WIRE_H
#define ARK_WIRE_H
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "llm/llm.h"

#define ARK_MAX_TOKENS_DEFAULT 4096   /* max_tokens of a member that sets none */

typedef struct ark_body ark_body;

/* The fixed parts of member m's bodies.  NULL when out of memory. */
ark_body *ark_body_new(const ark_member *m);
/* Append the body of one call with msgs (esc: NULL, or their contents escaped, ark_call.esc,
 * copied as they are), the call's seed (ark_call.seed) and what it keeps (ark_call.keep, NULL
 * nothing; read only for an Anthropic member with cache-control=on: the system text and the end
 * of the kept part marked for the prompt cache) to out.  0 or -1 (out of memory, or past out's
 * cap). */
int       ark_body_write(const ark_body *b, const ark_msg *msgs, const ark_esc *esc, size_t nmsg,
                         uint64_t seed, const ark_keep *keep, ark_buf *out);
void      ark_body_free(ark_body *b);
/* 1 when b was made from m as m is now (same address, fields and texts), else 0. */
int       ark_body_fits(const ark_body *b, const ark_member *m);

/* The body of call c (its member, messages and seed), appended to out, without keeping the
 * member's fixed parts: ark_body_new, ark_body_write, ark_body_free.  0 or -1. */
int  ark_http_body(const ark_call *c, ark_buf *out);

/* The seed a body carries: the member's fixed seed, or the call's seed folded into 31 bits
 * (llama.cpp and some proxies take only 32-bit seeds); -1 when the member sends none. */
long long ark_wire_seed(const ark_member *m, uint64_t seed);

/* Fill the out fields of c (text, reasoning, finish, served_model, fingerprint, the token counts,
 * logprobs when c's member asked for them) from a 2xx reply body of c's member's protocol.
 * 0, or -1 with "malformed response: ..." in why; on -1 the out fields may be partly set
 * (ark_call_release frees them). */
int  ark_reply_parse(ark_call *c, const char *body, size_t len, char *why, size_t whylen);

#endif
