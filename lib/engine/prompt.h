/* prompt.h: prompt templates with {{name}} substitution.
 *
 * A template set is a directory of text files, one per role and round kind, named NAME.txt
 * (share/ark/prompts/ holds the shipped set).  Loading a second directory over a set replaces the
 * templates it holds and keeps the others, so --prompts DIR may override only a few.  One trailing
 * newline of each file is dropped.
 *
 * Rendering replaces {{name}} (letters, digits, '-', '_', optional spaces inside the braces) with
 * the value given for name; a name with no value is an error, never an empty string, so a typo in
 * a template is caught on the first call.  Any other text, including a lone "{{", is copied.
 */
#ifndef ARK_PROMPT_H
#define ARK_PROMPT_H
#include <stddef.h>
#include "core/buf.h"

typedef struct ark_prompts ark_prompts;

ark_prompts *ark_prompts_new(void);                       /* an empty set; NULL out of memory */
/* Load every *.txt file of dir into p (later loads override).  Returns the number of templates
 * read, or -1 with a message (unreadable directory or file, a file over 1 MiB). */
int          ark_prompts_load(ark_prompts *p, const char *dir, char *err, size_t errlen);
/* Add or replace one template (tests, built-in fallbacks).  0 or -1. */
int          ark_prompts_set(ark_prompts *p, const char *name, const char *text);
const char  *ark_prompts_get(const ark_prompts *p, const char *name);   /* NULL when absent */
/* Check that every name in names[0..n) is present; -1 naming the first missing one. */
int          ark_prompts_require(const ark_prompts *p, const char *const *names, size_t n,
                                 char *err, size_t errlen);
void         ark_prompts_free(ark_prompts *p);

typedef struct ark_pvar { const char *name; const char *value; } ark_pvar;

/* Append tmpl with its {{name}}s replaced to out.  0, or -1 with a message naming the unknown
 * variable (tname names the template in the message). */
int ark_prompt_render(const char *tname, const char *tmpl, const ark_pvar *vars, size_t nvars,
                      ark_buf *out, char *err, size_t errlen);
/* The same, and *at the offset in out where the value of variable name was first put (its
 * first {{name}}), or (size_t)-1 when the template has none. */
int ark_prompt_render_at(const char *tname, const char *tmpl, const ark_pvar *vars, size_t nvars,
                         const char *name, size_t *at, ark_buf *out, char *err, size_t errlen);

#endif
