/* fuzz-io: the record reader (lib/core/io.c) on plain and gzip input.  The first byte is the
 * recipe: bits 0-2 pick the read buffer size (1, 2, 3, 7, 64, 4096 bytes or the default), bit 3
 * gzips the rest, bit 4 then cuts the gzip stream short (at a point from the second byte), bit 5
 * appends the last bytes of the input, uncompressed, after the gzip data (garbage or padding).
 * Every line is read, as raw lines or as records in turn; the reader must end (0, or -1 fatal, or
 * -1 then 0 for a bad end), never hand out more lines than the input can hold (a line a byte;
 * gzip data inflates at most 1032 times), never run on after a fatal error, name the input in
 * every error, and keep its safe offset within the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include "core/io.h"
#include "core/json.h"

#define FAIL(what) do { fprintf(stderr, "fuzz-io: %s\n", what); abort(); } while (0)

static size_t gzip_into(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (uint8_t *)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	size_t k = cap - z.avail_out;
	deflateEnd(&z);
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t bufs[8] = { 1, 2, 3, 7, 64, 4096, 0, 5 };
	if (size < 2 || size > 1 << 20)
		return 0;
	unsigned recipe = data[0], cut = data[1];
	const uint8_t *p = data + 2;
	size_t n = size - 2, len = n;
	uint8_t *file = malloc(2 * n + 64);
	if (!file)
		return 0;
	if (recipe & 8) {
		len = gzip_into(p, n, file, 2 * n + 64);
		if (recipe & 16 && len)
			len = len * cut / 256;
		if (recipe & 32) {
			size_t tail = n < 8 ? n : 8;
			memcpy(file + len, p + n - tail, tail);
			len += tail;
		}
	} else
		memcpy(file, p, n);
	int fd = memfd_create("fuzz-io", 0);
	if (fd < 0 || write(fd, file, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0)
		FAIL("memfd");
	char err[512];
	ark_reader *r = ark_reader_fdopen(fd, "fuzz", bufs[recipe & 7], err, sizeof err);
	if (r) {
		/* plain: at most a line a byte; gzip data (cut or followed by other bytes, it need not
		 * be the gzip of the input) inflates to at most 1032 bytes a byte.  The reader takes
		 * a file by its first two bytes, so input that was not gzipped here but begins with
		 * the gzip magic is gzip data too */
		int gz = recipe & 8 || (len >= 2 && file[0] == 0x1f && file[1] == 0x8b);
		long lines = 0, limit = gz ? 1100 * ((long)len + 1) : (long)n + 2;
		int got;
		for (;;) {
			if (lines & 1) {
				jv *rec;
				got = ark_reader_next(r, &rec, err, sizeof err);
				jv_free(rec);
			} else {
				const char *line;
				size_t l;
				got = ark_reader_line(r, &line, &l, err, sizeof err);
				if (got == 1 && memchr(line, '\n', l))
					FAIL("a line with a newline in it");
			}
			if (got == 0)
				break;
			if (got < 0 && ark_reader_fatal(r)) {
				if (ark_reader_line(r, &(const char *){ 0 }, &(size_t){ 0 }, err, sizeof err) != -1)
					FAIL("reading went on after a fatal error");
				break;
			}
			if (got < 0 && !strstr(err, "fuzz:"))
				FAIL("an error without the input's name");
			if (++lines > limit)
				FAIL("more lines than the input has");
		}
		off_t safe = ark_reader_safe_offset(r);
		if (safe < 0 || (size_t)safe > len)
			FAIL("safe offset outside the file");
		ark_reader_close(r);
	}
	close(fd);
	free(file);
	return 0;
}
