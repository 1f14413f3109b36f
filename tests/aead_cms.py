#!/usr/bin/python3
"""aead_cms.py - AuthEnvelopedData (RFC 5083) with AES-CCM (RFC 5084) or
ChaCha20-Poly1305 (RFC 8103), which OpenSSL 3.0 cannot write, made from
python3-cryptography's primitives and the DER helpers of bad_input_gen.py,
so the test input does not come from our own code.

  aead_cms.py CIPHER CERT.pem OUT.eml [--attrs] [--bad-tag]

CIPHER is aes-128-ccm, aes-192-ccm, aes-256-ccm or chacha20-poly1305.  One
KeyTransRecipientInfo (issuerAndSerialNumber, RSA PKCS#1 v1.5) for CERT.
--attrs adds authenticated attributes (a contentType attribute), which
become the AAD; --bad-tag flips a bit of the MAC.  The plaintext, an inner
MIME entity, is written to OUT.eml.inner.
"""
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bad_input_gen import Node, encode, oid, integer  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import (  # noqa: E402
    AESCCM, ChaCha20Poly1305)

ID_DATA = "1.2.840.113549.1.7.1"
ID_AUTH_ENVELOPED = "1.2.840.113549.1.9.16.1.23"
ID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
CIPHERS = {  # name: (OID, key bytes)
    "aes-128-ccm": ("2.16.840.1.101.3.4.1.7", 16),
    "aes-192-ccm": ("2.16.840.1.101.3.4.1.27", 24),
    "aes-256-ccm": ("2.16.840.1.101.3.4.1.47", 32),
    "chacha20-poly1305": ("1.2.840.113549.1.9.16.3.18", 32),
}
PLAINTEXT = (b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
             b"Sealed with an AEAD cipher OpenSSL 3.0 cannot write.\r\n")


def seq(*kids):
    return Node(0x30, children=list(kids))


def ktri(cert, key):
    """KeyTransRecipientInfo for cert, wrapping key with PKCS#1 v1.5."""
    enc = cert.public_key().encrypt(key, padding.PKCS1v15())
    issuer = parse_name(cert.issuer.public_bytes())
    return seq(integer(0),
               seq(issuer, integer(cert.serial_number)),
               seq(oid(RSA_ENCRYPTION), Node(0x05)),
               Node(0x04, value=enc))


def parse_name(der):
    """The Name as a Node whose bytes are exactly der."""
    n = Node(der[0], value=b"")
    n.raw = der
    return n


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 3 or args[0] not in CIPHERS:
        sys.exit(__doc__)
    name, certfile, out = args
    alg_oid, klen = CIPHERS[name]
    with open(certfile, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    key = os.urandom(klen)
    nonce = os.urandom(12)
    attrs = None
    if "--attrs" in sys.argv:
        attrs = Node(0x31, children=[seq(
            oid(ID_CONTENT_TYPE),
            Node(0x31, children=[oid(ID_DATA)]))])
    aad = raw(attrs) if attrs is not None else b""
    if name.startswith("chacha"):
        sealed = ChaCha20Poly1305(key).encrypt(nonce, PLAINTEXT, aad or None)
        params = Node(0x04, value=nonce)
    else:
        sealed = AESCCM(key, tag_length=16).encrypt(nonce, PLAINTEXT,
                                                     aad or None)
        params = seq(Node(0x04, value=nonce), integer(16))
    ciphertext, tag = sealed[:-16], bytearray(sealed[-16:])
    if "--bad-tag" in sys.argv:
        tag[0] ^= 0x01
    eci = seq(oid(ID_DATA),
              seq(oid(alg_oid), params),
              Node(0x80, value=ciphertext))
    fields = [integer(0), Node(0x31, children=[ktri(cert, key)]), eci]
    if attrs is not None:
        fields.append(Node(0xa1, children=attrs.children))
    fields.append(Node(0x04, value=bytes(tag)))
    ci = seq(oid(ID_AUTH_ENVELOPED),
             Node(0xa0, children=[seq(*fields)]))
    body = base64.encodebytes(raw(ci)).replace(b"\n", b"\r\n")
    with open(out, "wb") as f:
        f.write(b"From: carol@legacy.example\r\nTo: alice@example.org\r\n"
                b"Subject: " + name.encode() + b"\r\nMIME-Version: 1.0\r\n"
                b"Content-Type: application/pkcs7-mime; "
                b"smime-type=authEnveloped-data; name=smime.p7m\r\n"
                b"Content-Transfer-Encoding: base64\r\n"
                b"Content-Disposition: attachment; filename=smime.p7m\r\n"
                b"\r\n" + body)
    with open(out + ".inner", "wb") as f:
        f.write(PLAINTEXT)


def raw(n):
    """encode(), with pre-encoded Names kept byte for byte."""
    if getattr(n, "raw", None) is not None:
        return n.raw
    if n.children is None:
        return encode(n)
    content = b"".join(raw(c) for c in n.children)
    return encode(Node(n.tag, value=content))


if __name__ == "__main__":
    main()
