/* fuzz-http: the HTTP backends' handling of a reply (lib/llm/http.c: headers, status, the body's
 * JSON for both protocols), through the public entry tests/helpers/ark-llm-probe.c drives
 * (ark_llm_submit and ark_llm_run), against a loopback server in a thread of this process that
 * answers every request with the fuzz input.  Byte 0 picks the protocol (openai, anthropic) and
 * the status (200 most often, then the error statuses the client tells apart); the rest is
 * "HEADERS\n\nBODY" when it holds a blank line, else the body.  Headers are kept to printable
 * "Name: value" lines without the framing ones (Content-Length, Transfer-Encoding, ...), so the
 * reply stays one well-framed HTTP response and every input reaches the client's parsing.  One
 * call an input, no retries, a fresh client each time (a 401 stops its member for good). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/buf.h"
#include "llm/llm.h"

#define FAIL(what) do { fprintf(stderr, "fuzz-http: %s\n", what); abort(); } while (0)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static ark_buf reply = ARK_BUF_INIT;     /* the whole response to send, under mu */
static int port;
static ark_member members[2];

/* Read one request (headers, then Content-Length bytes of body); 0 at the connection's end. */
static int read_request(int fd)
{
	char buf[65536];
	size_t have = 0, need = 0;
	char *end = NULL;
	for (;;) {
		if (have == sizeof buf)
			return 0;
		ssize_t k = read(fd, buf + have, sizeof buf - have);
		if (k <= 0)
			return 0;
		have += (size_t)k;
		if (!end) {
			buf[have < sizeof buf ? have : sizeof buf - 1] = 0;
			if (!(end = strstr(buf, "\r\n\r\n")))
				continue;
			const char *cl = strcasestr(buf, "\r\ncontent-length:");
			need = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (have >= need)
			return 1;
	}
}

static void *conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	while (read_request(fd)) {
		pthread_mutex_lock(&mu);
		ark_buf out = ARK_BUF_INIT;
		ark_buf_add(&out, reply.p, reply.len);
		pthread_mutex_unlock(&mu);
		size_t off = 0;
		while (off < out.len) {
			ssize_t k = write(fd, out.p + off, out.len - off);
			if (k <= 0)
				break;
			off += (size_t)k;
		}
		ark_buf_release(&out);
	}
	close(fd);
	return NULL;
}

static void *server(void *arg)
{
	int ls = (int)(intptr_t)arg;
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_t t;
		if (pthread_create(&t, NULL, conn, (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 64) ||
	    getsockname(ls, (struct sockaddr *)&a, &al))
		FAIL("cannot listen on the loopback interface");
	port = ntohs(a.sin_port);
	pthread_t t;
	if (pthread_create(&t, NULL, server, (void *)(intptr_t)ls))
		FAIL("thread");
	pthread_detach(t);
	char spec[2][200], err[256];
	snprintf(spec[0], sizeof spec[0], "openai:model=m,url=http://127.0.0.1:%d/v1,logprobs=2", port);
	snprintf(spec[1], sizeof spec[1], "anthropic:model=m,url=http://127.0.0.1:%d", port);
	for (int i = 0; i < 2; i++) {
		ark_member_init(&members[i]);
		if (ark_member_parse(&members[i], spec[i], NULL, err, sizeof err) < 0)
			FAIL(err);
	}
	return 0;
}

/* A header line as sent: printable bytes only, "Name: value", not one that frames the body. */
static void add_header(ark_buf *b, const char *p, size_t n)
{
	static const char *const framing[] = { "content-length", "transfer-encoding", "connection",
		"content-encoding", "keep-alive", "upgrade", "trailer", "te" };
	const char *colon = memchr(p, ':', n);
	if (!colon || colon == p)
		return;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 32 || (unsigned char)p[i] > 126)
			return;
	for (size_t i = 0; i < (size_t)(colon - p); i++)
		if (p[i] == ' ' || p[i] == '\t')
			return;
	for (size_t i = 0; i < sizeof framing / sizeof *framing; i++)
		if ((size_t)(colon - p) == strlen(framing[i]) && !strncasecmp(p, framing[i], strlen(framing[i])))
			return;
	ark_buf_add(b, p, n);
	ark_buf_adds(b, "\r\n");
}

static void done(ark_call *c) { (void)c; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int status[16] = { 200, 200, 200, 200, 200, 200, 201, 400, 401, 403, 404, 408,
	                                413, 429, 500, 529 };
	if (size < 1 || size > 1 << 20)
		return 0;
	const char *p = (const char *)data + 1, *e = p + size - 1;
	const char *blank = memmem(p, (size_t)(e - p), "\n\n", 2);
	const char *body = blank ? blank + 2 : p;
	ark_buf head = ARK_BUF_INIT;
	for (const char *q = p; blank && q < blank; ) {
		const char *nl = memchr(q, '\n', (size_t)(blank - q));
		if (!nl)
			nl = blank;
		add_header(&head, q, (size_t)(nl - q));
		q = nl + 1;
	}
	pthread_mutex_lock(&mu);
	ark_buf_reset(&reply);
	ark_buf_addf(&reply, "HTTP/1.1 %d Fuzz\r\nContent-Type: application/json\r\n"
	             "Content-Length: %zu\r\n", status[data[0] & 15], (size_t)(e - body));
	ark_buf_add(&reply, head.p, head.len);
	ark_buf_adds(&reply, "\r\n");
	ark_buf_add(&reply, body, (size_t)(e - body));
	pthread_mutex_unlock(&mu);
	ark_buf_release(&head);

	ark_llm_opts o;
	char err[512];
	ark_llm_opts_init(&o);
	o.retries = 0;
	o.timeout_s = 10;
	ark_llm *l = ark_llm_new(&o, err, sizeof err);
	if (!l)
		FAIL(err);
	ark_msg msg = { "user", "What is 6 times 7?" };
	ark_call c;
	memset(&c, 0, sizeof c);
	c.m = &members[(data[0] >> 4) & 1];
	c.msgs = &msg;
	c.nmsg = 1;
	c.seed = 7;
	c.done = done;
	if (ark_llm_submit(l, &c, err, sizeof err) < 0)
		FAIL(err);
	for (int i = 0; ark_llm_pending(l) > 0; i++) {
		if (ark_llm_run(l, 100, err, sizeof err) < 0)
			FAIL(err);
		if (i > 200)
			FAIL("a call did not finish in 20 s");
	}
	if (c.ok && !c.text)
		FAIL("a call that succeeded without a text");
	if (!c.ok && !c.err[0])
		FAIL("a call that failed without a reason");
	ark_call_release(&c);
	ark_llm_free(l);
	return 0;
}
