#!/bin/sh
# A Slurm job array over ark-debate: one shard per array task.
#
#   sbatch --array=0-15 examples/scale/slurm-array.sh tasks.jsonl runs/exp1 -p debate -a 'openai:model=...'
#   # when all are done:
#   cat runs/exp1/shard-*.jsonl.gz > runs/exp1/debates.jsonl.gz
#
# Resubmitting the same array resumes every shard (--resume): finished records are kept, a shard
# cut off by the time limit or a node failure continues where it stopped.  Records depend only on
# (seed, task id), so the result is the same whatever the array size or node.
#SBATCH --job-name=ark-debate
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=24:00:00
#SBATCH --output=ark-%A_%a.log
set -eu
[ $# -ge 2 ] || { echo "usage: sbatch --array=0-(N-1) $0 TASKS OUTDIR [ark-debate options]" >&2; exit 2; }
tasks=$1 out=$2
shift 2
k=${SLURM_ARRAY_TASK_ID:?not running in a Slurm job array}
n=${SLURM_ARRAY_TASK_COUNT:?not running in a Slurm job array}
mkdir -p "$out"
exec ark-debate --shard "$k/$n" --resume -o "$out/shard-$k.jsonl.gz" "$@" "$tasks"
