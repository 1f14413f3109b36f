#!/bin/sh
# make.sh - regenerates the userSMIMECertificate fixtures of
# tests/test_lookup_directory.c from tests/data/lookup (run it here after
# ../lookup/make.sh).  Both are DER ContentInfos as a directory holds
# them (RFC 2798):
#   dave-certsonly.p7   a SignedData without SignerInfos carrying Dave's
#                       certificate (no capabilities)
#   signer-caps.p7      a SignedData over empty content by the signer,
#                       whose signed attributes carry OpenSSL's fixed
#                       SMIMECapabilities list and a signingTime
set -eu
L=../lookup
openssl crl2pkcs7 -nocrl -certfile "$L/certs/dave.pem" -outform DER \
	-out dave-certsonly.p7
: >empty
openssl cms -sign -in empty -signer "$L/signer.pem" -inkey "$L/signer.key" \
	-nodetach -binary -outform DER -out signer-caps.p7
rm -f empty
