# install_layout.sh - `make install DESTDIR=...` from this build puts in
# place what an operator needs: both programs, the four man pages (each
# renders with man -l), the examples (configuration, rules, the Postfix
# and Sendmail snippets, the unit) under the documentation directory, and
# the systemd unit where systemd looks for it, naming the programs and the
# configuration at the paths they were installed to; that unit passes
# `systemd-analyze verify` once those paths point into DESTDIR; and
# `make uninstall` removes every file again.
. "$(dirname "$0")/lib.sh"
for t in make man systemd-analyze; do
	command -v $t >/dev/null ||
		bail "$t not installed (Debian packages make, man-db, systemd)"
done
[ -f "$top_builddir/Makefile" ] || bail "no Makefile in $top_builddir"
T=$(mktemp -d "${TMPDIR:-/tmp}/install_layout.XXXXXX")
trap 'rm -rf "$T"' EXIT
R=$T/root
# A make started by make check: not its jobserver, not its flags.
unset MAKEFLAGS MFLAGS MAKELEVEL
make -s -C "$top_builddir" install DESTDIR="$R" >"$T/install.log" 2>&1
ok $? "make install DESTDIR=... succeeds" || sed 's/^/# /' "$T/install.log"

one() { # one FIND-ARGS...: the single installed file that matches
	find "$R" -type f "$@" | head -2
}
sbin=$(one -path '*/sbin/smime-milter')
bin=$(one -path '*/bin/smime-tool' ! -path '*/sbin/*')
ok $([ -x "$sbin" ] && [ "$(echo "$sbin" | wc -l)" = 1 ]; echo $?) "smime-milter is installed in sbin ($sbin)"
ok $([ -x "$bin" ] && [ "$(echo "$bin" | wc -l)" = 1 ]; echo $?) "smime-tool is installed in bin ($bin)"
"$bin" >"$T/usage" 2>&1
ok $(grep -q 'usage: smime-tool' "$T/usage"; echo $?) "the installed smime-tool runs and prints its usage"

for page in man8/smime-milter.8 man1/smime-tool.1 man5/smime-milter.conf.5 man5/smime-milter.rules.5; do
	f=$(one -path "*/man/$page")
	[ -n "$f" ] || { fail "$page is installed"; continue; }
	name=${page#*/}; name=${name%.*}
	MANWIDTH=80 man -l "$f" >"$T/man.out" 2>"$T/man.err"
	ok $([ ! -s "$T/man.err" ] && grep -q '^NAME' "$T/man.out" &&
		grep -q "^ *$name " "$T/man.out"; echo $?) \
		"$page is installed and man -l renders it without a warning" ||
		sed 's/^/# /' "$T/man.err"
done

ex=$(find "$R" -type d -path '*/doc/smime-milter/examples')
for f in smime-milter.conf smime-milter.rules main.cf.snippet master.cf.snippet \
	 smime-milter.mc smime-milter.service smime-milter.json; do
	ok $([ -s "$ex/$f" ]; echo $?) "examples/$f is installed in the documentation directory"
done

unit=$(one -path '*/lib/systemd/system/smime-milter.service')
ok $([ -s "$unit" ]; echo $?) "the unit is installed where systemd looks (PREFIX/lib/systemd/system)"
ok $(cmp -s "$unit" "$ex/smime-milter.service"; echo $?) "it is the same unit as the example"
conf=$(one -path '*/etc/smime-milter/smime-milter.conf')
want_exec="ExecStart=${sbin#"$R"} -f -c "
got_exec=$(grep '^ExecStart=' "$unit")
prefixed() { case $1 in "$2"*) return 0 ;; *) return 1 ;; esac; }
ok $(prefixed "$got_exec" "$want_exec"; echo $?) \
	"the unit starts the installed smime-milter ($got_exec)"
sysconf=${got_exec##* }
ok $(prefixed "$sysconf" / && [ "${sysconf%/smime-milter/smime-milter.conf}" != "$sysconf" ]; echo $?) \
	"it reads the configuration below the configured sysconfdir ($sysconf)"
[ -z "$conf" ] || diag "make install also installed a configuration: $conf"
ok $(grep -q '%[A-Z]*%' "$unit"; [ $? -ne 0 ]; echo $?) "no placeholder is left in the unit"

# systemd-analyze verify needs every ExecStart binary at its absolute path,
# and runs man for the man: URLs in Documentation=: the same unit with the
# installed paths pointing into DESTDIR, and MANPATH to the installed pages.
sed -e "s|${sbin#"$R"}|$sbin|g" "$unit" >"$T/smime-milter.service"
mandir=$(dirname "$(dirname "$(one -path '*/man8/smime-milter.8')")")
MANPATH=$mandir systemd-analyze verify "$T/smime-milter.service" >"$T/verify.log" 2>&1
st=$?
ok $([ $st -eq 0 ] && ! grep -qi 'unknown\|invalid\|ignoring\|failed' "$T/verify.log"; echo $?) \
	"systemd-analyze verify accepts the installed unit" || sed 's/^/# /' "$T/verify.log"

make -s -C "$top_builddir" uninstall DESTDIR="$R" >"$T/uninstall.log" 2>&1
ok $? "make uninstall DESTDIR=... succeeds"
left=$(find "$R" -type f | sed "s|^$R||")
is "$left" "" "make uninstall removes every installed file"
done_testing
