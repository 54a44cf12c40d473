/* jscan.h: check a JSON text in one pass and walk it by byte spans, without building a tree.
 *
 * For tools that read large logs and change little in each record (ark-l1 adds a few fields to
 * records of tens of kilobytes): the record's bytes pass through as they are and the new fields
 * are spliced in.  jscan_check accepts what the yajl-based jv_parse accepts (the same grammar,
 * the same UTF-8 rule, the same nesting cap), except that it refuses an unfinished token after
 * the value, which yajl lets through; the walkers assume a checked text.  A splice collects
 * edits to the spans of a text and writes the text with them applied.
 */
#ifndef ARK_JSCAN_H
#define ARK_JSCAN_H
#include <stddef.h>
#include "core/buf.h"
#include "core/json.h"

#define JSCAN_MAX_DEPTH 120

/* A value in the text: p its first byte, n its length; t its type (JV_NULL when absent, p NULL). */
typedef struct jspan {
	const char *p;
	size_t n;
	jv_type t;
} jspan;

/* Is s[0..n) exactly one JSON value (surrounding blanks allowed)?  0 yes; -1 with
 * "invalid json near byte K: reason" in err. */
int jscan_check(const char *s, size_t n, char *err, size_t errlen);

/* The value that starts at p (blanks skipped) in a checked text. */
jspan jscan_value(const char *p);

/* Members of an object / elements of an array (v from jscan_value or an iterator), in order.
 * next returns 1 and fills key (a string span, quotes included) and val, or 0 at the end. */
typedef struct jscan_it { const char *p; } jscan_it;
void jscan_members(jscan_it *it, jspan obj);
int  jscan_next_member(jscan_it *it, jspan *key, jspan *val);
void jscan_elements(jscan_it *it, jspan arr);
int  jscan_next_element(jscan_it *it, jspan *val);

/* Does the key span (quotes included) spell name?  Keys with escapes are compared decoded. */
int  jscan_key_is(jspan key, const char *name);

/* Append the decoded bytes of a string span to out, exactly as jv_parse (yajl) decodes the same
 * string, invalid surrogates included: a high surrogate escape followed by another \u escape is
 * combined with it, one followed by anything else becomes '?', a lone low surrogate is encoded
 * as its three bytes.  0 or -1 (out of memory or over the buffer's cap). */
int  jscan_unescape(jspan str, ark_buf *out);

/* An integer number span (no fraction or exponent) that fits a long long: 0 and *out, else -1. */
int  jscan_ll(jspan v, long long *out);

/* ---- splicing ------------------------------------------------------------------------------
 *
 * Edits to a text: each replaces del bytes at `at` (0: inserts there) with the bytes put between
 * jscan_edit_begin and jscan_edit_end.  Edits do not nest and do not overlap; they may be made in
 * any order.  jscan_splice_apply writes the text with every edit applied, in order of position
 * (edits at one position in the order they were made).  A failed allocation is remembered and
 * makes apply fail, so the puts need no checks. */
typedef struct jscan_edit { const char *at; size_t del, off, len; } jscan_edit;
typedef struct jscan_splice {
	jscan_edit *e;
	size_t n, cap;
	ark_buf ins;                   /* the new bytes of every edit, one after the other */
	int bad;                       /* an allocation failed */
} jscan_splice;
#define JSCAN_SPLICE_INIT { NULL, 0, 0, ARK_BUF_INIT, 0 }

void jscan_splice_reset(jscan_splice *sp);     /* no edits, for the next text; keeps memory */
void jscan_splice_release(jscan_splice *sp);
void jscan_edit_begin(jscan_splice *sp, const char *at, size_t del);
void jscan_edit_end(jscan_splice *sp);
/* Begin the edit that sets member key of the object obj: old is its value (from the walker) or,
 * when old.p is NULL, "key": is added after the last member.  The caller puts the value and
 * ends the edit.  key is written as it is: a name with nothing to escape. */
void jscan_edit_member(jscan_splice *sp, jspan obj, jspan old, const char *key);
void jscan_put(jscan_splice *sp, const char *s, size_t n);
void jscan_puts(jscan_splice *sp, const char *s);
void jscan_put_int(jscan_splice *sp, long long v);        /* in decimal, as %lld */
/* out = text[0..len) with the edits applied.  0, or -1 (out of memory, now or in a put). */
int  jscan_splice_apply(jscan_splice *sp, const char *text, size_t len, ark_buf *out);

#endif
