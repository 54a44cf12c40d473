/* test-redact.c: the one redaction (core/redact): whole secrets, pieces of 8 bytes or more
 * wherever they stand, a key echoed after a prefix and cut afterwards, short secrets whole only,
 * several secrets, text that is not secret kept byte for byte, in place and into a buffer; and
 * 3,000 random texts of pieces of a key among other bytes of the key's alphabet, checked by brute
 * force: no 8-byte run of the key is left, and every byte outside the runs is kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "core/redact.h"

/* Whether t holds a run of 8 bytes of key. */
static int has_run(const char *t, const char *key)
{
	size_t n = strlen(t), kl = strlen(key);
	for (size_t i = 0; i + 8 <= n; i++)
		for (size_t j = 0; j + 8 <= kl; j++)
			if (!memcmp(t + i, key + j, 8))
				return 1;
	return 0;
}

static char *red(const char *text, const char *k1, const char *k2)
{
	static char out[4096];
	ark_secrets s;
	ark_secrets_init(&s);
	ark_secrets_adds(&s, k1);
	ark_secrets_adds(&s, k2);
	snprintf(out, sizeof out, "%s", text);
	ark_redact(out, &s);
	return out;
}

static void test_fixed(void)
{
	const char *key = "sk-proj-Abc123Def456Ghi789";
	CHECK_STR(red("HTTP 401: Incorrect API key provided: sk-proj-Abc123Def456Ghi789.", key, NULL),
	          "HTTP 401: Incorrect API key provided: [redacted].");
	/* a piece of the key, as providers echo it ("sk-proj-****789") */
	CHECK_STR(red("key sk-proj-Abc1****i789 is wrong", key, NULL), "key [redacted]****i789 is wrong");
	CHECK_STR(red("see Def456Ghi7 here", key, NULL), "see [redacted] here");
	CHECK_STR(red("see Def456Ghi here", key, NULL), "see ********* here");   /* 9 bytes */
	CHECK_STR(red("see 456Ghi78 here", key, NULL), "see ******** here");   /* 8 bytes */
	CHECK_STR(red("see 56Ghi78 here", key, NULL), "see 56Ghi78 here");     /* 7: not looked for */
	CHECK_STR(red("Bearer sk-proj-Abc123Def456Ghi789 and again sk-proj-Abc123Def456Ghi789", key, NULL),
	          "Bearer [redacted] and again [redacted]");
	CHECK_STR(red("no secret in here at all, just words and sk-numbers 12345678", key, NULL),
	          "no secret in here at all, just words and sk-numbers 12345678");
	/* two secrets side by side, a short one whole only */
	CHECK_STR(red("x-token: tok42 and tok4 and sk-proj-Abc123Def", key, "tok42"),
	          "x-token: ***** and tok4 and [redacted]");
	CHECK_STR(red("abc", "abc", NULL), "abc");     /* under 4 bytes: not a secret */
	CHECK_STR(red("", key, NULL), "");
	CHECK_STR(red("sk-proj-", key, NULL), "********");
	/* the text of the secret at the very end and start */
	CHECK_STR(red("Ghi789", "0Ghi789", NULL), "Ghi789");
	CHECK_STR(red("xyzDef456Ghi789", key, NULL), "xyz[redacted]");
}

/* A 164-byte key echoed after a 47-byte prefix and cut to 200 bytes: the leak. */
static void test_cut(void)
{
	char key[165], text[512], out[200];
	for (int i = 0; i < 164; i++)
		key[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[(i * 37 + 11) % 64];
	key[164] = 0;
	snprintf(text, sizeof text, "Incorrect API key provided: sk-ant-api03-%s. You can find your key",
	         key);
	ark_secrets s;
	ark_secrets_init(&s);
	ark_secrets_adds(&s, key);
	size_t full = ark_redact_into(out, sizeof out, text, strlen(text), &s);
	CHECK(!has_run(out, key));
	CHECK(strstr(out, "[redacted]") != NULL);
	CHECK(full == strlen(out));          /* the redacted text fits in 200 bytes */
	/* cut first, then redacted: the piece left before the cut is still caught when 8 or more */
	char cut[200];
	snprintf(cut, sizeof cut, "%s", text);
	ark_redact(cut, &s);
	CHECK(!has_run(cut, key));
	/* into a buffer smaller than the text: cut after redacting */
	char small[40];
	ark_redact_into(small, sizeof small, text, strlen(text), &s);
	CHECK(strlen(small) == 39);
	CHECK(!has_run(small, key));
	/* in place through ark_redact_into (dst == src) */
	snprintf(cut, sizeof cut, "Bearer %s!", "sk-ant-api03-0123456789abcdef");
	ark_secrets_init(&s);
	ark_secrets_adds(&s, "sk-ant-api03-0123456789abcdef");
	ark_redact_into(cut, sizeof cut, cut, strlen(cut), &s);
	CHECK_STR(cut, "Bearer [redacted]!");
}

static unsigned long long rng = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Random texts: pieces of the key (1 to 40 bytes from anywhere in it) between random bytes of
 * the same alphabet.  Checked: no 8-byte run of the key left; the redacted text is never longer;
 * a text without any piece of 8 is unchanged. */
static void test_random(void)
{
	const char *alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-_";
	char key[64], text[1024], out[1024];
	int left = 0, grew = 0, changed = 0, hit = 0;
	for (int round = 0; round < 3000; round++) {
		size_t kl = 8 + rnd(56);
		for (size_t i = 0; i < kl; i++)
			key[i] = alpha[rnd(round % 3 ? 48 : 4)];     /* a third of the keys repetitive */
		key[kl] = 0;
		size_t n = 0;
		while (n < 900) {
			if (rnd(3) == 0) {
				size_t a = rnd((unsigned)kl), len = 1 + rnd(40);
				if (a + len > kl)
					len = kl - a;
				memcpy(text + n, key + a, len);
				n += len;
			} else {
				size_t len = 1 + rnd(20);
				for (size_t i = 0; i < len; i++)
					text[n + i] = alpha[rnd(48)];
				n += len;
			}
		}
		text[n] = 0;
		ark_secrets s;
		ark_secrets_init(&s);
		ark_secrets_adds(&s, key);
		memcpy(out, text, n + 1);
		size_t covered = ark_redact(out, &s);
		hit += covered > 0;
		if (has_run(out, key))
			left++;
		if (strlen(out) > n)
			grew++;
		if (!has_run(text, key) && strcmp(out, text))
			changed++;
		/* the same through ark_redact_into */
		char into[1024];
		ark_redact_into(into, sizeof into, text, n, &s);
		CHECK_STR(into, out);
	}
	CHECK(left == 0);
	CHECK(grew == 0);
	CHECK(changed == 0);
	CHECK(hit > 2000);
}

/* A repetitive secret against 1 MiB of the same byte: linear work (the candidate cap), no run of
 * 8 left. */
static void test_repetitive(void)
{
	size_t n = 1 << 20;
	char *t = malloc(n + 1);
	CHECK(t != NULL);
	if (!t)
		return;
	memset(t, 'a', n);
	t[n] = 0;
	ark_secrets s;
	ark_secrets_init(&s);
	ark_secrets_adds(&s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	/* covered but for a tail shorter than 8 bytes (a block not looked up past a stretch) */
	CHECK(ark_redact(t, &s) > n - 8);
	CHECK(!strncmp(t, "[redacted]", 10) && strlen(t) < 18 && !strchr(t + 10, '['));
	free(t);
	/* a full list refuses more */
	ark_secrets_init(&s);
	char buf[ARK_SECRETS_MAX + 1][8];
	int rc = 0;
	for (int i = 0; i <= ARK_SECRETS_MAX; i++) {
		snprintf(buf[i], sizeof buf[i], "sec%03d", i);
		rc = ark_secrets_adds(&s, buf[i]);
	}
	CHECK(rc == -1 && s.n == ARK_SECRETS_MAX);
	CHECK(ark_secrets_adds(&s, "sec000") == 0);     /* already there */
	CHECK(ark_secrets_adds(&s, NULL) == 0 && ark_secrets_adds(&s, "abc") == 0);
}

/* A URL's secrets: the password, a token as the user, each query value. */
static void test_url(void)
{
	ark_secrets s;
	ark_secrets_init(&s);
	const char *u = "https://user:pw-in-url-55@api.example.test:8443/v1?token=q-in-url-66&a=1&key=abcdefgh#frag";
	CHECK(ark_secrets_url(&s, u) == 0);
	CHECK(s.n == 3);
	char t[256];
	snprintf(t, sizeof t, "failed at %s and pw-in-url-55, q-in-url-66, abcdefgh; user stays", u);
	ark_redact(t, &s);
	CHECK(!strstr(t, "in-url") && !strstr(t, "abcdefgh") && strstr(t, "user"));
	ark_secrets_init(&s);
	CHECK(ark_secrets_url(&s, "http://tok-0123456789@h/v1") == 0 && s.n == 1 && s.len[0] == 14);
	ark_secrets_init(&s);
	CHECK(ark_secrets_url(&s, "http://127.0.0.1:8000/v1") == 0 && s.n == 0);
	CHECK(ark_secrets_url(&s, "not a url") == 0 && ark_secrets_url(&s, NULL) == 0 && s.n == 0);
	/* an @ after the host is not user information */
	CHECK(ark_secrets_url(&s, "http://h/v1/a@b") == 0 && s.n == 0);
}

int main(void)
{
	test_url();
	test_fixed();
	test_cut();
	test_random();
	test_repetitive();
	return unit_done("test-redact");
}
