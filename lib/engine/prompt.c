/* prompt.c: template sets and {{name}} substitution (see prompt.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/prompt.h"

#define TEMPLATE_MAX ((size_t)1 << 20)

struct ark_prompts {
	char **name, **text;
	size_t n, cap;
};

ark_prompts *ark_prompts_new(void)
{
	return calloc(1, sizeof(ark_prompts));
}

static int set_take(ark_prompts *p, const char *name, char *text)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->name[i], name)) {
			free(p->text[i]);
			p->text[i] = text;
			return 0;
		}
	if (p->n == p->cap) {
		size_t nc = p->cap ? 2 * p->cap : 32;
		char **a = realloc(p->name, nc * sizeof *a);
		if (!a)
			return -1;
		p->name = a;
		a = realloc(p->text, nc * sizeof *a);
		if (!a)
			return -1;
		p->text = a;
		p->cap = nc;
	}
	if (!(p->name[p->n] = strdup(name)))
		return -1;
	p->text[p->n++] = text;
	return 0;
}

int ark_prompts_set(ark_prompts *p, const char *name, const char *text)
{
	char *t = strdup(text);
	if (!t || set_take(p, name, t)) {
		free(t);
		return -1;
	}
	return 0;
}

const char *ark_prompts_get(const ark_prompts *p, const char *name)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (!strcmp(p->name[i], name))
			return p->text[i];
	return NULL;
}

int ark_prompts_require(const ark_prompts *p, const char *const *names, size_t n,
                        char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (!ark_prompts_get(p, names[i]))
			return ark_errf(err, errlen, "prompt template '%s.txt' not found", names[i]);
	return 0;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	ark_buf b = ARK_BUF_INIT;
	char chunk[8192];
	size_t got;

	if (!f) {
		ark_errf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b.len + got > TEMPLATE_MAX) {
			ark_errf(err, errlen, "%s: template larger than 1 MiB", path);
			goto fail;
		}
		if (ark_buf_add(&b, chunk, got)) {
			ark_errf(err, errlen, "out of memory");
			goto fail;
		}
	}
	if (ferror(f)) {
		ark_errf(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	if (b.len && b.p[b.len - 1] == '\n')
		b.p[--b.len] = 0;
	if (!b.p && ark_buf_adds(&b, "")) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	return ark_buf_take(&b);
fail:
	fclose(f);
	ark_buf_release(&b);
	return NULL;
}

int ark_prompts_load(ark_prompts *p, const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int count = 0;

	if (!d)
		return ark_errf(err, errlen, "prompts directory %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len <= 4 || strcmp(e->d_name + len - 4, ".txt") || e->d_name[0] == '.')
			continue;
		ark_buf path = ARK_BUF_INIT;
		if (ark_buf_addf(&path, "%s/%s", dir, e->d_name)) {
			closedir(d);
			return ark_errf(err, errlen, "out of memory");
		}
		char *text = read_file(path.p, err, errlen);
		ark_buf_release(&path);
		if (!text) {
			closedir(d);
			return -1;
		}
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)(len - 4), e->d_name);
		if (set_take(p, name, text)) {
			free(text);
			closedir(d);
			return ark_errf(err, errlen, "out of memory");
		}
		count++;
	}
	closedir(d);
	return count;
}

void ark_prompts_free(ark_prompts *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->name[i]);
		free(p->text[i]);
	}
	free(p->name);
	free(p->text);
	free(p);
}

static int namech(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

int ark_prompt_render(const char *tname, const char *tmpl, const ark_pvar *vars, size_t nvars,
                      ark_buf *out, char *err, size_t errlen)
{
	return ark_prompt_render_at(tname, tmpl, vars, nvars, NULL, NULL, out, err, errlen);
}

int ark_prompt_render_at(const char *tname, const char *tmpl, const ark_pvar *vars, size_t nvars,
                         const char *name, size_t *at, ark_buf *out, char *err, size_t errlen)
{
	const char *s = tmpl, *open;
	if (at)
		*at = (size_t)-1;

	while ((open = strstr(s, "{{"))) {
		/* a variable: "{{", optional spaces, a name, optional spaces, "}}" */
		const char *q = open + 2, *nb, *ne;
		while (*q == ' ')
			q++;
		nb = q;
		while (namech(*q))
			q++;
		ne = q;
		while (*q == ' ')
			q++;
		if (ne == nb || q[0] != '}' || q[1] != '}') {
			/* not a variable: copy the braces and go on */
			if (ark_buf_add(out, s, (size_t)(open + 2 - s)))
				return ark_errf(err, errlen, "out of memory");
			s = open + 2;
			continue;
		}
		if (ark_buf_add(out, s, (size_t)(open - s)))
			return ark_errf(err, errlen, "out of memory");
		size_t i;
		for (i = 0; i < nvars; i++)
			if (strlen(vars[i].name) == (size_t)(ne - nb) &&
			    !memcmp(vars[i].name, nb, (size_t)(ne - nb)))
				break;
		if (i == nvars || !vars[i].value)
			return ark_errf(err, errlen, "prompt '%s': unknown variable '{{%.*s}}'",
			                tname ? tname : "?", (int)(ne - nb), nb);
		if (at && *at == (size_t)-1 && !strcmp(vars[i].name, name))
			*at = out->len;
		if (ark_buf_adds(out, vars[i].value))
			return ark_errf(err, errlen, "out of memory");
		s = q + 2;
	}
	if (ark_buf_adds(out, s))
		return ark_errf(err, errlen, "out of memory");
	return 0;
}
