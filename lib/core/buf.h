/* buf.h: growable byte buffers with a hard cap, and error-message formatting.
 *
 * The library never prints and never exits.  A function that can fail returns -1 (or NULL) and,
 * where it takes (char *err, size_t errlen), writes one lower-case sentence there that the tool
 * prefixes with its name.
 */
#ifndef ARK_BUF_H
#define ARK_BUF_H
#include <stddef.h>
#include <stdarg.h>

#define ARK_FMT(a, b) __attribute__((format(printf, a, b)))

/* ark_buf: always NUL-terminated once anything was added.  `cap_max` 0 means ARK_BUF_MAX. */
#define ARK_BUF_MAX ((size_t)1 << 30)
typedef struct ark_buf {
	char  *p;
	size_t len, cap, cap_max;
} ark_buf;
#define ARK_BUF_INIT { NULL, 0, 0, 0 }

void  ark_buf_init(ark_buf *b);
int   ark_buf_grow(ark_buf *b, size_t extra);          /* -1 when the cap would be passed */
int   ark_buf_add(ark_buf *b, const void *p, size_t n);
int   ark_buf_adds(ark_buf *b, const char *s);
int   ark_buf_addc(ark_buf *b, char c);
int   ark_buf_addf(ark_buf *b, const char *fmt, ...) ARK_FMT(2, 3);
int   ark_buf_vaddf(ark_buf *b, const char *fmt, va_list ap) ARK_FMT(2, 0);
void  ark_buf_reset(ark_buf *b);                         /* len = 0, keeps memory */
char *ark_buf_take(ark_buf *b);                          /* caller owns; b is empty again */
void  ark_buf_release(ark_buf *b);                       /* frees memory */

/* Write a message into err (if non-NULL); always returns -1 so callers can `return ark_errf(..)`. */
int ark_errf(char *err, size_t errlen, const char *fmt, ...) ARK_FMT(3, 4);

/* Room for element n of the array *pp (a pointer to any element type, elem bytes each) of
 * capacity *cap: the capacity doubles (from `first`) until it exceeds n.  0, or -1 out of memory
 * with the array and *cap as they were.  The growth rule for the library's arrays (those grown
 * in step with others, one capacity for several, keep their own):
 *     if (ark_grow(&s->v, s->n, &s->cap, sizeof *s->v, 16) != 0) return -1;
 *     s->v[s->n++] = x;                                                                      */
int ark_grow(void *pp, size_t n, size_t *cap, size_t elem, size_t first);

/* Allocation that reports failure rather than exiting: NULL on failure. */
char *ark_strndup(const char *s, size_t n);

/* Append to b as ark_buf_addf does, for the conversions %s, %c, %d, %ld, %zu and %% only (no
 * flags, widths or precisions), without vsnprintf, which formats a long %s argument twice: the
 * debate prompts and the simulator's replies are written with it.  0, or -1 (out of memory or
 * a conversion it does not know). */
int  ark_sfmt(ark_buf *b, const char *fmt, ...) ARK_FMT(2, 3);
#endif
