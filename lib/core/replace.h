/* replace.h: writing a file whole, so that a reader sees the old one or the new one, never half.
 *
 * The new content goes to a temporary file in the target's own directory (a rename across file
 * systems is not atomic), which is flushed to disk and then renamed over the target.  That is
 * done only where it is safe:
 *   - the target is absent: created with mode 0666 less the umask, as any file a tool creates;
 *   - a regular file: replaced, keeping its permission bits;
 *   - a symbolic link: followed (every link of a chain) and its final target written by these
 *     same rules, the link kept; the note says so;
 *   - anything else (a device such as /dev/full, a FIFO, a socket, a directory): refused with a
 *     message naming what it is, and nothing is written.
 */
#ifndef ARK_REPLACE_H
#define ARK_REPLACE_H
#include <stdio.h>

typedef struct ark_replace {
	char *target;           /* the file renamed over (a symlink's final target) */
	char *tmp;              /* the temporary file */
	FILE *fp;               /* write the content here */
} ark_replace;

/* Open a replacement of path.  0, or 1 with a note in note (path was a symbolic link: which
 * file is written), or -1 with a message in err (nothing was created).  note may be NULL. */
int  ark_replace_open(ark_replace *r, const char *path, char *note, size_t notelen,
                      char *err, size_t errlen);
/* Whether path may be written so, before the work that makes its content: 0, or -1 with the
 * message ark_replace_open would give. */
int  ark_replace_check(const char *path, char *err, size_t errlen);
/* Finish: flush, sync, rename over the target.  0, or -1 with a message (the temporary file is
 * removed and the target left as it was). */
int  ark_replace_commit(ark_replace *r, char *err, size_t errlen);
/* Give up: the temporary file is removed, the target untouched. */
void ark_replace_abort(ark_replace *r);

#endif
