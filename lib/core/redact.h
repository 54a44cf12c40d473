/* redact.h: secrets taken out of text before it is stored, logged or shown.
 *
 * The one redaction of the project: an API key, a header value, a URL's password.  A server that
 * echoes a key often echoes only part of it, and a message is often cut to fit a buffer, so a
 * secret is matched by its pieces, not only whole: every run of 8 bytes or more of the text that
 * is also a run of one of the secrets is covered (a secret of 4 to 7 bytes only where it appears
 * whole; shorter ones are not looked for, since a one-letter "secret" would mangle every text).
 * Each stretch of covered bytes becomes "[redacted]" when it is at least that long, else as many
 * '*': the text never grows, so redaction works in place.  Redact the whole text first, then cut
 * it (ark_redact_into does both in that order): a cut made first can leave a piece too short to
 * be recognised.
 *
 * Cost: one probe of a table of the secrets' 4-byte pieces every 4 bytes of text, so a 4 MiB reply
 * is redacted in a few milliseconds; the secrets may be a few kilobytes in all.
 */
#ifndef ARK_REDACT_H
#define ARK_REDACT_H
#include <stddef.h>

#define ARK_SECRETS_MAX 16
#define ARK_SECRET_MIN  4      /* shorter secrets are not looked for */
#define ARK_SECRET_RUN  8      /* a run this long of a secret is redacted wherever it stands */

/* A list of secrets: pointers into the caller's memory (not copied; they must outlive the
 * redaction calls), each with its length, so a piece of a larger string (a spec's key= value, a
 * URL's password) can be one. */
typedef struct ark_secrets {
	const char *p[ARK_SECRETS_MAX];
	size_t len[ARK_SECRETS_MAX];
	size_t n;
} ark_secrets;

void ark_secrets_init(ark_secrets *s);
/* Add a secret of len bytes (NULL or shorter than ARK_SECRET_MIN: nothing to add, 0).  -1 when the
 * list is full: the caller must not show text it cannot redact. */
int  ark_secrets_add(ark_secrets *s, const char *p, size_t len);
int  ark_secrets_adds(ark_secrets *s, const char *p);      /* a NUL-terminated one */
/* The secrets of a URL (pointers into url): the password of user:password@ (or the whole
 * user part when it has no ':', a token), and each value of its ?query.  -1 when the list is
 * full. */
int  ark_secrets_url(ark_secrets *s, const char *url);
int  ark_secrets_urln(ark_secrets *s, const char *url, size_t len);   /* url[0, len) */

/* Redact the NUL-terminated s in place.  Returns the number of bytes covered (0: nothing found).
 * Should memory run out, every byte of s becomes '*' (never text that may hold a secret). */
size_t ark_redact(char *s, const ark_secrets *sec);
/* Redact src[0, len) into dst, then cut it to size - 1 bytes (size > 0) and end it with a NUL;
 * dst may be src.  Returns the redacted length before the cut. */
size_t ark_redact_into(char *dst, size_t size, const char *src, size_t len, const ark_secrets *sec);

#endif
