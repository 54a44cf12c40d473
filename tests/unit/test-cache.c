/* test-cache.c: SHA-256 (core/sha256.c) against the FIPS 180-4 examples and against itself over
 * every split of its input; the response cache (llm/cache.c): keys, a reply kept and read back
 * across a reopen, --cache-only, the files it refuses, a reply holding the key not kept, and
 * processes opening one new file at the same moment (shards started together). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "core/sha256.h"
#include "llm/cache.h"

static const char *hex_of(const void *p, size_t n)
{
	static char hex[65];
	unsigned char d[32];
	ark_sha256 s;
	ark_sha256_init(&s);
	ark_sha256_add(&s, p, n);
	ark_sha256_end(&s, d);
	ark_sha256_hex(d, hex);
	return hex;
}

static void test_sha256(void)
{
	CHECK_STR(hex_of("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_STR(hex_of("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	CHECK_STR(hex_of(two, strlen(two)),
	          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *a = malloc(1000000);
	memset(a, 'a', 1000000);
	CHECK_STR(hex_of(a, 1000000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* 55, 56 and 64 bytes: the padding's edge cases, pinned */
	CHECK_STR(hex_of(a, 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	CHECK_STR(hex_of(a, 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	CHECK_STR(hex_of(a, 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
	/* the same digest however the bytes are split */
	char whole[65];
	snprintf(whole, sizeof whole, "%s", hex_of(two, strlen(two)));
	int same = 1;
	for (size_t cut = 0; cut <= strlen(two); cut++) {
		unsigned char d[32];
		char hex[65];
		ark_sha256 s;
		ark_sha256_init(&s);
		ark_sha256_add(&s, two, cut);
		ark_sha256_add(&s, two + cut, strlen(two) - cut);
		ark_sha256_end(&s, d);
		ark_sha256_hex(d, hex);
		same &= !strcmp(hex, whole);
	}
	CHECK(same);
	free(a);
}

static void test_keys(void)
{
	ark_cache_key k[6];
	ark_cache_key_of(&k[0], "openai", "http://h/v1/chat/completions", "7", "{}", 2);
	ark_cache_key_of(&k[1], "anthropic", "http://h/v1/chat/completions", "7", "{}", 2);
	ark_cache_key_of(&k[2], "openai", "http://g/v1/chat/completions", "7", "{}", 2);
	ark_cache_key_of(&k[3], "openai", "http://h/v1/chat/completions", "8", "{}", 2);
	ark_cache_key_of(&k[4], "openai", "http://h/v1/chat/completions", NULL, "{}", 2);
	ark_cache_key_of(&k[5], "openai", "http://h/v1/chat/completions", "7", "{ }", 3);
	for (int i = 0; i < 6; i++)
		for (int j = i + 1; j < 6; j++)
			CHECK(memcmp(k[i].d, k[j].d, 32) != 0);
	ark_cache_key again;
	ark_cache_key_of(&again, "openai", "http://h/v1/chat/completions", "7", "{}", 2);
	CHECK(!memcmp(again.d, k[0].d, 32));
	/* the parts are delimited: moving a byte from one part to the next changes the key */
	ark_cache_key a, b;
	ark_cache_key_of(&a, "ab", "c", "1", "x", 1);
	ark_cache_key_of(&b, "a", "bc", "1", "x", 1);
	CHECK(memcmp(a.d, b.d, 32) != 0);
}

static char dir[64];

static const char *path(const char *name)
{
	static char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

static void test_cache(void)
{
	char err[512];
	ark_buf body = ARK_BUF_INIT;
	double ms = -1;
	ark_cache_key k, other;
	ark_cache_key_of(&k, "openai", "http://h/v1/chat/completions", "1", "{\"a\":1}", 7);
	ark_cache_key_of(&other, "openai", "http://h/v1/chat/completions", "2", "{\"a\":1}", 7);
	ark_cache_opts o = { path("c.db"), 0, 0 };

	/* --cache-only never creates a file */
	ark_cache_opts only = { path("c.db"), 1, 0 };
	CHECK(ark_cache_open(&only, err, sizeof err) == NULL);
	CHECK(strstr(err, "c.db") && strstr(err, "--cache-only"));
	CHECK(access(path("c.db"), F_OK) != 0);

	ark_cache *c = ark_cache_open(&o, err, sizeof err);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(ark_cache_get(c, &k, &body, &ms, err, sizeof err) == 0);
	static const char reply[] = "{\"choices\":[{\"message\":{\"content\":\"4\\u0000x\"}}]}";
	const char *never[] = { NULL, "abc", "sk-never" };
	CHECK(ark_cache_put(c, &k, "openai http://h", reply, sizeof reply - 1, 123.456789012345,
	                    never, 3, err, sizeof err) == 0);
	/* a reply that holds the key (or a secret header) is not kept */
	CHECK(ark_cache_put(c, &other, NULL, "{\"echo\":\"sk-never\"}", 19, 1, never, 3, err,
	                    sizeof err) < 0);
	CHECK(strstr(err, "key") != NULL);
	ark_cache_stats st;
	ark_cache_stats_get(c, &st);
	CHECK(st.hits == 0 && st.misses == 1 && st.stored == 1 && st.errors == 1);
	ark_cache_close(c);

	/* read back after a reopen, --cache-only: the same bytes and the same time */
	c = ark_cache_open(&only, err, sizeof err);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(ark_cache_only(c));
	CHECK(ark_cache_get(c, &k, &body, &ms, err, sizeof err) == 1);
	CHECK(body.len == sizeof reply - 1 && !memcmp(body.p, reply, body.len));
	CHECK(ms == 123.456789012345);
	CHECK(ark_cache_get(c, &other, &body, &ms, err, sizeof err) == 0);
	ark_cache_stats_get(c, &st);
	CHECK(st.hits == 1 && st.misses == 1);
	ark_cache_close(c);
	ark_buf_release(&body);

	/* files it refuses, each named */
	FILE *f = fopen(path("junk.db"), "w");
	fputs("this is not a database, it is a text file of some length...........................\n", f);
	for (int i = 0; i < 100; i++)
		fputs("more text to fill a page of the file that sqlite would read as its header\n", f);
	fclose(f);
	ark_cache_opts j = { path("junk.db"), 0, 0 };
	CHECK(ark_cache_open(&j, err, sizeof err) == NULL);
	CHECK(strstr(err, "junk.db") && strstr(err, "not an ark cache"));
	ark_cache_opts nodir = { path("no/such/dir.db"), 0, 0 };
	CHECK(ark_cache_open(&nodir, err, sizeof err) == NULL);
	CHECK(strstr(err, "dir.db") != NULL);
}

/* Shards started together open one new file at the same moment: every one must open it (the
 * switch to WAL takes an exclusive lock, and SQLite answers a second process asking for it at
 * once with SQLITE_BUSY without calling the busy handler).  KIDS processes wait on a pipe and
 * open the file together, ROUNDS times, each with a new file; a child's exit status says
 * whether it opened it and put and read back a reply. */
static void test_open_together(void)
{
	enum { KIDS = 6, ROUNDS = 12 };
	int failed = 0, opened = 0;
	for (int round = 0; round < ROUNDS; round++) {
		char name[32];
		snprintf(name, sizeof name, "together-%d.db", round);
		const char *file = path(name);
		int go[2];
		if (pipe(go) < 0) {
			CHECK(!"pipe");
			return;
		}
		pid_t kid[KIDS];
		for (int i = 0; i < KIDS; i++) {
			kid[i] = fork();
			if (kid[i] == 0) {
				char c, err[512];
				close(go[1]);
				if (read(go[0], &c, 1) < 0)
					_exit(3);
				ark_cache_opts o = { file, 0, 0 };
				ark_cache *cache = ark_cache_open(&o, err, sizeof err);
				if (!cache) {
					fprintf(stderr, "test-cache: child %d: %s\n", i, err);
					_exit(1);
				}
				ark_cache_key k;
				char body[16];
				int n = snprintf(body, sizeof body, "{\"k\":%d}", i);
				ark_cache_key_of(&k, "openai", "http://h", NULL, body, (size_t)n);
				ark_buf b = ARK_BUF_INIT;
				double ms;
				int ok = ark_cache_put(cache, &k, NULL, body, (size_t)n, 1, NULL, 0, err,
				                       sizeof err) == 0 &&
				         ark_cache_get(cache, &k, &b, &ms, err, sizeof err) == 1;
				ark_buf_release(&b);
				ark_cache_close(cache);
				_exit(ok ? 0 : 2);
			}
		}
		close(go[0]);
		close(go[1]);           /* every child's read returns at once: they start together */
		for (int i = 0; i < KIDS; i++) {
			int status = 0;
			if (kid[i] < 0 || waitpid(kid[i], &status, 0) != kid[i] || !WIFEXITED(status) ||
			    WEXITSTATUS(status) != 0)
				failed++;
			else
				opened++;
		}
	}
	printf("test-cache: %d processes opened a new file together, %d failed\n", opened, failed);
	CHECK(failed == 0);
}

int main(void)
{
	test_sha256();
	test_keys();
	snprintf(dir, sizeof dir, "%s/ark-cache-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_cache();
	test_open_together();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return unit_done("test-cache");
}
