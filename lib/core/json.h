/* json.h: a small mutable JSON tree over yajl.
 *
 * Parsing uses yajl's event parser; output uses yajl_gen.  Numbers keep the exact text they were
 * read with (so 12345678901234567890 and 0.1000000000000000055 round-trip byte for byte); objects
 * keep key order and every field, known or not.  Strings are byte strings with a length (they may
 * contain NUL); yajl checks UTF-8 on input.
 */
#ifndef ARK_JSON_H
#define ARK_JSON_H
#include <stddef.h>
#include "core/buf.h"

typedef enum { JV_NULL, JV_FALSE, JV_TRUE, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT } jv_type;

typedef struct jv jv;
struct jv {
	jv_type t;
	union {
		/* JV_STRING, and JV_NUMBER's raw text; s points at small when the text fits there
		 * (most numbers and short strings: one allocation a value instead of two) */
		struct { char *s; size_t len; char small[24]; } str;
		struct { jv **v; size_t n, cap; } arr;
		struct { char **k; size_t *klen; jv **v; size_t n, cap; } obj;
	} u;
};

/* Parse exactly one JSON value from buf[0..len).  NULL on error with a message in err
 * ("invalid json at byte 17: ..."), including trailing garbage after the value. */
jv  *jv_parse(const char *buf, size_t len, char *err, size_t errlen);
/* Parse, keeping only some fields: the whole text is checked as by jv_parse, but only the
 * listed keys of the top-level object are built.  keep is an array ended by {NULL, NULL}; an
 * entry's sub, when not NULL, selects in the same way inside that field's value (an object, or
 * each object of an array), so {"turns", turn_keys} keeps only turn_keys of every turn.  keep
 * NULL keeps everything.  Read-only tools use it to skip the long texts they never look at. */
typedef struct jv_select {
	const char *key;
	const struct jv_select *sub;
} jv_select;
jv  *jv_parse_select(const char *buf, size_t len, const jv_select *keep, char *err,
                     size_t errlen);

/* Check that buf[0..len) is exactly one JSON value, as jv_parse would, without building a tree.
 * 0 or -1 with the same message jv_parse gives. */
int  jv_check(const char *buf, size_t len, char *err, size_t errlen);
void jv_free(jv *v);
jv  *jv_dup(const jv *v);

/* Constructors: NULL only when out of memory. */
jv *jv_null(void);
jv *jv_bool(int b);
jv *jv_number(double d);            /* shortest text that reads back as the same double */
jv *jv_int(long long i);
jv *jv_number_raw(const char *s);   /* s must be a valid JSON number */
jv *jv_string(const char *s);
jv *jv_stringn(const char *s, size_t n);
jv *jv_array(void);
jv *jv_object(void);

/* Objects.  set takes ownership of val (freed on failure) and replaces an existing key in place,
 * keeping its position; a new key goes last.  Returns 0 or -1. */
jv  *jv_get(const jv *obj, const char *key);          /* NULL when absent or obj not an object */
int  jv_set(jv *obj, const char *key, jv *val);
int  jv_del(jv *obj, const char *key);                /* 1 removed, 0 absent */
/* Arrays */
int    jv_push(jv *arr, jv *val);                     /* takes ownership */
size_t jv_len(const jv *v);                           /* array or object length, else 0 */
jv    *jv_at(const jv *arr, size_t i);                /* NULL when out of range */

/* Typed reads.  Return 0 on success, -1 when v is NULL or of another type. */
const char *jv_str(const jv *v);                      /* NULL unless a string */
int jv_num(const jv *v, double *out);                 /* numbers only */
int jv_ll(const jv *v, long long *out);               /* integers only (no fraction/exponent) */
int jv_truthy(const jv *v);                           /* true, nonzero number, nonempty string */
const char *jv_type_name(jv_type t);                  /* "string", "object", ... */
/* The type as messages say it: "null", "a boolean", "a number", "a string", "an array",
 * "an object" ('"turns" is an object, not an array'). */
const char *jv_type_a(jv_type t);

/* Convenience getters on objects: the field's value, or dflt when absent/mistyped. */
const char *jv_get_str(const jv *obj, const char *key);  /* NULL when absent or not a string */
double      jv_get_num(const jv *obj, const char *key, double dflt);
long long   jv_get_ll(const jv *obj, const char *key, long long dflt);

/* Serialise compactly (no spaces, no trailing newline), appending to out.  0 or -1. */
int jv_dump(const jv *v, ark_buf *out);

/* The one JSON string escaper, byte for byte as jv_dump writes a string: jv_escape appends the
 * escaped bytes of s[0..n) without quotes (so the pieces of a text can be escaped apart and
 * written one after the other), jv_put_string the whole string with its quotes.  0 or -1. */
int jv_escape(const char *s, size_t n, ark_buf *out);
int jv_put_string(const char *s, size_t n, ark_buf *out);

#endif
