#!/bin/sh
# sizes.sh: the code-size figures the layering rules set limits on.
#   every tool's main under 100 lines, every tool file under 350 (ark-gap under 550),
#   no function over 100 lines anywhere in lib/ or tools/.
# A function is counted from its opening line (a line at column 0 with a '(' and no ';', with its
# continuation lines, followed by a line holding only '{') to its closing '}' at column 0.  Prints the figures, then each breach;
# exit status 1 when there is a breach (so it can gate a build), 0 otherwise.
cd "$(dirname "$0")/.."
bad=0
echo "tool files (lines; limit 350, ark-gap 550):"
for f in tools/ark-*.c; do
	n=$(wc -l <"$f"); lim=350
	[ "$f" = tools/ark-gap.c ] && lim=550
	flag=""; [ "$n" -ge "$lim" ] && { flag="  OVER"; bad=1; }
	printf '  %-22s %5d%s\n' "$f" "$n" "$flag"
done
awk '
FNR == 1 { name = ""; start = 0 }
/^[A-Za-z_][^;]*\(/ && $0 !~ /;[[:space:]]*$/ { cand = $0; candline = FNR; next }
/^\{[[:space:]]*$/ && cand != "" { name = cand; start = candline; cand = ""; next }
/^[[:space:]]/ && cand != "" && !start { next }
{ cand = "" }
/^\}/ && start { n = FNR - start + 1; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
                 printf "%d %s %s:%d\n", n, name, FILENAME, start; start = 0 }
' lib/*/*.c tools/*.c >/tmp/ark-sizes.$$
echo "main functions (lines; limit 100):"
grep ' main tools/' /tmp/ark-sizes.$$ | sort -k3 | while read -r n name where; do
	flag=""; [ "$n" -ge 100 ] && flag="  OVER"
	printf '  %-30s %5d%s\n' "$where" "$n" "$flag"
done
echo "functions of 100 lines or more:"
sort -rn /tmp/ark-sizes.$$ | awk '$1 >= 100 { printf "  %5d  %s  %s\n", $1, $2, $3; found = 1 }
                                  END { if (!found) print "  none"; exit found }' || bad=1
echo "largest function: $(sort -rn /tmp/ark-sizes.$$ | head -1)"
rm -f /tmp/ark-sizes.$$
exit $bad
