#!/usr/bin/python3
"""craft-ekb.py - turns an OpenSSL EncryptedData into an EnvelopedData for
one RSA recipient, keeping the EncryptedContentInfo byte for byte.

  craft-ekb.py ENCRYPTED.der CERT.pem WRAPPED-KEY.bin OUT.der

Why: `openssl cms -EncryptedData_encrypt -secretkey KEY` is the one
command-line way to have OpenSSL itself encrypt RC2 with a key whose
length differs from the effective key bits of the cipher named (its
EVP_CIPHER_CTX_set_key_length keeps the cipher's effective bits and
writes them to the RC2CBCParameter).  OpenSSL cannot make an
EnvelopedData with a chosen content key, so the content key wrapped for
the recipient (WRAPPED-KEY.bin, from `openssl pkeyutl -encrypt`) and this
script supply the RecipientInfo.  OpenSSL's own `cms -decrypt` then checks
the result, so no part of the vector comes from the code under test.
"""
import subprocess, sys

def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        s = n.to_bytes((n.bit_length() + 7) // 8, 'big')
        ln = bytes([0x80 | len(s)]) + s
    return bytes([tag]) + ln + body

def read_tlv(b, i):
    """(tag, start of content, end of element) of the element at i."""
    tag = b[i]; n = b[i + 1]; j = i + 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[j:j + k], 'big'); j += k
    return tag, j, j + n

def children(b, start, end):
    out, i = [], start
    while i < end:
        t, s, e = read_tlv(b, i)
        out.append((t, i, s, e))
        i = e
    return out

enc_der, cert_pem, wrapped, out = sys.argv[1:5]
ed = open(enc_der, 'rb').read()
# ContentInfo { OID encryptedData, [0] { SEQUENCE { version, eci, ... } } }
_, s, e = read_tlv(ed, 0)
oid, ctx = children(ed, s, e)
_, s, e = read_tlv(ed, ctx[2])
version, eci = children(ed, s, e)[:2]
eci_bytes = ed[eci[1]:eci[3]]

cert = subprocess.run(['openssl', 'x509', '-in', cert_pem, '-outform', 'DER'],
                      check=True, capture_output=True).stdout
_, s, e = read_tlv(cert, 0)
tbs = children(cert, s, e)[0]
f = children(cert, tbs[2], tbs[3])
if f[0][0] == 0xa0:        # [0] version present
    f = f[1:]
serial = cert[f[0][1]:f[0][3]]
issuer = cert[f[2][1]:f[2][3]]

rsa_alg = tlv(0x30, bytes.fromhex('06092a864886f70d0101010500'))
ktri = tlv(0x30, bytes.fromhex('020100') + tlv(0x30, issuer + serial) +
           rsa_alg + tlv(0x04, open(wrapped, 'rb').read()))
env = tlv(0x30, bytes.fromhex('020100') + tlv(0x31, ktri) + eci_bytes)
ci = tlv(0x30, tlv(0x06, bytes.fromhex('2a864886f70d010703')) + tlv(0xa0, env))
open(out, 'wb').write(ci)
