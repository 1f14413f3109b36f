#!/bin/sh
# make-fixtures.sh - (re)makes the EnvelopedData fixtures of tests/test_envelope.c
# (see README).  Run it from this directory with the corpus at $CORPUS
# (default ../../../../shared/corpus).  Expected plaintexts come from
# OpenSSL 3 (`openssl cms -decrypt -binary`), never from our engine.
set -eu
C=${CORPUS:-../../../../shared/corpus}
L="-provider legacy -provider default"
K=../cms   # alice/bob/carol test keys of tests/data/cms

mkdir -p corpus keys

# --- published keys, in the forms the key store reads -------------------
# NAME.crt + NAME.key (PEM) or NAME.p12 + NAME.pass; the test copies them
# into a key store directory of its own with mode 0600.
for n in smrsa1 smrsa2 smrsa3; do
	openssl x509 -in "$C/openssl/smime-certs/$n.pem" -out "keys/$n.crt"
	openssl pkey -in "$C/openssl/smime-certs/$n.pem" -out "keys/$n.key"
done
while IFS='|' read -r name path pass; do
	cp "$C/$path" "keys/$name.p12"
	printf '%s\n' "$pass" > "keys/$name.pass"
done <<'LIST'
nss-bob|mozilla-nss/smime/Bob.p12|nss
nss-fran|mozilla-nss/smime-interop/Fran.p12|nss
nss-eve|mozilla-nss/smime/Eve.p12|nss
sjm-user|simple-java-mail/pkcs12/smime_test_user.p12|letmein
LIST
# A PEM-armoured PKCS#12, as some tools write them: NSS's Dave.p12.
{
	echo '-----BEGIN PKCS12-----'
	base64 -w 64 "$C/mozilla-nss/smime/Dave.p12"
	echo '-----END PKCS12-----'
} > keys/nss-dave-pem.p12
echo nss > keys/nss-dave-pem.pass
chmod 644 keys/*

# PEM for openssl of a key-store entry
pem_of() {
	if [ -f "keys/$1.key" ]; then cat "keys/$1.key"; return; fi
	openssl pkcs12 $L -in "keys/$1.p12" -passin "file:keys/$1.pass" -nodes -nocerts
}

# --- corpus messages whose keys are published ---------------------------
# NAME|corpus path|key-store entry that opens it.  Only folders of
# tests/corpus: those it leaves out (no licence) are not copied here;
# tests/envelope_corpus.sh opens their messages from --with-corpus.
while IFS='|' read -r name path key; do
	cp "$C/$path" "corpus/$name"
	chmod 644 "corpus/$name"
	case $name in
	*.der) form=DER;;
	*) form=SMIME;;
	esac
	pem_of "$key" > key.tmp
	openssl cms -decrypt $L -binary -inform $form -in "corpus/$name" \
		-inkey key.tmp -out "corpus/$name.out"
	rm -f key.tmp
done <<'LIST'
env-rc2-40.eml|openssl-generated/env-rc2-40.eml|smrsa1
env-rc2-64.eml|openssl-generated/env-rc2-64.eml|smrsa1
env-rc2-128.eml|openssl-generated/env-rc2-128.eml|smrsa1
env-des.eml|openssl-generated/env-des.eml|smrsa1
env-des3.eml|openssl-generated/env-des3.eml|smrsa1
env-des3-3recips.eml|openssl-generated/env-des3-3recips.eml|smrsa3
env-aes128.eml|openssl-generated/env-aes128.eml|smrsa1
env-aes192-mixed.eml|openssl-generated/env-aes192-mixed.eml|smrsa1
env-aes256.eml|openssl-generated/env-aes256.eml|smrsa1
env-aes256-skid-stream.eml|openssl-generated/env-aes256-skid-stream.eml|smrsa2
env-aes128-oaep-sha1.eml|openssl-generated/env-aes128-oaep-sha1.eml|smrsa1
env-aes256-oaep-sha256.eml|openssl-generated/env-aes256-oaep-sha256.eml|smrsa1
authenv-aes128-gcm.eml|openssl-generated/authenv-aes128-gcm.eml|smrsa1
authenv-aes256-gcm-mixed.eml|openssl-generated/authenv-aes256-gcm-mixed.eml|smrsa1
sig-then-env-rc2-40.eml|openssl-generated/sig-then-env-rc2-40.eml|smrsa1
nss-alice.env.eml|mozilla-nss/smime/alice.env.eml|nss-bob
nss-fran-oaep.env|mozilla-nss/smime-interop/fran-oaep_ossl.env|nss-fran
nss-fran-oaep-label.env|mozilla-nss/smime-interop/fran-oaep-label_ossl.env|nss-fran
nss-fran-oaep-sha256.env|mozilla-nss/smime-interop/fran-oaep-sha256hash-sha256mgf_ossl.env|nss-fran
thunderbird52-enc.eml|simple-java-mail/pkcs12/test messages/S_MIME test message encrypted.eml|sjm-user
LIST
# A malformed RSA-OAEP RecipientInfo (OpenSSL's CVE-2026-28390 test): must
# fail like any other decryption failure.
cp "$C/openssl/80-test_cms_data/rsa-malformed.der" corpus/rsa-malformed.der
chmod 644 corpus/rsa-malformed.der

# AES-GCM AuthEnvelopedData with authAttrs (the AAD) and a KEK recipient
# (secret key 000102...0F, id C0FEE0), and the same with one authAttrs byte
# flipped, from OpenSSL's tests; the test unwraps the KEK itself.
for f in authenveloped_attrs.pem bad_authenveloped_attrs.pem; do
	cp "$C/openssl/80-test_cms_data/$f" "corpus/$f"
	chmod 644 "corpus/$f"
done
# The plaintext is the one OpenSSL's test suite expects (corpus CATALOG);
# Debian's OpenSSL 3.0.19 cannot parse the unauthAttrs after the mac.
printf 'Hello AuthEnvelopedData world\n' > corpus/authenveloped_attrs.pem.out

# --- RC2 whose effective key bits differ from 8 x the key length ---------
# OpenSSL encrypts (EncryptedData with a chosen key: the cipher keeps its
# effective bits, the key its length), craft-ekb.py adds alice's
# RecipientInfo, and OpenSSL decrypts the result again as the check.
printf 'Content-Type: text/plain\r\n\r\nRC2 with effective key bits apart from the key length.\r\n' > ekb-content.txt
ekb() { # ekb OUT CIPHER KEYHEX
	openssl cms -EncryptedData_encrypt $L -$2 -secretkey "$3" -in ekb-content.txt \
		-binary -outform DER -out ed.tmp
	printf '%s' "$3" | xxd -r -p > key.tmp
	openssl pkeyutl -encrypt -certin -inkey $K/alice.pem -in key.tmp -out wrapped.tmp \
		-pkeyopt rsa_padding_mode:pkcs1
	/usr/bin/python3 ./craft-ekb.py ed.tmp $K/alice.pem wrapped.tmp "$1"
	openssl cms -decrypt $L -binary -inform DER -in "$1" -recip $K/alice.pem \
		-inkey $K/alice.key -out check.tmp
	cmp check.tmp ekb-content.txt
	rm -f ed.tmp key.tmp wrapped.tmp check.tmp
}
ekb rc2-ekb128-key5.der rc2-cbc 0102030405            # version 58, 5-byte key
ekb rc2-ekb40-key16.der rc2-40-cbc 000102030405060708090a0b0c0d0e0f  # version 160
ekb rc2-ekb64-key16.der rc2-64-cbc f0e1d2c3b4a5968778695a4b3c2d1e0f  # version 120
