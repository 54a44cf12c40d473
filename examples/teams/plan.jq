# plan.jq: a Table 1 cell of ark-gap --paper 1 (input) and the grid's cost per cell ($cost, from
# the cells' usage) -> task, cell, gap %, seeds run, seeds needed for the 95% interval of the gap
# to exclude zero, and their calls and tokens.  The interval's half-width h shrinks as
# 1/sqrt(seeds), so S seeds give half-width h; n seeds give h sqrt(S / n), below |gap| when
# n > S (h / gap)^2 (at least 2).
select(.measure == "gap" and .value != null and .ci != null) | . as $c
| (if ($c.column | startswith("conc")) then "concentrated" else "distributed" end) as $s
| (if ($c.column | endswith("enm")) then "hidden" else "revealed" end) as $cond
| ($cost[0][] | select(.task == $c.task and .split == $s and .condition == $cond)) as $k
| (($c.ci[1] - $c.ci[0]) / 2) as $h
| (if $c.value == 0 then null else ([2, ($k.seeds * ($h / $c.value) * ($h / $c.value) | ceil)] | max) end) as $n
| [$c.task, $c.column, ($c.value * 1000 | round / 10), $k.seeds, $n,
   (if $n then ($k.calls / $k.seeds * $n | round) else null end),
   (if $n then ($k.tokens / $k.seeds * $n | round) else null end)]
| @tsv
