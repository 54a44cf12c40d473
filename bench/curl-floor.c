/* curl-floor.c: a reference point for bench/cpu-request.sh, not part of ark: about the least a
 * libcurl client spends on a chat request.  It keeps J requests in flight against URL with
 * curl's socket interface over epoll as lib/llm/http.c drives it (idle pooled connections stay
 * registered), every easy handle configured once and reused, the same two custom headers on
 * every request, the body a fixed template of BODY_BYTES, the reply kept in a reused buffer and
 * never parsed: no JSON, no grading, no records.  What ark-debate spends above it a request is
 * ark's own work.
 *
 *   curl-floor URL J N [BODY_BYTES]   (URL ends in /v1; N requests in all; exit 1 if any failed)
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

typedef struct {
	CURL *e;
	char *body;
	size_t blen;
	char *resp;
	size_t rlen, rcap;
} slot;

static int epfd;
static CURLM *multi;
static long timeout_ms = -1;
static long started, finished, total, failed;
static size_t body_bytes = 200;

static size_t on_body(char *p, size_t sz, size_t n, void *u)
{
	slot *s = u;
	size_t k = sz * n;
	if (s->rlen + k > s->rcap) {
		s->rcap = (s->rlen + k) * 2;
		s->resp = realloc(s->resp, s->rcap);
		if (!s->resp)
			abort();
	}
	memcpy(s->resp + s->rlen, p, k);
	s->rlen += k;
	return k;
}

/* by descriptor: 0 not in epoll, else the events registered + 1, with PARKED when curl no longer
 * watches it (an idle pooled connection stays registered, so reusing it costs no epoll_ctl) */
#define PARKED 0x10000
static int reg[65536];

static int on_socket(CURL *e, curl_socket_t fd, int what, void *u, void *sp)
{
	(void)e; (void)u; (void)sp;
	if (fd < 0 || fd >= 65536)
		return -1;
	if (what == CURL_POLL_REMOVE) {
		if (reg[fd])
			reg[fd] |= PARKED;
		return 0;
	}
	struct epoll_event ev = { 0 };
	ev.data.fd = fd;
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	int want = (int)ev.events + 1;
	if (reg[fd] == 0)
		epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
	else if ((reg[fd] & ~PARKED) != want)
		epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
	reg[fd] = want;
	return 0;
}

static int on_close(void *u, curl_socket_t fd)
{
	(void)u;
	if (fd >= 0 && fd < 65536)
		reg[fd] = 0;
	return close(fd);
}

static int on_timer(CURLM *m, long ms, void *u)
{
	(void)m; (void)u;
	timeout_ms = ms;
	return 0;
}

static void start(slot *s)
{
	/* the body varies per request, as a real client's does */
	int k = snprintf(s->body, body_bytes, "{\"model\":\"bench\",\"seed\":%ld,\"messages\":"
	                 "[{\"role\":\"user\",\"content\":\"Question: Bench question %ld: what is %ld "
	                 "plus 7? ", started, started % 20000, 100 + started % 20000);
	size_t n = (size_t)k;
	while (n + 4 < body_bytes)
		s->body[n++] = 'x';
	memcpy(s->body + n, "\"}]}", 4);
	s->blen = n + 4;
	curl_easy_setopt(s->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->blen);
	curl_easy_setopt(s->e, CURLOPT_POSTFIELDS, s->body);
	s->rlen = 0;
	started++;
	curl_multi_add_handle(multi, s->e);
}

static void harvest(void)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		slot *s;
		long code = 0;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		if (m->data.result != CURLE_OK || code != 200)
			failed++;
		curl_multi_remove_handle(multi, m->easy_handle);
		finished++;
		if (started < total)
			start(s);
	}
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: curl-floor URL J N [BODY_BYTES]\n");
		return 2;
	}
	char url[512];
	snprintf(url, sizeof url, "%s/chat/completions", argv[1]);
	int j = atoi(argv[2]);
	total = atol(argv[3]);
	if (argc > 4)
		body_bytes = (size_t)atol(argv[4]);
	if (body_bytes < 200)
		body_bytes = 200;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	epfd = epoll_create1(0);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
	hd = curl_slist_append(hd, "Authorization: Bearer none");

	slot *slots = calloc((size_t)j, sizeof *slots);
	for (int i = 0; i < j; i++) {
		slot *s = &slots[i];
		s->e = curl_easy_init();
		s->body = malloc(body_bytes + 8);
		curl_easy_setopt(s->e, CURLOPT_URL, url);
		curl_easy_setopt(s->e, CURLOPT_HTTPHEADER, hd);
		curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(s->e, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(s->e, CURLOPT_PRIVATE, s);
		curl_easy_setopt(s->e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(s->e, CURLOPT_TIMEOUT_MS, 60000L);
		curl_easy_setopt(s->e, CURLOPT_CLOSESOCKETFUNCTION, on_close);
	}
	for (int i = 0; i < j && started < total; i++)
		start(&slots[i]);
	int running = 0;
	curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	harvest();
	struct epoll_event evs[256];
	while (finished < total) {
		int n = epoll_wait(epfd, evs, 256, timeout_ms < 0 ? 1000 : (int)timeout_ms);
		if (n <= 0) {
			curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (reg[fd] & PARKED) {
				/* an idle connection the server closed: out of epoll; curl finds it dead */
				epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
				reg[fd] = 0;
				continue;
			}
			int f = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			        (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			        (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
			curl_multi_socket_action(multi, fd, f, &running);
		}
		harvest();
	}
	for (int i = 0; i < j; i++) {
		curl_easy_cleanup(slots[i].e);
		free(slots[i].body);
		free(slots[i].resp);
	}
	free(slots);
	curl_slist_free_all(hd);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	if (failed)
		fprintf(stderr, "curl-floor: %ld of %ld requests failed\n", failed, total);
	return failed ? 1 : 0;
}
