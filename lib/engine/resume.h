/* resume.h: --resume: what an earlier output of the same run already holds.
 *
 * A debate record is known by its key, the task id and the seed: "id" 0x1f "seed" (no length
 * limit).  ark_resume_scan reads an earlier output in two passes.  The first collects the keys of
 * the whole records with status "ok" (the sample protocol: a key whose G samples are all there
 * and ok), wherever they stand, and notes the damage: lines that do not parse, a line over the
 * line limit, a last line without its newline (a write cut short), a line of ark-debate's with a
 * field garbled (a "run" or "status" but no id or run.seed), and for gzip every gzip member that
 * does not decode (its lines are dropped, as zlib cannot tell which of them are sound; reading
 * goes on at the next member).  When all the damage is at the end, after the last whole record,
 * and no record failed, the end is cut off (the common case after a kill).  Otherwise, when there
 * is damage or the file holds other records (failed, or a sample group cut short), the second
 * pass rewrites the file without them, through PATH.resume-tmp renamed over it once on disk, so
 * that they run again (gzip: a member every 64 lines, so that later damage costs little).  A
 * PATH.resume-tmp that a killed rewrite left is removed first.  A record of another
 * configuration, a record that is not a debate record, or a file of damage only, stops it:
 * resuming would mix two runs or destroy a file that is not an output of ark-debate.
 */
#ifndef ARK_RESUME_H
#define ARK_RESUME_H
#include <stddef.h>
#include "core/buf.h"
#include "core/strset.h"
#include "engine/debate.h"

/* The key of the record (id, seed), into b (reset first).  0, or -1 out of memory. */
int ark_resume_key(ark_buf *b, const char *id, long long seed);

/* What a scan did, for the caller's notes. */
typedef struct ark_resume {
	long long cut;          /* bytes of a damaged end cut off (0: none) */
	int       rewritten;    /* the file was rewritten without some records or lines */
	long      dropped;      /* whole records dropped (failed, short groups), to be run again */
	long      damaged;      /* damaged lines dropped (as read: a lost gzip member's lines count
	                           as far as they were decoded) */
	long      places;       /* damaged places: a line, a run of lines, a gzip member */
	int       end_only;     /* the only damage is an end cut short (a kill during a write) */
	int       stale_tmp;    /* a PATH.resume-tmp left by a killed rewrite was removed */
	char      where[1024];  /* the first few places: "file:line: why", "; "-separated */
} ark_resume;

/* Scan path, the output of an earlier run with configuration cfg: the keys of its complete
 * records are added to done (numbers unused).  1 the file exists (the run appends to it), 0 it
 * does not, -1 an error with a message ("cannot resume: file:line: ...").  *st is set in every
 * case: a tail may have been cut before a later pass failed. */
int ark_resume_scan(const char *path, const ark_debate_cfg *cfg, ark_strset *done,
                    ark_resume *st, char *err, size_t errlen);

#endif
