/* replace.c: a file written whole through a temporary file and a rename (see replace.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "core/buf.h"
#include "core/replace.h"

#define LINKS_MAX 40            /* as the kernel's own limit on a chain of links */

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

/* The directory part of path with a slash ("dir/"), or "" for a bare name. */
static char *dir_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return ark_strndup(path, s ? (size_t)(s - path + 1) : 0);
}

/* Follow path's chain of links to a name that is not a link (which may not exist).  A new
 * string, or NULL with a message. */
static char *follow(const char *path, int *links, char *err, size_t errlen)
{
	char *cur = strdup(path);
	struct stat st;
	*links = 0;
	while (cur && lstat(cur, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (++*links > LINKS_MAX) {
			ark_errf(err, errlen, "%s: too many levels of symbolic links", path);
			free(cur);
			return NULL;
		}
		char buf[PATH_MAX];
		ssize_t n = readlink(cur, buf, sizeof buf - 1);
		if (n < 0) {
			ark_errf(err, errlen, "%s: %s", cur, strerror(errno));
			free(cur);
			return NULL;
		}
		buf[n] = 0;
		ark_buf next = ARK_BUF_INIT;
		char *dir = buf[0] == '/' ? NULL : dir_of(cur);
		ark_buf_addf(&next, "%s%s", dir ? dir : "", buf);
		free(dir);
		free(cur);
		cur = next.p ? ark_buf_take(&next) : NULL;
	}
	if (!cur)
		ark_errf(err, errlen, "out of memory");
	return cur;
}

/* Create a new file next to target, mode 0666 less the umask (the kernel applies it). */
static int create_tmp(ark_replace *r, char *err, size_t errlen)
{
	static unsigned long seq;
	for (int tries = 0; tries < 100; tries++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ark_buf b = ARK_BUF_INIT;
		ark_buf_addf(&b, "%s.tmp%ld.%lx", r->target, (long)getpid(),
		             (unsigned long)(ts.tv_nsec ^ (long)++seq * 7919));
		if (!b.p)
			return ark_errf(err, errlen, "out of memory");
		int fd = open(b.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0) {
			r->tmp = ark_buf_take(&b);
			return fd;
		}
		int e = errno;
		ark_buf_release(&b);
		if (e != EEXIST)
			return ark_errf(err, errlen, "%s: cannot create a file beside it: %s", r->target,
			                strerror(e));
	}
	return ark_errf(err, errlen, "%s: cannot create a file beside it", r->target);
}

/* Whether target (path after links links) may be replaced: 1 it exists (its status in st), 0 it
 * does not, -1 refused with a message. */
static int may_replace(const char *path, const char *target, int links, struct stat *st,
                       char *err, size_t errlen)
{
	if (stat(target, st) != 0) {
		if (errno == ENOENT)
			return 0;
		return ark_errf(err, errlen, "%s: %s", target, strerror(errno));
	}
	if (!S_ISREG(st->st_mode))
		return ark_errf(err, errlen, "%s is %s: refusing to write there (give a regular file)",
		                links ? target : path, kind_of(st->st_mode));
	return 1;
}

int ark_replace_check(const char *path, char *err, size_t errlen)
{
	int links;
	struct stat st;
	char *t = follow(path, &links, err, errlen);
	if (!t)
		return -1;
	int rc = may_replace(path, t, links, &st, err, errlen);
	free(t);
	return rc < 0 ? -1 : 0;
}

int ark_replace_open(ark_replace *r, const char *path, char *note, size_t notelen,
                     char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	int links;
	if (!(r->target = follow(path, &links, err, errlen)))
		return -1;
	struct stat st;
	int exists = may_replace(path, r->target, links, &st, err, errlen);
	if (exists < 0)
		goto fail;
	int fd = create_tmp(r, err, errlen);
	if (fd < 0)
		goto fail;
	if (exists && fchmod(fd, st.st_mode & 07777) < 0) {
		ark_errf(err, errlen, "%s: %s", r->tmp, strerror(errno));
		close(fd);
		goto fail_tmp;
	}
	if (!(r->fp = fdopen(fd, "w"))) {
		ark_errf(err, errlen, "%s: %s", r->tmp, strerror(errno));
		close(fd);
		goto fail_tmp;
	}
	if (links) {
		if (note)
			snprintf(note, notelen, "%s is a symbolic link: writing its target %s", path,
			         r->target);
		return 1;
	}
	return 0;
fail_tmp:
	unlink(r->tmp);
fail:
	free(r->target);
	free(r->tmp);
	memset(r, 0, sizeof *r);
	return -1;
}

void ark_replace_abort(ark_replace *r)
{
	if (r->fp)
		fclose(r->fp);
	if (r->tmp)
		unlink(r->tmp);
	free(r->target);
	free(r->tmp);
	memset(r, 0, sizeof *r);
}

int ark_replace_commit(ark_replace *r, char *err, size_t errlen)
{
	int e = 0;
	if (fflush(r->fp) == EOF || ferror(r->fp))
		e = errno ? errno : EIO;
	else if (fsync(fileno(r->fp)) < 0 && errno != EINVAL)
		e = errno;
	if (fclose(r->fp) != 0 && !e)
		e = errno ? errno : EIO;
	r->fp = NULL;
	if (!e && rename(r->tmp, r->target) < 0)
		e = errno;
	if (e) {
		ark_errf(err, errlen, "%s: write error: %s", r->target, strerror(e));
		ark_replace_abort(r);
		return -1;
	}
	free(r->target);
	free(r->tmp);
	memset(r, 0, sizeof *r);
	return 0;
}
