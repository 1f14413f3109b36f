#!/bin/sh
# make-fixtures.sh - regenerates the CMS test vectors in this directory with
# OpenSSL 3 (see README).  Run it from this directory; it overwrites the
# vectors.  The keys and certificates are committed too, so regenerated
# vectors keep the same identifiers; only the random parts change.
set -eu
L="-provider legacy -provider default"
MSG=msg.txt
printf 'Content-Type: text/plain\r\n\r\nHello CMS fixtures.\r\n' > $MSG

if [ ! -f ca.pem ]; then
	cat > ext.cnf <<'CNF'
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = keyCertSign,cRLSign
subjectKeyIdentifier = hash
[alice]
subjectAltName = email:alice@example.org
subjectKeyIdentifier = hash
keyUsage = digitalSignature,keyEncipherment
extendedKeyUsage = emailProtection
[bob]
subjectAltName = email:bob@example.org
subjectKeyIdentifier = hash
keyUsage = keyEncipherment
[carol]
subjectAltName = email:carol@example.org
subjectKeyIdentifier = hash
keyUsage = keyEncipherment
[dave]
subjectKeyIdentifier = hash
keyUsage = digitalSignature
[ecrcpt]
subjectAltName = email:erin@example.org
subjectKeyIdentifier = hash
keyUsage = keyAgreement
CNF
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
		-days 36500 -subj "/O=smime-milter tests/CN=CMS Test CA" -set_serial 1 \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign
	mk() { # mk NAME SERIAL SUBJECT KEY-OPTIONS...
		n=$1 s=$2 subj=$3; shift 3
		openssl req -new "$@" -nodes -keyout "$n.key" -out "$n.csr" -subj "$subj"
		set -- "$n" "$s"
		openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "$2" \
			-days 36500 -extfile ext.cnf -extensions "$1" -out "$1.pem"
		rm -f "$1.csr"
	}
	mk alice 0x1001 "/O=smime-milter tests/CN=Alice" -newkey rsa:2048
	mk bob 0x1002 "/O=smime-milter tests/CN=Bob" -newkey rsa:2048
	mk carol 0x9f03 "/O=smime-milter tests/CN=Carol" -newkey rsa:2048
	# dave: address only in the subject's emailAddress, EC P-256 key
	mk dave 0x2004 "/O=smime-milter tests/CN=Dave/emailAddress=dave@example.org" \
		-newkey ec -pkeyopt ec_paramgen_curve:P-256
	# erin: EC P-256 recipient, for key agreement (kari)
	mk ecrcpt 0x3005 "/O=smime-milter tests/CN=Erin" \
		-newkey ec -pkeyopt ec_paramgen_curve:P-256
	rm -f ext.cnf
fi

enc() { # enc OUT OPTIONS...
	out=$1; shift
	openssl cms -encrypt $L -in $MSG -outform DER -out "$out" "$@"
}
for c in rc2-40 rc2-64 rc2-128 des des3 aes128 aes192 aes256; do
	enc "env-$c.der" -$c -recip alice.pem
done
enc authenv-aes128-gcm.der -aes-128-gcm -recip alice.pem
enc authenv-aes256-gcm.der -aes-256-gcm -recip alice.pem
enc env-oaep-sha1.der -aes128 -recip alice.pem -keyopt rsa_padding_mode:oaep
enc env-oaep-sha256.der -aes128 -recip alice.pem -keyopt rsa_padding_mode:oaep \
	-keyopt rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha256
enc env-oaep-label.der -aes128 -recip alice.pem -keyopt rsa_padding_mode:oaep \
	-keyopt rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha1 -keyopt rsa_oaep_label:0102030405
enc env-skid.der -aes256 -keyid -recip alice.pem
enc env-3recips.der -des3 -recip alice.pem -recip bob.pem -recip carol.pem
enc env-kari.der -aes128 -recip ecrcpt.pem
enc env-kekri.der -aes128 -secretkey 000102030405060708090A0B0C0D0E0F -secretkeyid C0FEE0
enc env-pwri.der -aes128 -pwri_password "fixture password"
# streamed: indefinite lengths and a constructed encryptedContent
head -c 9000 /dev/zero | tr '\0' 'x' | sed 's/$/\r/' > big.txt
openssl cms -encrypt $L -in big.txt -binary -stream -outform DER -out env-stream.ber -aes256 -recip alice.pem

sig() { # sig OUT OPTIONS...
	out=$1; shift
	openssl cms -sign -in $MSG -outform DER -out "$out" "$@"
}
sig signed-detached.der -signer alice.pem -inkey alice.key -md sha256
sig signed-opaque.der -nodetach -signer alice.pem -inkey alice.key -md sha512
sig signed-2signers.der -nodetach -signer alice.pem -inkey alice.key \
	-signer dave.pem -inkey dave.key -md sha256
sig signed-2signers-nocerts.der -signer alice.pem -inkey alice.key \
	-signer dave.pem -inkey dave.key -md sha256 -nocerts
sig signed-pss-noattr.der -signer alice.pem -inkey alice.key -md sha256 \
	-keyopt rsa_padding_mode:pss -noattr -nocerts
sig signed-skid.der -signer dave.pem -inkey dave.key -keyid -md sha384
openssl cms -sign -in big.txt -binary -stream -nodetach -outform DER \
	-out signed-opaque-stream.ber -signer alice.pem -inkey alice.key
rm -f $MSG big.txt

# RC2 parameter variants derived from env-rc2-40.der (see craft-rc2.py)
/usr/bin/python3 ./craft-rc2.py

# A decryptable RC2 message with 128 effective bits and a 5-byte key
# (see craft-rc2-ekb.py); OpenSSL must read back the entity.
tool=$(mktemp)
cc -o "$tool" rc2-ekb.c -lnettle
/usr/bin/python3 ./craft-rc2-ekb.py "$tool"
rm -f "$tool"
printf 'Content-Type: text/plain\r\n\r\nHello CMS fixtures.\r\n' > $MSG
openssl cms -decrypt $L -inform DER -in env-rc2-ekb128-key5.der \
	-recip alice.pem -inkey alice.key | cmp - $MSG
rm -f $MSG

# Copied from the shared corpus (never regenerated here):
#   corpus-authenv-kekri.pem  openssl/80-test_cms_data/authenveloped_attrs.pem
#   corpus-kari-3des.der      the base64 body of
#                             openssl/80-test_cms_data/ciphertext_from_1_1_1.cms
