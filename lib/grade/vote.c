/* vote.c: the majority vote (see vote.h). */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "grade/vote.h"

/* While the choices are found, a choice's entry in votes[] carries this bit. */
#define CHOICE (~(SIZE_MAX >> 1))

int ark_vote_same_answer(const char *a, const char *b, void *ctx)
{
	const ark_vote_grader *g = ctx;
	if (!strcmp(a, b))          /* the common case, without normalising */
		return 1;
	if (g->kind < 0)
		return 0;
	return ark_answers_equiv((ark_kind)g->kind, a, b, g->go);
}

/* Does answer i equal an earlier answer (only choices, when only_choices)? */
static int equals_earlier(const char *const *ans, size_t i, const ark_vote_rule *rule,
                          const size_t *votes, int only_choices)
{
	for (size_t j = 0; j < i; j++)
		if (ans[j] && (!only_choices || (votes[j] & CHOICE)) &&
		    rule->eq(ans[j], ans[i], rule->ctx))
			return 1;
	return 0;
}

/* ARK_TIE_DRAW_SCAN: the winner as the answers are read (see vote.h). */
static long scan_draw(const char *const *ans, size_t n, const ark_vote_rule *rule,
                      const size_t *votes)
{
	size_t best = 0, m = 0;
	long win = -1;
	for (size_t i = 0; i < n; i++) {
		if (!ans[i])
			continue;
		if (votes[i] > best) {
			best = votes[i];
			m = 1;
			win = (long)i;
		} else if (votes[i] == best && !equals_earlier(ans, i, rule, votes, 0) &&
		           ark_rng_below(rule->rng, ++m) == 0) {
			win = (long)i;
		}
	}
	return win;
}

/* Mark the choices in votes[] (CHOICE) and count them; sum the score. */
static void find_choices(const char *const *ans, size_t n, const ark_vote_rule *rule,
                         size_t *votes, ark_vote *v)
{
	double s = 0;
	size_t m = 0;
	for (size_t i = 0; v->votes && i < n; i++) {
		if (votes[i] != v->votes || equals_earlier(ans, i, rule, votes, 1))
			continue;
		votes[i] |= CHOICE;
		v->choices++;
		if (rule->cor && !isnan(rule->cor[i])) {
			s += rule->cor[i];
			m++;
		}
	}
	v->score = m ? s / (double)m : NAN;
}

/* The t-th choice (from 0), or -1. */
static long nth_choice(const size_t *votes, size_t n, size_t t)
{
	for (size_t i = 0; i < n; i++)
		if ((votes[i] & CHOICE) && t-- == 0)
			return (long)i;
	return -1;
}

long ark_vote_count(const char *const *ans, size_t n, const ark_vote_rule *rule, size_t *votes,
                    ark_vote *v)
{
	memset(v, 0, sizeof *v);
	v->win = -1;
	for (size_t i = 0; i < n; i++) {
		votes[i] = ans[i] != NULL;
		for (size_t j = 0; votes[i] && j < i; j++)
			if (ans[j] && rule->eq(ans[j], ans[i], rule->ctx)) {
				votes[i]++;
				votes[j]++;
			}
	}
	for (size_t i = 0; i < n; i++)
		if (votes[i] > v->votes)
			v->votes = votes[i];
	find_choices(ans, n, rule, votes, v);
	if (rule->tie == ARK_TIE_DRAW && v->votes)
		v->win = nth_choice(votes, n, (size_t)ark_rng_below(rule->rng, v->choices));
	else if (rule->tie != ARK_TIE_DRAW_SCAN && v->choices == 1)
		v->win = nth_choice(votes, n, 0);
	for (size_t i = 0; i < n; i++)
		votes[i] &= ~CHOICE;
	if (rule->tie == ARK_TIE_DRAW_SCAN)
		v->win = scan_draw(ans, n, rule, votes);
	return v->win;
}
