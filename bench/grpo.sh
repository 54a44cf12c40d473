#!/bin/sh
# bench/grpo.sh: ark-grpo throughput in samples per second, on synthetic groups of G = 8:
# rewards only, sequence log-probabilities, and per-token arrays of TOKENS tokens with a mask;
# whole-input batches against --batch 64 (memory: max RSS).
#
#   sh bench/grpo.sh                      # writes the ark-grpo section of bench/RESULTS-score.md
#   SAMPLES=20000 RUNS=1 sh bench/grpo.sh
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
SAMPLES=${SAMPLES:-400000}
TOKENS=${TOKENS:-128}
RUNS=${RUNS:-3}
OUT=${OUT:-$TOP/bench/RESULTS-score.md}
W=$(mktemp -d "${TMPDIR:-/tmp}/ark-bench-grpo.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
load=$(cut -d' ' -f1-3 /proc/loadavg)

[ -x "$BIN/ark-grpo" ] || { echo "bench/grpo.sh: build first (make)" >&2; exit 1; }
. "$TOP/bench/lib.sh"
bench_need_time bench/grpo.sh

# synthetic samples: groups of 8, a score in [-1, 1] and a correctness flag; a seeded awk stream
awk -v n="$SAMPLES" 'BEGIN { srand(7); for (i = 0; i < n; i++) {
	printf "{\"id\":\"s%d\",\"group\":\"g%d\",\"score\":%.6f,\"correct\":%s}\n", i, int(i / 8),
	       2 * rand() - 1, rand() < 0.5 ? "true" : "false" } }' > "$W/rewards.jsonl"
awk -v n="$SAMPLES" 'BEGIN { srand(8); for (i = 0; i < n; i++) {
	lp = -50 * rand() - 10
	printf "{\"id\":\"s%d\",\"group\":\"g%d\",\"reward\":%.4f,\"logp\":%.6f,\"logp_old\":%.6f,\"logp_ref\":%.6f}\n",
	       i, int(i / 8), rand(), lp, lp + 0.3 * (rand() - 0.5), lp + rand() - 0.5 } }' > "$W/seq.jsonl"
ntok=$((SAMPLES / 10))
awk -v n="$ntok" -v T="$TOKENS" 'BEGIN { srand(9); for (i = 0; i < n; i++) {
	printf "{\"id\":\"s%d\",\"group\":\"g%d\",\"reward\":%.4f", i, int(i / 8), rand()
	a = ""; b = ""; c = ""; m = ""
	for (t = 0; t < T; t++) {
		lp = -3 * rand(); sep = t ? "," : ""
		a = a sep sprintf("%.4f", lp); b = b sep sprintf("%.4f", lp + 0.2 * (rand() - 0.5))
		c = c sep sprintf("%.4f", lp + 0.4 * (rand() - 0.5)); m = m sep (t < T - 16 ? 1 : 0)
	}
	printf ",\"logp\":[%s],\"logp_old\":[%s],\"logp_ref\":[%s],\"mask\":[%s]}\n", a, b, c, m } }' > "$W/tok.jsonl"

t_r=$(best_wall "$BIN/ark-grpo" -q "$W/rewards.jsonl")
t_rb=$(best_wall "$BIN/ark-grpo" -q --batch 64 "$W/rewards.jsonl")
t_s=$(best_wall "$BIN/ark-grpo" -q "$W/seq.jsonl")
t_t=$(best_wall "$BIN/ark-grpo" -q --norm token "$W/tok.jsonl")
m_r=$(max_rss "$BIN/ark-grpo" -q "$W/rewards.jsonl")
m_rb=$(max_rss "$BIN/ark-grpo" -q --batch 64 "$W/rewards.jsonl")
mb() { echo "$(wc -c < "$1") / 1048576" | bc -l | xargs printf '%.0f'; }

cpu=$(cpu_model)
{
	echo "## ark-grpo (bench/grpo.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -sm); $cpu, $(nproc) cores; best of $RUNS runs;"
	echo "load average before the run: $load (the machine is shared, so wall times are upper bounds)."
	echo "Synthetic groups of 8 samples."
	echo
	echo "| input | samples | MB | seconds | samples/s |"
	echo "|---|---:|---:|---:|---:|"
	echo "| score + correct, one batch | $SAMPLES | $(mb "$W/rewards.jsonl") | $t_r | $(rate "$SAMPLES" "$t_r") |"
	echo "| score + correct, \`--batch 64\` | $SAMPLES | $(mb "$W/rewards.jsonl") | $t_rb | $(rate "$SAMPLES" "$t_rb") |"
	echo "| sequence logp, logp_old, logp_ref | $SAMPLES | $(mb "$W/seq.jsonl") | $t_s | $(rate "$SAMPLES" "$t_s") |"
	echo "| $TOKENS-token arrays + mask, \`--norm token\` | $ntok | $(mb "$W/tok.jsonl") | $t_t | $(rate "$ntok" "$t_t") |"
	echo
	echo "- samples per second through ark-grpo (rewards only): **$(rate "$SAMPLES" "$t_r")**;"
	echo "  with $TOKENS-token arrays $(rate "$((ntok * TOKENS))" "$t_t") tokens per second."
	echo "- max RSS: $m_r KiB with the whole input as one batch, $m_rb KiB with \`--batch 64\`"
	echo "  (a batch is held in memory until its deviation and weights are known)."
} > "$W/section.md"

other_sections "$OUT" "## ark-grpo " > "$W/rest.md"
{ if grep -q . "$W/rest.md"; then cat "$W/rest.md"; echo; fi; cat "$W/section.md"; } > "$OUT"
cat "$W/section.md"
