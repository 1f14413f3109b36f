# slapd_lib.sh - private, throw-away OpenLDAP servers for the LDAP tests
# (sourced; tests/slapd_fixture.sh shows every function at work).
#
# What it owns: one temp dir ($SL_DIR) holding a test CA, a server
# certificate for 127.0.0.1 and localhost, and one subdirectory per slapd
# instance (its slapd.conf, mdb database and log).  The system slapd, if
# the Debian package started one on 389, is neither used nor touched:
# every instance listens on free loopback ports of its own.
#
# The directory, the same in every instance:
#   $SL_SUFFIX     dc=example,dc=test
#   $SL_PEOPLE     ou=people,...    users (sl_add_user); anyone reads
#   $SL_HARVEST    ou=harvest,...   the gateways' bind DN writes, anyone reads
#   $SL_RESTRICTED ou=restricted,...  only the gateways' bind DN reads
#   $SL_ROOT_DN / $SL_ROOT_PW       the rootdn (sl_ldapmodify binds as it)
#   $SL_GW_DN / $SL_GW_PWFILE       cn=gateway,...: the gateways' bind DN,
#                                   its password (one line, ending in a
#                                   newline) in a 0600 file; reads
#                                   everything
# userPassword is usable for binding only, by anyone.
#
# What its functions promise:
#   sl_require_tools        fail loudly (never skip) when slapd, ldap-utils,
#                           the schemas or back_mdb are missing
#   sl_init                 the temp dir, the CA ($SL_CA, exported, for
#                           LDAPCAFile / LDAPTLS_CACERT), the server
#                           certificate, the default instance's ports
#   sl_instance NAME        free ports for instance NAME without starting
#                           it: SL_PORT_NAME, SL_TLS_PORT_NAME,
#                           SL_URI_NAME (ldap://127.0.0.1:PORT),
#                           SL_LDAPS_URI_NAME (ldaps://127.0.0.1:PORT2),
#                           SL_LOG_NAME; nothing listens there until
#                           sl_start NAME (a URI that refuses connections)
#   sl_start [NAME]         start instance NAME (default "main", whose
#                           variables are also SL_PORT, SL_TLS_PORT,
#                           SL_URI, SL_LDAPS_URI, SL_LOG): base entries
#                           loaded, every change made so far with
#                           sl_ldapmodify replayed, answering on ldap://
#                           (StartTLS too) and ldaps:// when it returns;
#                           SL_PID_NAME is its pid.  Started again after
#                           sl_stop NAME it keeps its data (and appends to
#                           its log) and gets the changes it missed
#   sl_ldapmodify LDIF      apply the LDIF (ldapmodify as the rootdn; each
#                           record with its changetype) to every started
#                           instance, and to those started later; fails
#                           when one of them is stopped (sl_stop_hard)
#   sl_add_user MAIL CERT_PEM [smime]
#                           an inetOrgPerson uid=MAIL,$SL_PEOPLE (or under
#                           $SL_USER_BASE when set) with mail=MAIL and
#                           userCertificate;binary = CERT_PEM's DER, or with
#                           smime: userSMIMECertificate = a certs-only
#                           SignedData holding CERT_PEM (no signer, no
#                           capabilities); a second call for MAIL adds the
#                           value to the entry
#   sl_add_user_signed MAIL CERT_PEM KEY [CHAIN_PEM]
#                           userSMIMECertificate = a SignedData signed by
#                           CERT_PEM/KEY over empty, detached content (no
#                           eContent, as Outlook publishes it) whose signed
#                           attributes carry OpenSSL's default
#                           SMIMECapabilities; CHAIN_PEM's certificates
#                           are added; SL_SIGN_OPTS adds `openssl cms
#                           -sign` options (e.g. -nodetach, -nosmimecap)
#   sl_smime_certs_only CERT_PEM OUT / sl_smime_signed CERT_PEM KEY OUT [CHAIN]
#                           the DER values the two above store
#   sl_queries [NAME]       the number of searches the instance has
#                           received ("SRCH base=" lines in its log), so a
#                           test can prove a repeat was served from a cache
#   sl_log_count ERE [NAME] the number of its log lines matching ERE
#   sl_stop_hard [NAME]     SIGSTOP: the instance accepts TCP connections
#                           (the kernel's backlog) but never answers
#   sl_cont [NAME]          SIGCONT
#   sl_stop [NAME]          terminate (continued first), wait; 0 when it is
#                           gone; without NAME every instance
#   sl_leftover_pids        pids of live slapd processes of this $SL_DIR
#   sl_var KIND NAME        prints SL_KIND_NAME, e.g. sl_var URI b
#   sl_cleanup              the EXIT trap: sl_stop, then remove the temp dir
#                           unless SL_KEEP=1
#
# Each slapd runs in the foreground (no fork: $! is its pid) as
#   slapd -d stats -f $SL_DIR/NAME/slapd.conf \
#         -h "ldap://127.0.0.1:PORT/ ldaps://127.0.0.1:PORT2/" 2>>$SL_LOG_NAME
# with its log on stderr (these machines have no /dev/log).  The TLS*
# lines of slapd.conf's global section serve both StartTLS on the ldap://
# listener and ldaps://; slapadd loads the base entries before the start.
# Each search logs one line "conn=C op=O SRCH base=... filter=...", each
# bind "BIND dn=...", whatever the transport.  Use 127.0.0.1 in URIs:
# for ldap://localhost libldap checks the server certificate against the
# machine's host name instead (StartTLS and ldaps:// fail).  Against a
# stopped instance libldap's network timeout (ldapsearch -o nettimeout)
# bounds nothing, since connect succeeds; LDAP_OPT_TIMEOUT (LDAPTIMEOUT=2
# in the environment) ends ldap:// and StartTLS after 2 s, while ldaps://
# blocks in the TLS handshake regardless.

SL_SUFFIX=dc=example,dc=test
SL_PEOPLE=ou=people,$SL_SUFFIX
SL_HARVEST=ou=harvest,$SL_SUFFIX
SL_RESTRICTED=ou=restricted,$SL_SUFFIX
SL_ROOT_DN=cn=admin,$SL_SUFFIX
SL_GW_DN=cn=gateway,$SL_SUFFIX
SL_SCHEMA_DIR=/etc/ldap/schema
SL_MODULE_DIR=/usr/lib/ldap
SL_INSTANCES=

# Names the Debian package of the first missing piece.
sl_require_tools() {
	local t pkg
	for t in slapd:slapd slapadd:slapd slappasswd:slapd ldapsearch:ldap-utils \
		 ldapmodify:ldap-utils ldapwhoami:ldap-utils openssl:openssl \
		 pgrep:procps python3:python3; do
		pkg=${t##*:}
		t=${t%:*}
		if ! command -v "$t" >/dev/null 2>&1 &&
		   ! [ -x "/usr/sbin/$t" ]; then
			echo "slapd_lib: $t not found (apt-get install $pkg)" >&2
			return 1
		fi
	done
	for t in "$SL_SCHEMA_DIR"/core.schema "$SL_SCHEMA_DIR"/cosine.schema \
		 "$SL_SCHEMA_DIR"/inetorgperson.schema "$SL_MODULE_DIR"/back_mdb.la; do
		if ! [ -f "$t" ]; then
			echo "slapd_lib: $t not found (apt-get install slapd)" >&2
			return 1
		fi
	done
}

# Two TCP ports free on 127.0.0.1 right now, held together while chosen.
sl_free_ports() {
	python3 -c 'import socket
h = [socket.socket() for _ in range(2)]
for s in h: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in h))'
}

# sl_wait_for SECS CMD...: polls CMD every 50 ms for up to SECS seconds.
sl_wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# sl_var KIND NAME: prints the value of SL_KIND_NAME.
sl_var() {
	local v=SL_$1_$2
	printf '%s\n' "${!v-}"
}

sl_init() {
	PATH=$PATH:/usr/sbin
	SL_DIR=$(mktemp -d "${TMPDIR:-/tmp}/smime-slapd.XXXXXX") || return 1
	SL_CA=$SL_DIR/tls/ca.pem
	SL_GW_PWFILE=$SL_DIR/gateway.pass
	SL_ROOT_PW=$(openssl rand -hex 16) || return 1
	mkdir "$SL_DIR/tls" || return 1
	(umask 077 && openssl rand -hex 16 >"$SL_GW_PWFILE") || return 1
	SL_INSTANCES=
	: >"$SL_DIR/changes.ldif"
	sl_make_tls "$SL_DIR/tls" || return 1
	export SL_DIR SL_CA SL_GW_PWFILE SL_SUFFIX SL_PEOPLE SL_HARVEST SL_RESTRICTED \
		SL_GW_DN
	sl_instance main
}

# sl_make_tls DIR: DIR/ca.pem (and ca.key), DIR/server.pem and
# DIR/server.key: a serverAuth certificate for IP 127.0.0.1 and DNS
# localhost, 2 days; ECDSA P-256 keys, which are quick to make.
sl_make_tls() {
	local d=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" \
		-subj "/CN=slapd_lib test CA" -days 2 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=keyCertSign,cRLSign 2>"$d/openssl.err" &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/server.key" -out "$d/server.csr" \
		-subj /CN=127.0.0.1 2>>"$d/openssl.err" &&
	printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
		'extendedKeyUsage=serverAuth' \
		'keyUsage=critical,digitalSignature' >"$d/server.ext" &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$d/server.ext" \
		-out "$d/server.pem" 2>>"$d/openssl.err" && return 0
	echo "slapd_lib: making the test certificates failed:" >&2
	cat "$d/openssl.err" >&2
	return 1
}

# sl_instance NAME: ports and paths for instance NAME (a word of
# letters, digits and _); nothing is started.  Idempotent.
sl_instance() {
	local n=$1 ports
	case $n in
	'' | *[!A-Za-z0-9_]*)
		echo "slapd_lib: bad instance name '$n'" >&2
		return 1 ;;
	esac
	[ -z "$(sl_var PORT "$n")" ] || return 0
	ports=$(sl_free_ports) || return 1
	printf -v "SL_PORT_$n" '%s' "${ports% *}"
	printf -v "SL_TLS_PORT_$n" '%s' "${ports#* }"
	printf -v "SL_URI_$n" 'ldap://127.0.0.1:%s' "${ports% *}"
	printf -v "SL_LDAPS_URI_$n" 'ldaps://127.0.0.1:%s' "${ports#* }"
	printf -v "SL_LOG_$n" '%s' "$SL_DIR/$n/slapd.log"
	printf -v "SL_PID_$n" '%s' ""
	export "SL_PORT_$n" "SL_TLS_PORT_$n" "SL_URI_$n" "SL_LDAPS_URI_$n" "SL_LOG_$n"
	if [ "$n" = main ]; then
		SL_PORT=$(sl_var PORT main)
		SL_TLS_PORT=$(sl_var TLS_PORT main)
		SL_URI=$(sl_var URI main)
		SL_LDAPS_URI=$(sl_var LDAPS_URI main)
		SL_LOG=$(sl_var LOG main)
		export SL_PORT SL_TLS_PORT SL_URI SL_LDAPS_URI SL_LOG
	fi
}

# sl_write_conf NAME: $SL_DIR/NAME/slapd.conf.  The first matching
# access rule wins: userPassword only for binding, the harvest base
# written by the gateways' bind DN, the restricted base read by it alone,
# everything else read by anyone.
sl_write_conf() {
	local d=$SL_DIR/$1
	cat >"$d/slapd.conf" <<EOF
# Private test instance written by tests/slapd_lib.sh.
include $SL_SCHEMA_DIR/core.schema
include $SL_SCHEMA_DIR/cosine.schema
include $SL_SCHEMA_DIR/inetorgperson.schema
pidfile $d/slapd.pid
argsfile $d/slapd.args
modulepath $SL_MODULE_DIR
moduleload back_mdb
TLSCACertificateFile $SL_DIR/tls/ca.pem
TLSCertificateFile $SL_DIR/tls/server.pem
TLSCertificateKeyFile $SL_DIR/tls/server.key

database mdb
suffix "$SL_SUFFIX"
rootdn "$SL_ROOT_DN"
rootpw $SL_ROOT_PW
directory $d/db
maxsize 16777216
access to attrs=userPassword
	by anonymous auth
	by * none
access to dn.subtree="$SL_HARVEST"
	by dn.exact="$SL_GW_DN" write
	by * read
access to dn.subtree="$SL_RESTRICTED"
	by dn.exact="$SL_GW_DN" read
	by * none
access to *
	by * read
EOF
}

# The entries every instance starts with.
sl_base_ldif() {
	local ou
	printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\n' "$SL_SUFFIX"
	printf 'dc: example\no: Example\n\n'
	for ou in people harvest restricted; do
		printf 'dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n' \
			"$ou" "$SL_SUFFIX" "$ou"
	done
	printf 'dn: %s\nobjectClass: organizationalRole\n' "$SL_GW_DN"
	printf 'objectClass: simpleSecurityObject\ncn: gateway\nuserPassword: %s\n' \
		"$(slappasswd -s "$(head -n 1 "$SL_GW_PWFILE")")"
}

sl_answers() {
	LDAPTIMEOUT=2 ldapwhoami -x -o nettimeout=2 -H "$1" >/dev/null 2>&1
}

# sl_started LOG N PID: PID runs and LOG has more than N "slapd starting"
# lines (slapd -d stats writes one once it listens).
sl_started() {
	kill -0 "$3" 2>/dev/null && [ "$(grep -c 'slapd starting' "$1" 2>/dev/null)" -gt "$2" ]
}

# sl_start [NAME]
sl_start() {
	local n=${1:-main} d pid starts try first=0
	[ -n "$(sl_var PORT "$n")" ] || first=1
	sl_instance "$n" || return 1
	d=$SL_DIR/$n
	if [ -n "$(sl_var PID "$n")" ]; then
		echo "slapd_lib: instance $n is already started" >&2
		return 1
	fi
	if ! [ -d "$d/db" ]; then
		mkdir -p "$d/db" && sl_write_conf "$n" || return 1
		if ! sl_base_ldif >"$d/base.ldif" ||
		   ! slapadd -q -f "$d/slapd.conf" -l "$d/base.ldif" >"$d/slapadd.log" 2>&1; then
			echo "slapd_lib: slapadd failed:" >&2
			cat "$d/slapadd.log" >&2
			return 1
		fi
		printf -v "SL_APPLIED_$n" '%s' 0
	fi
	# Another test's slapd may take the ports between choosing and
	# binding them (tests run in parallel): on a first start, then, new
	# ports; and only our own slapd's "slapd starting" counts as started,
	# never some server answering on the port.
	for try in 1 2 3; do
		starts=$(grep -c 'slapd starting' "$d/slapd.log" 2>/dev/null)
		(cd "$d" && exec slapd -d stats -f "$d/slapd.conf" \
			-h "$(sl_var URI "$n")/ $(sl_var LDAPS_URI "$n")/") 2>>"$d/slapd.log" &
		pid=$!
		sl_wait_for 10 sl_started "$d/slapd.log" "${starts:-0}" "$pid" && break
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		grep -q 'Address already in use' "$d/slapd.log" && [ "$first" = 1 ] &&
			[ "$try" -lt 3 ] || break
		echo "slapd_lib: slapd $n lost its ports to another process; new ports" >&2
		printf -v "SL_PORT_$n" '%s' ""
		sl_instance "$n" || return 1
	done
	printf -v "SL_PID_$n" '%s' "$pid"
	SL_INSTANCES="$SL_INSTANCES $n"
	if ! kill -0 "$pid" 2>/dev/null ||
	   ! sl_wait_for 10 sl_answers "$(sl_var URI "$n")" ||
	   ! LDAPTLS_CACERT=$SL_CA sl_wait_for 10 sl_answers "$(sl_var LDAPS_URI "$n")"; then
		echo "slapd_lib: slapd $n does not answer; its log:" >&2
		tail -n 20 "$d/slapd.log" >&2
		return 1
	fi
	[ "$n" != main ] || SL_PID=$pid
	export "SL_PID_$n" SL_PID
	sl_replay "$n"
}

# sl_replay NAME: the changes sl_ldapmodify made while NAME was not
# running (SL_APPLIED_NAME: the bytes of changes.ldif it has), applied.
sl_replay() {
	local n=$1 have size
	have=$(sl_var APPLIED "$n")
	size=$(stat -c %s "$SL_DIR/changes.ldif") || return 1
	[ "$size" -gt "$have" ] || return 0
	tail -c +"$((have + 1))" "$SL_DIR/changes.ldif" >"$SL_DIR/$n/replay.ldif" &&
		sl_ldapmodify_one "$n" "$SL_DIR/$n/replay.ldif" &&
		printf -v "SL_APPLIED_$n" '%s' "$size"
}

sl_ldapmodify_one() {
	local n=$1 out=$SL_DIR/$1/ldapmodify.out
	if [ -n "$(sl_var STOPPED "$n")" ]; then
		echo "slapd_lib: instance $n is stopped (sl_stop_hard); cannot change it" >&2
		return 1
	fi
	if ! LDAPTIMEOUT=5 ldapmodify -x -o nettimeout=5 -H "$(sl_var URI "$n")" \
		-D "$SL_ROOT_DN" -w "$SL_ROOT_PW" -f "$2" >"$out" 2>&1; then
		echo "slapd_lib: ldapmodify on instance $n failed:" >&2
		cat "$out" >&2
		return 1
	fi
}

sl_ldapmodify() {
	local n size
	for n in $SL_INSTANCES; do
		sl_ldapmodify_one "$n" "$1" || return 1
	done
	{ cat "$1"; echo; } >>"$SL_DIR/changes.ldif"
	size=$(stat -c %s "$SL_DIR/changes.ldif") || return 1
	for n in $SL_INSTANCES; do
		printf -v "SL_APPLIED_$n" '%s' "$size"
	done
}

# sl_dn_value S: S escaped as an RFC 4514 attribute value.
sl_dn_value() {
	printf '%s' "$1" | sed -e 's/[\\,+"<>;=]/\\&/g' -e 's/^[ #]/\\&/' -e 's/ $/\\ /'
}

sl_smime_certs_only() {
	openssl crl2pkcs7 -nocrl -certfile "$1" -outform DER -out "$2"
}

# sl_smime_signed CERT_PEM KEY OUT [CHAIN_PEM]
sl_smime_signed() {
	local extra=()
	[ -z "${4-}" ] || extra=(-certfile "$4")
	# shellcheck disable=SC2086 # options, split on purpose
	openssl cms -sign -binary -md sha256 -signer "$1" -inkey "$2" "${extra[@]}" \
		${SL_SIGN_OPTS-} -outform DER -out "$3" </dev/null
}

# sl_add_value MAIL ATTR DERFILE: ATTR (binary) of MAIL's entry: a new
# entry, or a value added to the one an earlier call made.
sl_add_value() {
	local mail=$1 attr=$2 der=$3 base=${SL_USER_BASE:-$SL_PEOPLE} dn ldif
	dn="uid=$(sl_dn_value "$mail"),$base"
	ldif=$(mktemp "$SL_DIR/user.XXXXXX.ldif") || return 1
	{
		printf 'dn: %s\n' "$dn"
		if grep -qixF "dn: $dn" "$SL_DIR/changes.ldif"; then
			printf 'changetype: modify\nadd: %s\n' "$attr"
		else
			printf 'changetype: add\nobjectClass: inetOrgPerson\n'
			printf 'uid: %s\nmail: %s\ncn: %s\nsn: %s\n' "$mail" "$mail" "$mail" "$mail"
		fi
		printf '%s:: %s\n' "$attr" "$(base64 -w0 <"$der")"
	} >"$ldif"
	sl_ldapmodify "$ldif"
}

# sl_add_user MAIL CERT_PEM [smime]
sl_add_user() {
	local der=$SL_DIR/value.der
	if [ "${3-}" = smime ]; then
		sl_smime_certs_only "$2" "$der" &&
			sl_add_value "$1" userSMIMECertificate "$der"
	else
		openssl x509 -in "$2" -outform DER -out "$der" &&
			sl_add_value "$1" 'userCertificate;binary' "$der"
	fi
}

# sl_add_user_signed MAIL CERT_PEM KEY [CHAIN_PEM]
sl_add_user_signed() {
	local der=$SL_DIR/value.der
	sl_smime_signed "$2" "$3" "$der" "${4-}" &&
		sl_add_value "$1" userSMIMECertificate "$der"
}

# sl_log_count ERE [NAME]
sl_log_count() {
	local n
	n=$(grep -c -E -- "$1" "$(sl_var LOG "${2:-main}")" 2>/dev/null)
	echo "${n:-0}"
}

sl_queries() {
	sl_log_count 'SRCH base=' "${1-}"
}

sl_stop_hard() {
	local n=${1:-main}
	printf -v "SL_STOPPED_$n" '%s' 1
	kill -STOP "$(sl_var PID "$n")"
}

sl_cont() {
	local n=${1:-main}
	printf -v "SL_STOPPED_$n" '%s' ""
	kill -CONT "$(sl_var PID "$n")"
}

# sl_stop_one NAME: SIGCONT then SIGTERM; SIGKILL after 10 s (then 1).
sl_stop_one() {
	local n=$1 pid rc=0
	pid=$(sl_var PID "$n")
	[ -n "$pid" ] || return 0
	kill -CONT "$pid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	if ! sl_wait_for 10 eval "! kill -0 $pid 2>/dev/null"; then
		echo "slapd_lib: slapd $n ignored SIGTERM; killing it" >&2
		kill -KILL "$pid" 2>/dev/null
		rc=1
	fi
	wait "$pid" 2>/dev/null
	printf -v "SL_PID_$n" '%s' ""
	printf -v "SL_STOPPED_$n" '%s' ""
	[ "$n" != main ] || SL_PID=
	SL_INSTANCES=" $SL_INSTANCES "
	SL_INSTANCES=${SL_INSTANCES/ $n / }
	return "$rc"
}

# sl_stop [NAME]: without NAME every instance.
sl_stop() {
	local n rc=0
	for n in ${1:-$SL_INSTANCES}; do
		sl_stop_one "$n" || rc=1
	done
	return "$rc"
}

# Live slapd processes whose command line names a file in $SL_DIR.
sl_leftover_pids() {
	[ -n "${SL_DIR-}" ] || return 0
	pgrep -f -- "slapd .*-f $SL_DIR/" || true
}

sl_cleanup() {
	local p
	[ -n "${SL_DIR-}" ] && [ -d "$SL_DIR" ] || return 0
	sl_stop
	for p in $(sl_leftover_pids); do
		echo "slapd_lib: still running: $p; killing it" >&2
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	# tests/lib.sh's evidence for secrets_in_logs.
	! declare -F evidence_keep >/dev/null || evidence_keep "$SL_DIR"
	if [ "${SL_KEEP-0}" = 1 ]; then
		echo "# kept $SL_DIR for inspection" >&2
	else
		rm -rf "$SL_DIR"
	fi
}
