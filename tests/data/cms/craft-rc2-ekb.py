#!/usr/bin/python3
"""craft-rc2-ekb.py - makes env-rc2-ekb128-key5.der, a decryptable
EnvelopedData whose RC2 effective key bits (128, RC2CBCParameter version
58) differ from 8 x its key length (a 5-byte key), as CryptoAPI clients
send.  No command-line tool makes one, so it is assembled here:

  * the content: the MIME entity of make-fixtures.sh, RC2-CBC encrypted
    by ./rc2-ekb (nettle's arctwo_set_key_ekb) with a random 5-byte key;
  * the key: PKCS#1 v1.5 encrypted to alice.pem by `openssl pkeyutl`;
  * the DER: written by the encoder of craft-rc2.py.

`openssl cms -decrypt -provider legacy -provider default -inform DER
-recip alice.pem -inkey alice.key` recovers the entity (OpenSSL honours
both the version and the key length); make-fixtures.sh checks that.
usage: craft-rc2-ekb.py RC2-EKB-TOOL
"""
import os, subprocess, sys
from cryptography import x509

ns = {}
exec(open('craft-rc2.py').read().split("\nmake(")[0], ns)
encode = ns['encode']

MSG = b'Content-Type: text/plain\r\n\r\nHello CMS fixtures.\r\n'
key, iv = os.urandom(5), os.urandom(8)
ct = subprocess.run([sys.argv[1], key.hex(), iv.hex(), '128'], input=MSG,
                    stdout=subprocess.PIPE, check=True).stdout
enc_key = subprocess.run(['openssl', 'pkeyutl', '-encrypt', '-certin',
                          '-inkey', 'alice.pem', '-pkeyopt',
                          'rsa_padding_mode:pkcs1'], input=key,
                         stdout=subprocess.PIPE, check=True).stdout
cert = x509.load_pem_x509_certificate(open('alice.pem', 'rb').read())
issuer = cert.issuer.public_bytes()
serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, 'big')

def oid(dotted):
    arcs = [int(a) for a in dotted.split('.')]
    out = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        b = [a & 0x7f]
        a >>= 7
        while a:
            b.insert(0, 0x80 | (a & 0x7f))
            a >>= 7
        out += bytes(b)
    return [0x06, out]

raw_issuer = [0x30, ns['parse'](issuer)[0][1]]
ktri = [0x30, [[0x02, b'\x00'],
               [0x30, [raw_issuer, [0x02, serial]]],
               [0x30, [oid('1.2.840.113549.1.1.1'), [0x05, b'']]],
               [0x04, enc_key]]]
eci = [0x30, [oid('1.2.840.113549.1.7.1'),
              [0x30, [oid('1.2.840.113549.3.2'),
                      [0x30, [[0x02, bytes([58])], [0x04, iv]]]]],
              [0x80, ct]]]
env = [0x30, [[0x02, b'\x00'], [0x31, [ktri]], eci]]
ci = [0x30, [oid('1.2.840.113549.1.7.3'), [0xa0, [env]]]]
open('env-rc2-ekb128-key5.der', 'wb').write(encode([ci]))
