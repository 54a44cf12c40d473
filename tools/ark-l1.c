/* ark-l1: the L1 ranking error of every turn, member, expert and team of rank-task records. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"
#include "grade/tally.h"
#include "measure/l1rec.h"

static const char help[] =
	"usage: ark-l1 [-hqvVz] [--skip-bad] [-o file] [file ...]\n"
	"  -v, --verbose        say why each unparsable turn could not be read\n";

static int verbose;

/* totals for the summary */
static long n_records, n_error, n_other, n_turns, n_parsed, n_unparsable, n_team;
static double sum_team;
static ark_tally *tally;            /* unparsable turns per agent and model */

/* -v: why a ranking could not be read, at the record's file and line */
static void note(void *arg, const char *msg)
{
	const cli_in *in = arg;
	cli_warn("%s:%ld: %s", cli_in_name(in), cli_in_line(in), msg);
}

static void count(const ark_l1rec_out *o)
{
	if (o->what == ARK_L1REC_FAILED) {
		n_error++;
		return;
	}
	if (o->what == ARK_L1REC_OTHER) {
		n_other++;
		return;
	}
	n_records++;
	n_turns += o->parsed + o->unparsable;
	n_parsed += o->parsed;
	n_unparsable += o->unparsable;
	if (o->team >= 0)
		n_team++, sum_team += (double)o->team;
}

static void summary(const cli_in *in)
{
	fprintf(stderr, "%s: %ld records, %ld turns: %ld parsed, %ld unparsable", cli_prog,
	        n_records, n_turns, n_parsed, n_unparsable);
	if (n_team)
		fprintf(stderr, "; mean team L1 %.2f (%ld records)", sum_team / (double)n_team, n_team);
	else
		fprintf(stderr, "; no team L1");
	fputc('\n', stderr);
	ark_buf b = ARK_BUF_INIT;
	if (n_unparsable && ark_tally_format(tally, 0, &b) > 0)
		cli_warn("unparsable: %s", b.p);
	ark_buf_release(&b);
	if (n_error)
		cli_warn("%ld records with status \"error\" passed through", n_error);
	if (n_other)
		cli_warn("%ld records of another kind passed through", n_other);
	if (in->skipped)
		cli_warn("%ld bad records skipped", in->skipped);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "verbose", no_argument, NULL, 'v' }, { NULL, 0, NULL, 0 },
	};
	cli_init("ark-l1");
	while (cli_getopt(argc, argv, "v", lo, help) != -1)
		verbose = 1;            /* -v is its one option of its own */

	cli_in in;
	cli_in_init(&in, argv + optind, argc - optind, cli_skip_bad);
	ark_writer *w = cli_out_open(cli_output, cli_gzip, 0);
	ark_l1rec *m = ark_l1rec_new();
	if (!m || !(tally = ark_tally_new()))
		cli_die("out of memory");
	ark_l1rec_set_tally(m, tally);
	ark_l1rec_out o;
	char err[512];
	const char *line;
	size_t len;
	while (cli_in_next_raw(&in, &line, &len) == 1) {
		if (ark_l1rec_score(m, line, len, verbose ? note : NULL, &in, &o, err, sizeof err) < 0) {
			cli_in_bad(&in, "%s", err);
			continue;
		}
		count(&o);
		if (ark_writer_line(w, o.line, o.len, err, sizeof err) < 0)
			cli_die("%s", err);
	}
	ark_l1rec_free(m);
	cli_in_close(&in);
	cli_out_close(w);
	if (!cli_quiet)
		summary(&in);
	ark_tally_free(tally);
	return 0;
}
