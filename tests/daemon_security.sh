# daemon_security.sh - the security properties of the running daemon
# (issue 7): it drops its privileges to UserID (read from /proc by uid,
# gid, groups and capabilities, for every thread), still works and
# reloads after that, refuses unsafe key files at start, leaves no core
# dump (RLIMIT_CORE 0, not dumpable, issue 13), and removes
# forged Authentication-Results, X-SMIME-Encryption and X-SMIME-Tag
# fields through the milter protocol.  Needs root (the drop is from root).
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || bail "daemon_security.sh needs root (it checks the drop from root to UserID)"
command -v miltertest >/dev/null 2>&1 || bail "miltertest not found (Debian package miltertest)"
[ -x "$SMIME_MILTER" ] || bail "$SMIME_MILTER not built"
getent passwd nobody >/dev/null || bail "no user nobody"
getent group nogroup >/dev/null || bail "no group nogroup"

T=$(mktemp -d /tmp/daemon_security.XXXXXX) || bail "mktemp failed"
chmod 755 "$T"
PID= PID2=
cleanup() {
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	[ -n "$PID2" ] && kill -KILL "$PID2" 2>/dev/null
	evidence_keep "$T"
	rm -rf "$T"
}
trap cleanup EXIT

U=$(id -u nobody)
G=$(getent group nogroup | cut -d: -f3)

# --- a key store the daemon can read only as nobody -----------------------
mkdir -m 700 "$T/ks" "$T/run"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ks/gw.key" -out "$T/ks/gw.crt" \
	-subj "/CN=gateway" -addext "subjectAltName=email:gw@example.org" -days 30 \
	2>/dev/null || bail "openssl req"
chmod 600 "$T/ks/gw.key"
chown -R nobody:nogroup "$T/ks" "$T/run"

cat >"$T/good.conf" <<EOF
Socket local:$T/run/milter.sock
SocketMode 0660
PidFile $T/run/milter.pid
UserID nobody:nogroup
AuthservID mx.security.test
KeyStore $T/ks
EOF

"$SMIME_MILTER" -f -c "$T/good.conf" 2>"$T/milter.log" &
PID=$!
up=1
for _ in $(seq 100); do
	[ -S "$T/run/milter.sock" ] && grep -q "Uid:[[:space:]]*$U" "/proc/$PID/status" 2>/dev/null && { up=0; break; }
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
ok $up "the daemon starts as root with UserID nobody:nogroup" || { diag "$(cat "$T/milter.log")"; done_testing; }

# --- the drop, as the kernel sees it ---------------------------------------
status=/proc/$PID/status
is "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$status")" "$U $U $U $U" \
	"real, effective, saved and filesystem uid are nobody's ($U)"
is "$(awk '/^Gid:/ {print $2, $3, $4, $5}' "$status")" "$G $G $G $G" \
	"real, effective, saved and filesystem gid are nogroup's ($G)"
want_groups=$( (echo "$G"; id -G nobody | tr ' ' '\n' | grep -v "^$(id -g nobody)\$") | sort -n | uniq | tr '\n' ' ')
got_groups=$(awk '/^Groups:/ {for (i = 2; i <= NF; i++) print $i}' "$status" | sort -n | uniq | tr '\n' ' ')
is "$got_groups" "$want_groups" "supplementary groups are nobody's own, root's are gone"
is "$(awk '/^CapEff:/ {print $2}' "$status")" 0000000000000000 "no effective capabilities left"
is "$(awk '/^CapPrm:/ {print $2}' "$status")" 0000000000000000 "no permitted capabilities left (no way back)"
bad=0; nthreads=0
for s in /proc/"$PID"/task/*/status; do
	nthreads=$((nthreads + 1))
	[ "$(awk '/^Uid:/ {print $2 $3 $4 $5}' "$s")" = "$U$U$U$U" ] || bad=1
done
ok $bad "every thread of the daemon ($nthreads) runs as nobody"
is "$(stat -c '%U %a' "$T/run/milter.sock")" "nobody 660" \
	"the socket, made as root, belongs to nobody with SocketMode 0660"
is "$(cat "$T/run/milter.pid" 2>/dev/null)" "$PID" "the pid file names the daemon"

# --- core dumps (issue 13): none, whatever the system allows --------------
# A core of the daemon would hold keys and plaintext it decrypted.  It
# sets RLIMIT_CORE to 0 (soft and hard) and makes itself non-dumpable,
# which the kernel shows as root owning /proc/PID of a process that runs
# as nobody.  The UserID drop alone already does that while
# fs.suid_dumpable is 0, so the second daemon is started as nobody.
core_limit() { awk '/^Max core file size/ { print $5, $6 }' "/proc/$1/limits"; }
nondumpable() { # every thread's /proc entry belongs to root
	local s bad=0
	for s in /proc/"$1"/task/*/status; do
		[ "$(stat -c %U "$s")" = root ] || bad=1
	done
	return $bad
}
is "$(core_limit "$PID")" "0 0" "the daemon's core file size limit is 0, soft and hard"
nondumpable "$PID"; ok $? "the daemon is not dumpable (every thread's /proc entry is root's)"
mkdir -m 700 "$T/run2"; chown nobody:nogroup "$T/run2"
printf 'Socket local:%s\nKeyStore %s\n' "$T/run2/milter.sock" "$T/ks" >"$T/nobody.conf"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$SMIME_MILTER" -f -c "$T/nobody.conf" 2>"$T/nobody.log" &
PID2=$!
for _ in $(seq 100); do [ -S "$T/run2/milter.sock" ] && break; sleep 0.1; done
[ -S "$T/run2/milter.sock" ]; ok $? "a daemon started as nobody, without UserID, runs" || diag "$(cat "$T/nobody.log")"
is "$(awk '/^Uid:/ {print $2}' "/proc/$PID2/status")" "$U" "it runs as nobody"
is "$(core_limit "$PID2")" "0 0" "started as nobody: core file size limit 0, soft and hard"
nondumpable "$PID2"; ok $? "started as nobody: not dumpable (its /proc entries are root's, not nobody's)" ||
	diag "$(stat -c '%U %n' /proc/"$PID2"/task/*/status)"
kill -TERM "$PID2"; wait "$PID2" 2>/dev/null; PID2=

# --- it still works as nobody: a message through the milter protocol ------
cat >"$T/msg.lua" <<'EOF'
local conn = mt.connect(os.getenv("MT_SOCK"), 40, 0.25)
if conn == nil then print("connect=failed"); os.exit(1) end
local function want(what, rc, reply)
	if rc ~= nil then print(what .. "=error"); os.exit(1) end
	if mt.getreply(conn) ~= reply then print(what .. "=unexpected"); os.exit(1) end
end
mt.macro(conn, SMFIC_CONNECT, "j", "mx.security.test")
want("connect", mt.conninfo(conn, "sender.example", "192.0.2.7"), SMFIR_CONTINUE)
mt.macro(conn, SMFIC_MAIL, "i", "SECTEST1")
want("mail", mt.mailfrom(conn, "<carol@sender.example>"), SMFIR_CONTINUE)
want("rcpt", mt.rcptto(conn, "<gw@example.org>"), SMFIR_CONTINUE)
local fields = {{"From", "carol@sender.example"}, {"Subject", "privileges"}}
if os.getenv("MT_SET") == "forged" then
	table.insert(fields, {"Authentication-Results",
		"mx.security.test; smime=pass body.smime-identifier=carol@sender.example"})
	table.insert(fields, {"X-SMIME-Encryption", "cipher=aes-256-cbc; strength=strong; action=none"})
	table.insert(fields, {"X-SMIME-Tag", "trusted"})
elseif os.getenv("MT_SET") == "folded" then
	table.insert(fields, {"Authentication-Results", "MX.Security.Test;\r\n\tsmime=pass\r\n\tbody.smime-part=1"})
else
	table.insert(fields, {"Authentication-Results", "mx.security.test; dkim=pass header.d=sender.example"})
	table.insert(fields, {"Authentication-Results", "other.example; smime=pass"})
end
for _, f in ipairs(fields) do want("header", mt.header(conn, f[1], f[2]), SMFIR_CONTINUE) end
want("eoh", mt.eoh(conn), SMFIR_CONTINUE)
want("body", mt.bodystring(conn, "plain text\r\n"), SMFIR_CONTINUE)
if mt.eom(conn) ~= nil then print("eom=error"); os.exit(1) end
local r = mt.getreply(conn)
print("reply=" .. ((r == SMFIR_ACCEPT and "accept") or (r == SMFIR_CONTINUE and "continue") or "other"))
print("del-ar=" .. tostring(mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results")))
print("del-enc=" .. tostring(mt.eom_check(conn, MT_HDRDELETE, "X-SMIME-Encryption")))
print("del-tag=" .. tostring(mt.eom_check(conn, MT_HDRDELETE, "X-SMIME-Tag")))
mt.disconnect(conn)
EOF
drive() { out=$(MT_SET=$1 MT_SOCK="unix:$T/run/milter.sock" miltertest -s "$T/msg.lua" 2>&1); }
expect_line() { case $out in *"$1"*) return 0 ;; *) diag "$out"; return 1 ;; esac; }
drive forged
case $out in *reply=accept* | *reply=continue*) r=0 ;; *) r=1 ;; esac
ok $r "after the drop the daemon processes a message through the milter protocol" || diag "$out"
expect_line "del-ar=true"; ok $? "a forged A-R with our authserv-id and smime= is removed"
expect_line "del-enc=true"; ok $? "a forged X-SMIME-Encryption is removed"
expect_line "del-tag=true"; ok $? "a forged X-SMIME-Tag is removed"
drive folded
expect_line "del-ar=true"; ok $? "a folded forged A-R naming our authserv-id in other case is removed"
drive benign
expect_line "reply="; ok $? "a message with other A-R fields is processed"
expect_line "del-ar=false"; ok $? "A-R of other methods under our id, and smime= of another id, are left alone"
grep -q 'SECTEST1: dir=inbound' "$T/milter.log"; ok $? "the message has its log line" || diag "$(cat "$T/milter.log")"

# --- SIGHUP after the drop re-reads the key store as nobody ---------------
kill -HUP "$PID"
pf=1
for _ in $(seq 50); do grep -q 'reloaded' "$T/milter.log" && { pf=0; break; }; sleep 0.1; done
ok $pf "SIGHUP after the drop reloads the configuration, keys read as nobody" || diag "$(cat "$T/milter.log")"
kill -0 "$PID" 2>/dev/null; ok $? "the daemon still runs after the reload"
kill -TERM "$PID"; wait "$PID" 2>/dev/null; PID=

# --- unsafe key files: the daemon refuses to start ------------------------
refuses() { # refuses MODE FILE WHAT [HOW]: HOW is readable (default) or writable
	local mode=$1 file=$2 what=$3 how=${4:-readable} st
	rm -f "$T/run/milter.sock"
	chmod "$mode" "$T/ks/$file"
	out=$(timeout 20 "$SMIME_MILTER" -f -c "$T/good.conf" 2>&1); st=$?
	chmod 600 "$T/ks/$file"
	is "$st" 1 "a $what of mode $mode: the daemon refuses to start (exit 1)"
	case $out in *"$T/ks/$file: "*"$how by group or others (mode $mode); chmod 600"*) r=0 ;; *) r=1 ;; esac
	ok $r "a $what of mode $mode: the error names the file, the mode and the fix" || diag "$out"
	[ ! -S "$T/run/milter.sock" ]; ok $? "a $what of mode $mode: no socket was left listening"
}
refuses 0640 gw.key "private key readable by its group"
refuses 0604 gw.key "private key readable by others"
refuses 0620 gw.key "private key writable by its group" writable
refuses 0602 gw.key "private key writable by others" writable
openssl rand -base64 18 >"$T/ks/p.pass"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/p.key" -out "$T/p.crt" -subj "/CN=p" \
	-days 30 2>/dev/null && openssl pkcs12 -export -in "$T/p.crt" -inkey "$T/p.key" \
	-out "$T/ks/p.p12" -passout "file:$T/ks/p.pass" || bail "pkcs12"
rm -f "$T/p.key"
chown nobody:nogroup "$T/ks/p.p12" "$T/ks/p.pass"
chmod 600 "$T/ks/p.p12" "$T/ks/p.pass"
refuses 0644 p.pass "passphrase file"
refuses 0640 p.p12 "PKCS#12 file"
refuses 0602 p.pass "passphrase file writable by others" writable

# a key only root can read would break the first reload after the drop
chown root "$T/ks/gw.key"
out=$(timeout 20 "$SMIME_MILTER" -f -c "$T/good.conf" 2>&1); st=$?
chown nobody "$T/ks/gw.key"
is "$st" 1 "a key UserID cannot read: the daemon refuses to start"
case $out in *"$T/ks/gw.key"*) r=0 ;; *) r=1 ;; esac
ok $r "a key UserID cannot read: the error names the file" || diag "$out"

# --- a symlink planted as the pid file (run/ belongs to UserID, and the
# daemon writes the pid file as root): not followed ------------------------
echo "root's file" >"$T/victim"
chmod 600 "$T/victim"
rm -f "$T/run/milter.sock" "$T/run/milter.pid"
ln -s "$T/victim" "$T/run/milter.pid"
out=$(timeout 20 "$SMIME_MILTER" -f -c "$T/good.conf" 2>&1); st=$?
is "$st" 1 "a symlink as PidFile: the daemon refuses to start (exit 1)"
is "$(cat "$T/victim")" "root's file" "a symlink as PidFile: the file it points to is untouched"
case $out in *"$T/run/milter.pid"*) r=0 ;; *) r=1 ;; esac
ok $r "a symlink as PidFile: the error names the pid file" || diag "$out"
rm -f "$T/run/milter.pid"

done_testing
