/* test-table: the text table renderer (lib/core/table.c), plain and markdown, written through
 * an ark_writer to a file and read back. */
#include <stdlib.h>
#include <unistd.h>
#include "unit.h"
#include "core/table.h"

static char path[] = "/tmp/ark-test-table-XXXXXX";

/* Write t in style to the file; the file's text (static), or the message on failure. */
static const char *render(const ark_table *t, int style, int *rc)
{
	static char text[4096];
	char err[256];
	ark_writer *w = ark_writer_open(path, 0, 0, err, sizeof err);
	CHECK(w != NULL);
	if (!w)
		return "";
	*rc = ark_table_write(t, style, w, err, sizeof err);
	CHECK(ark_writer_close(w, err, sizeof err) == 0);
	if (*rc < 0) {
		snprintf(text, sizeof text, "%s", err);
		return text;
	}
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	text[n] = 0;
	if (f)
		fclose(f);
	return text;
}

/* two left-aligned columns (the second the widest in its rows), then two right-aligned ones */
static void fill(ark_table *t)
{
	t->title = "results";
	t->ncol = 4;
	t->nleft = 2;
	ark_table_add(t, "group");
	ark_table_add(t, "name");
	ark_table_add(t, "n");
	ark_table_add(t, "share");
	ark_table_add(t, "a");
	ark_table_add(t, "member %d", 12);
	ark_table_add(t, "%zu", (size_t)7);
	ark_table_add(t, "%.1f%%", 50.0);
	ark_table_add(t, "bb");
	ark_table_add(t, "x");
	ark_table_add(t, "1234");
	ark_table_add(t, "-");
}

static void test_styles(void)
{
	ark_table t = ARK_TABLE_INIT;
	int rc;
	fill(&t);
	CHECK(ark_table_rows(&t) == 2);
	/* the last column is right-aligned, so padded; a left-aligned last one would not be */
	CHECK_STR(render(&t, ARK_TABLE_TEXT, &rc),
	          "results\n"
	          "group  name          n  share\n"
	          "a      member 12     7  50.0%\n"
	          "bb     x          1234      -\n");
	CHECK(rc == 0);
	CHECK_STR(render(&t, ARK_TABLE_MARKDOWN, &rc),
	          "### results\n"
	          "\n"
	          "| group | name      |    n | share |\n"
	          "|-------|-----------|-----:|------:|\n"
	          "| a     | member 12 |    7 | 50.0% |\n"
	          "| bb    | x         | 1234 |     - |\n");
	CHECK(rc == 0);
	ark_table_release(&t);
	CHECK(t.n == 0 && t.cell == NULL && ark_table_rows(&t) == 0);

	/* every column left-aligned: the last one is not padded */
	ark_table u = ARK_TABLE_INIT;
	u.title = "t";
	u.ncol = 2;
	u.nleft = 2;
	ark_table_add(&u, "a");
	ark_table_add(&u, "long header");
	ark_table_add(&u, "xyz");
	ark_table_add(&u, "b");
	CHECK_STR(render(&u, ARK_TABLE_TEXT, &rc), "t\na    long header\nxyz  b\n");
	ark_table_release(&u);
}

static void test_errors(void)
{
	ark_table t = ARK_TABLE_INIT;
	int rc;
	fill(&t);
	ark_table_add(&t, "a row cut short");
	CHECK_STR(render(&t, ARK_TABLE_TEXT, &rc), "a table row is not complete");
	CHECK(rc == -1);
	ark_table_release(&t);
	fill(&t);
	t.bad = 1;                       /* as after a failed allocation */
	CHECK_STR(render(&t, ARK_TABLE_TEXT, &rc), "out of memory");
	CHECK(rc == -1);
	ark_table_release(&t);
	CHECK(t.bad == 0);
	/* a header alone has no rows */
	t.ncol = 2;
	ark_table_add(&t, "a");
	ark_table_add(&t, "b");
	CHECK(ark_table_rows(&t) == 0);
	ark_table_release(&t);
}

int main(void)
{
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	test_styles();
	test_errors();
	unlink(path);
	return unit_done("test-table");
}
