#!/bin/sh
# valgrind_report.sh DIR MIN - the verdict of `make check-valgrind`.
# Every valgrind log in DIR (one per process) must report 0 errors
# (definite leaks count as errors there) and no memcheck error lines, and
# at least MIN logs must carry a summary, so that a run where valgrind
# never started cannot pass.  A log with only valgrind's banner is a
# child a test forked that then exec'd another program (valgrind does
# not follow the exec): it is counted, not judged.  Prints the logs with
# errors and exits 1 on any.
dir=$1 min=$2
total=0 bad=0 forked=0
for f in "$dir"/*.log; do
	[ -f "$f" ] || continue
	if ! grep -q 'ERROR SUMMARY:' "$f"; then
		if grep -q -E '^==[0-9]+== (Invalid|Conditional jump|Use of uninitialised|Syscall param|Mismatched|Process terminating)' "$f"; then
			bad=$((bad + 1))
			echo "== $f"
			cat "$f"
		else
			forked=$((forked + 1))
		fi
		continue
	fi
	total=$((total + 1))
	if ! grep -q 'ERROR SUMMARY: 0 errors' "$f"; then
		bad=$((bad + 1))
		echo "== $f"
		cat "$f"
	fi
done
echo "valgrind memcheck: $total program runs, $bad with errors" \
	"($forked forked children that exec'd another program)"
if [ "$total" -lt "$min" ]; then
	echo "valgrind memcheck: expected at least $min runs" >&2
	exit 1
fi
[ "$bad" -eq 0 ]
