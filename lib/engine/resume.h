/* resume.h: --resume: what an earlier output of the same run already holds.
 *
 * A debate record is known by its key, the task id and the seed: "id" 0x1f "seed" (no length
 * limit).  ark_resume_scan reads an earlier output in three passes: it cuts a damaged tail back
 * to the last complete line; it collects the keys of the complete records with status "ok" (the
 * sample protocol: a key whose G samples are all there and ok); and when the file holds other
 * records (failed, or a sample group cut short) it rewrites the file without them, through
 * PATH.resume-tmp, so that they run again.  A record of another configuration, or one that is not
 * a debate record, stops it: resuming would mix two runs.
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
	long long cut;          /* bytes of a damaged tail cut off the end (0: none) */
	int       rewritten;    /* the file was rewritten without some records: */
	long      dropped;      /* how many, to be run again */
} ark_resume;

/* Scan path, the output of an earlier run with configuration cfg: the keys of its complete
 * records are added to done (numbers unused).  1 the file exists (the run appends to it), 0 it
 * does not, -1 an error with a message ("cannot resume: file:line: ...").  *st is set in every
 * case: a tail may have been cut before a later pass failed. */
int ark_resume_scan(const char *path, const ark_debate_cfg *cfg, ark_strset *done,
                    ark_resume *st, char *err, size_t errlen);

#endif
