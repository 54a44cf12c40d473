/* text.h: reading a model's reply, for the grader (grade.c, mathnorm.c) and the ranking parser
 * (rank.c): the parts no answer is read from, Unicode signs and digits in their ASCII spelling,
 * and the locale-free string helpers they share.  Everything here is linear in its input.
 *
 * Not read as the answer (ark_text_clean):
 *   - reasoning blocks: <think>...</think> (also <thinking>, <reasoning>), any case; a closing
 *     tag without an opening one ends a reasoning block that began with the reply; an opening
 *     tag that is never closed runs to the end (the reply was cut off while reasoning);
 *   - quoted lines: a line whose first non-blank byte is '>' (a markdown quote of another
 *     agent's text or of the question).
 */
#ifndef ARK_TEXT_H
#define ARK_TEXT_H
#include <stddef.h>
#include "core/buf.h"

static inline int a_digit(int c) { return c >= '0' && c <= '9'; }
static inline int a_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static inline int a_alnum(int c) { return a_digit(c) || a_alpha(c); }
static inline int a_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static inline int a_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
static inline int a_upper(int c) { return (c >= 'a' && c <= 'z') ? c - 32 : c; }
static inline int a_punct(int c) { return c > 32 && c < 127 && !a_alnum(c); }

/* The reply without its reasoning blocks and quoted lines.  0 when there is nothing to drop
 * (*out NULL: use the text as it is), 1 with a malloc'd NUL-terminated copy in *out (*outn
 * bytes), -1 out of memory. */
int ark_text_clean(const char *s, size_t n, char **out, size_t *outn);

/* Unicode signs in their ASCII or LaTeX spelling: minus and dashes, times, dots, pi, roots,
 * infinity, degrees, division, fractions, spaces, full-width punctuation, curly quotes, currency
 * signs (as '$'), and digits: full-width, Arabic-Indic and Devanagari digits and subscripts as
 * ASCII digits, a run of superscripts as "^" and its digits ("10⁻³" -> "10^-3").  Takes s
 * (frees it), returns the new string; NULL in, NULL out. */
char *ark_text_fold(char *s);

/* Case-insensitive (ASCII) comparison of n bytes. */
int         ark_text_ci_eq(const char *a, const char *b, size_t n);
/* First / last case-insensitive occurrence of pat (m bytes) in [s, e), or NULL. */
const char *ark_text_find(const char *s, const char *e, const char *pat, size_t m);
const char *ark_text_rfind(const char *s, const char *e, const char *pat, size_t m);

/* A set of at most ARK_TEXT_PATS_MAX patterns made ready for ark_text_find_all once (by
 * ark_text_pats_init; the patterns are not copied and must outlive it), so that a search looks
 * at a fraction of the text's bytes. */
#define ARK_TEXT_PATS_MAX 64
typedef struct ark_text_pats {
	const char *const *pats;
	size_t n, m, len[ARK_TEXT_PATS_MAX];
	unsigned char shift[1024];
	signed char bhead[1024], bnext[ARK_TEXT_PATS_MAX];
} ark_text_pats;
void ark_text_pats_init(ark_text_pats *t, const char *const *pats, size_t n);
/* Every case-insensitive occurrence in [s, e) of any of t's patterns, in one pass: hit(arg, k,
 * at) for pattern k found at `at`, in text order (at one place, in pattern order). */
void ark_text_find_all(const char *s, const char *e, const ark_text_pats *t,
                       void (*hit)(void *arg, size_t k, const char *at), void *arg);

/* Rewriting helpers: each takes s (frees it) and returns the new string; NULL in, NULL out, so
 * calls chain.  repl: every occurrence of from; repl_cmd: a LaTeX command only where no letter
 * follows ("\left" does not eat "\leftarrow"); unwrap: \name{X} -> X for every group of one of
 * the n commands, nested ones too, in one pass (an unclosed group loses the command and its
 * brace and keeps the rest). */
char *ark_text_repl(char *s, const char *from, const char *to);
char *ark_text_repl_cmd(char *s, const char *name, const char *to);
char *ark_text_unwrap(char *s, const char *const *names, size_t n);
/* Trim ASCII space in place; returns s. */
char *ark_text_trim(char *s);
/* End a rewrite: the buffer's string (NUL-terminated, even when empty) replaces s, which is
 * freed; NULL when any append failed (bad). */
char *ark_text_finish(ark_buf *b, int bad, char *s);

/* p points at '{': the matching '}' before limit (NULL: the end of the string), else NULL.
 * Escaped braces (\{ \}) do not count. */
const char *ark_text_brace(const char *p, const char *limit);

#endif
