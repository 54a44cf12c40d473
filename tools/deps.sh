#!/bin/sh
# Install the Debian packages ark needs, or print the exact command when not root.
# usage: deps.sh [--force-check] pkg...
[ "$1" = "--force-check" ] && shift
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "ark: installing missing packages:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } </dev/null >&2 || {
		echo "ark: apt-get failed" >&2; exit 1; }
else
	echo "ark: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
