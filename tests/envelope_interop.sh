#!/bin/sh
# envelope_interop.sh - re-encryption checked by independent S/MIME
# implementations (TAP).
#
# Messages for three recipients (alice, bob, carol of tests/data/cms) are
# encrypted at test time by `openssl cms -encrypt` with every cipher the
# SPEC names for old clients and with PKCS#1 v1.5 and RSA-OAEP key
# transport, and by NSS `cmsutil -E`.  tests/envelope_driver opens each
# with the key store and seals the content again with aes-256-cbc,
# aes-256-gcm and des-ede3-cbc, keeping each recipient's key transport
# and identifier form.  Then:
# - OpenSSL decrypts every result with each recipient's key, to the very
#   bytes that went in;
# - NSS `cmsutil -D` and `gpgsm --decrypt` do the same for each recipient
#   of every PKCS#1 v1.5 result (the Debian 12 builds of both read neither
#   RSA-OAEP nor AuthEnvelopedData, NOTES.md; gpgsm 2.2.40 also cannot
#   find a key for a subjectKeyIdentifier recipient, not even in OpenSSL's
#   own -keyid output, so the SKI results go to OpenSSL and NSS only);
# - OpenSSL names the new cipher, and two runs give different bytes.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

DRIVER=$top_builddir/tests/envelope_driver
DATA=$top_srcdir/tests/data/cms
L="-provider legacy -provider default"
RCPTS="alice bob carol"
[ -x "$DRIVER" ] || bail "no $DRIVER (make check builds it)"
for tool in openssl cmsutil certutil pk12util gpgsm gpgconf; do
	command -v $tool >/dev/null || bail "$tool not installed"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/envelope_interop.XXXXXX")
cleanup() {
	for r in $RCPTS; do
		[ -d "$T/gnupg-$r" ] && gpgconf --homedir "$T/gnupg-$r" --kill gpg-agent 2>/dev/null
	done
	evidence_keep "$T"
	rm -rf "$T"
}
trap cleanup EXIT

# --- the key store, and a key database per recipient for each peer -------
p12_export() { # p12_export NAME: NAME's key and certificate as $T/NAME.p12
	openssl pkcs12 -export -in "$DATA/$1.pem" -inkey "$DATA/$1.key" -out "$T/$1.p12" \
		-passout pass:interop -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES \
		-macalg sha1
}
mkdir -m 700 "$T/ks"
for r in $RCPTS; do
	cp "$DATA/$r.pem" "$T/ks/$r.crt"
	cp "$DATA/$r.key" "$T/ks/$r.key"
	chmod 600 "$T/ks/$r.key"
	# gpgsm 2.2 reads only the old PKCS#12 encryption (NOTES.md)
	p12_export "$r" || bail "pkcs12 export $r"
	mkdir "$T/nss-$r"
	certutil -N -d "sql:$T/nss-$r" --empty-password || bail "certutil -N"
	certutil -A -d "sql:$T/nss-$r" -n ca -t "C,C,C" -i "$DATA/ca.pem" || bail "certutil -A"
	pk12util -i "$T/$r.p12" -d "sql:$T/nss-$r" -W interop >/dev/null || bail "pk12util $r"
	G="$T/gnupg-$r"
	mkdir -m 700 "$G"
	echo allow-loopback-pinentry > "$G/gpg-agent.conf"
	GNUPGHOME=$G gpgsm --batch --import "$DATA/ca.pem" 2>/dev/null
	gpgsm_import_p12 "$G" interop "$T/$r.p12" p12_export "$r" || bail "gpgsm import $r"
done
# the sender's NSS database: every recipient certificate, for cmsutil -E
mkdir "$T/nss-all"
certutil -N -d "sql:$T/nss-all" --empty-password
for r in $RCPTS; do
	certutil -A -d "sql:$T/nss-all" -n $r -t ",," -i "$DATA/$r.pem" || bail "certutil -A $r"
done

# --- the inner entity: CRLF lines, not a multiple of any block size ------
{
	printf 'Content-Type: text/plain; charset=utf-8\r\n'
	printf 'Content-Transfer-Encoding: 8bit\r\n\r\n'
	i=0
	while [ $i -lt 40 ]; do
		printf 'Line %d of a message from a Windows Mobile 5 device.\r\n' $i
		i=$((i + 1))
	done
	printf 'Gr\303\274\303\237e.\r\n'
} > "$T/inner.eml"
evidence_secret "$T/inner.eml"

# --- inputs ---------------------------------------------------------------
encrypt() { # encrypt NAME OPENSSL-CIPHER PADDING [EXTRA...]
	name=$1 cipher=$2 pad=$3; shift 3
	set -- "$@" -in "$T/inner.eml" -binary -outform DER -out "$T/in-$name.der"
	for r in $RCPTS; do
		set -- "$@" -recip "$DATA/$r.pem"
		[ "$pad" = oaep ] && set -- "$@" -keyopt rsa_padding_mode:oaep
	done
	openssl cms -encrypt $L -$cipher "$@"
}
INPUTS=
for c in rc2-40 rc2-64 rc2-128 des des3 aes128 aes256 aes-256-gcm; do
	for pad in pkcs1 oaep; do
		encrypt "$c-$pad" $c $pad
		ok $? "openssl cms -encrypt -$c with $pad for three recipients"
		INPUTS="$INPUTS $c-$pad"
	done
done
encrypt des3-ski des3 pkcs1 -keyid
ok $? "openssl cms -encrypt -des3 -keyid (recipients by subjectKeyIdentifier)"
INPUTS="$INPUTS des3-ski"
cmsutil -E -i "$T/inner.eml" -o "$T/in-nss-pkcs1.der" -d "sql:$T/nss-all" \
	-r alice@example.org,bob@example.org,carol@example.org
ok $? "NSS cmsutil -E for three recipients"
INPUTS="$INPUTS nss-pkcs1"

# --- checks ---------------------------------------------------------------
# Each peer's function writes to files of its own ($T/dec-PEER,
# $T/err-PEER), so that the three peers can run at the same time (bg).
same_inner() { # same_inner FILE: the inner entity, byte for byte
	cmp -s "$1" "$T/inner.eml"
}
openssl_all() { # openssl_all DER: every recipient's key decrypts it
	for r in $RCPTS; do
		rm -f "$T/dec-openssl"
		openssl cms -decrypt $L -binary -inform DER -in "$1" -recip "$DATA/$r.pem" \
			-inkey "$DATA/$r.key" -out "$T/dec-openssl" 2>"$T/err-openssl" &&
			same_inner "$T/dec-openssl" ||
			{ diag "openssl, $r: $(head -c 300 "$T/err-openssl")"; return 1; }
	done
}
nss_all() {
	for r in $RCPTS; do
		rm -f "$T/dec-nss"
		cmsutil -D -i "$1" -d "sql:$T/nss-$r" -o "$T/dec-nss" 2>"$T/err-nss" &&
			same_inner "$T/dec-nss" ||
			{ diag "cmsutil, $r: $(head -c 300 "$T/err-nss")"; return 1; }
	done
}
# gpgsm 2.2 exits 2 whenever a RecipientInfo before the one it opens names
# a certificate it does not have ("failed to find the certificate"), even
# though it decrypts (OpenSSL's own multi-recipient output does the same):
# the decrypted bytes are what counts.
gpgsm_all() {
	for r in $RCPTS; do
		rm -f "$T/dec-gpgsm"
		echo interop | GNUPGHOME="$T/gnupg-$r" gpgsm --batch --pinentry-mode loopback \
			--passphrase-fd 0 --output "$T/dec-gpgsm" --decrypt "$1" 2>"$T/err-gpgsm"
		same_inner "$T/dec-gpgsm" ||
			{ diag "gpgsm, $r: $(head -c 300 "$T/err-gpgsm")"; return 1; }
	done
}
cipher_name() { # what OpenSSL says the content cipher is
	openssl cms -cmsout -print -inform DER -in "$1" 2>/dev/null |
		sed -n '/contentEncryptionAlgorithm:/{n;s/.*algorithm: *\([^ ]*\).*/\1/p;q}'
}

# Every input re-encrypted to every new cipher; OUTPUTS lists IN:NEW.
OUTPUTS=
for in in $INPUTS; do
	for new in aes-256-cbc aes-256-gcm des-ede3-cbc; do
		out="$T/out-$in-$new.der"
		"$DRIVER" reencrypt "$T/ks" - $new "$T/in-$in.der" "$out" 2>"$T/err"
		ok $? "$in re-encrypted to $new" || { diag "$(cat "$T/err")"; continue; }
		is "$(cipher_name "$out")" "$new" "$in -> $new: OpenSSL reads the cipher as $new"
		OUTPUTS="$OUTPUTS $in:$new"
	done
done

# peer_checks PEER: PEER decrypts every output it can read for each
# recipient.  NSS and gpgsm read PKCS#1 v1.5 CBC results only, and gpgsm
# no SKI recipients (see the top).
peer_checks() {
	local o in new
	for o in $OUTPUTS; do
		in=${o%:*} new=${o#*:}
		case $1 in
		openssl)
			openssl_all "$T/out-$in-$new.der"
			ok $? "$in -> $new: OpenSSL decrypts it with each recipient's key"
			continue ;;
		esac
		case $in in *-oaep) continue ;; esac
		[ $new != aes-256-gcm ] || continue
		case $1 in
		nss)
			nss_all "$T/out-$in-$new.der"
			ok $? "$in -> $new: NSS cmsutil -D decrypts it for each recipient" ;;
		gpgsm)
			[ $in != des3-ski ] || continue
			gpgsm_all "$T/out-$in-$new.der"
			ok $? "$in -> $new: gpgsm --decrypt decrypts it for each recipient" ;;
		esac
	done
}
for peer in openssl nss gpgsm; do
	bg peer_checks $peer
done
bg_wait

# identifier forms and key transport carried over
openssl cms -cmsout -print -inform DER -in "$T/out-des3-ski-aes-256-cbc.der" > "$T/print"
is "$(grep -c 'subjectKeyIdentifier' "$T/print")" 3 "SKI recipients stay SKI recipients"
openssl cms -cmsout -print -inform DER -in "$T/out-aes128-oaep-aes-256-cbc.der" > "$T/print"
is "$(grep -c 'algorithm: rsaesOaep' "$T/print")" 3 "OAEP recipients stay OAEP recipients"

# the corpus's OpenSSL message for three recipients, the gateway holding
# all three keys (the issue's example)
mkdir -m 700 "$T/ks3"
for n in smrsa1 smrsa2 smrsa3; do
	cp "$top_srcdir/tests/data/envelope/keys/$n.crt" "$top_srcdir/tests/data/envelope/keys/$n.key" "$T/ks3/"
	chmod 600 "$T/ks3/$n.key"
done
"$DRIVER" reencrypt "$T/ks3" - aes-256-cbc \
	"$top_srcdir/tests/data/envelope/corpus/env-des3-3recips.eml" "$T/c3.der"
ok $? "corpus env-des3-3recips.eml re-encrypted to aes-256-cbc"
for n in smrsa1 smrsa2 smrsa3; do
	rm -f "$T/dec"
	openssl cms -decrypt -binary -inform DER -in "$T/c3.der" -recip "$T/ks3/$n.crt" \
		-inkey "$T/ks3/$n.key" -out "$T/dec" 2>/dev/null &&
		cmp -s "$T/dec" "$top_srcdir/tests/data/envelope/corpus/env-des3-3recips.eml.out"
	ok $? "env-des3-3recips.eml re-encrypted: OpenSSL decrypts it with $n"
done

# a fresh key and IV every run
"$DRIVER" reencrypt "$T/ks" - aes-256-cbc "$T/in-rc2-40-pkcs1.der" "$T/again.der"
! cmp -s "$T/again.der" "$T/out-rc2-40-pkcs1-aes-256-cbc.der"
ok $? "two runs over the same input give different ciphertext"

# the RFC 8551 entity, read by OpenSSL as S/MIME
for new in aes-256-cbc aes-256-gcm; do
	"$DRIVER" reencrypt "$T/ks" - $new "$T/in-rc2-40-pkcs1.der" "$T/ent.eml" mime
	rm -f "$T/dec"
	openssl cms -decrypt $L -binary -in "$T/ent.eml" -recip "$DATA/bob.pem" \
		-inkey "$DATA/bob.key" -out "$T/dec" 2>/dev/null && same_inner "$T/dec"
	ok $? "$new as an application/pkcs7-mime entity: openssl cms -decrypt reads it"
done
grep -q '^Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data;' "$T/ent.eml"
ok $? "AES-GCM is labelled smime-type=authEnveloped-data"

# a recipient the gateway has no certificate for: no partial result
mkdir -m 700 "$T/ks2"
cp "$T/ks/alice.crt" "$T/ks/alice.key" "$T/ks2/"
"$DRIVER" reencrypt "$T/ks2" - aes-256-cbc "$T/in-des3-pkcs1.der" "$T/none.der" 2>"$T/err"
is $? 1 "a recipient without certificate stops the re-encryption"
[ ! -e "$T/none.der" ]
ok $? "and nothing is written"

done_testing
