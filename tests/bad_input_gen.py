#!/usr/bin/env python3
"""bad_input_gen.py - writes the inputs of tests/bad_input_matrix.sh.

    bad_input_gen.py DIR [NAME...]

Makes, in DIR (the test's temp dir), with openssl and fresh keys:
  ca.pem                  the trust anchor (TrustAnchorFile)
  ks/alice.crt, .key      the recipient key the gateway holds (KeyStore)
  signer.pem/.key         a signer whose certificate chains to ca.pem
  rsa3.pem/.key           the same with the RSA public exponent 3
  forged.pem              alice's issuer and serial on another key
  inner.txt               the plaintext of the encrypted inputs (those the
                          re-encryption rows open, and those that fail)
  in/NAME.eml             one message per input name (only the NAMEs
                          given, when some are: tests/e2e_verify.sh
                          takes f5-400)

Real CMS comes from `openssl cms`; the broken ones are real CMS whose
DER was then changed here (a small DER/BER reader and writer: tag,
length and content, indefinite lengths kept as they came).  Signer
certificates with RSA keys openssl cannot make (an exponent as long as
an 8192-bit modulus, an even one) are signer.pem with another
SubjectPublicKeyInfo, signed again by the CA.  Big inputs (10 MB,
100,000 fields, 10,000 RecipientInfos, 16 layers of 100 signers) are
made at run time so that nothing big is committed.  Standard library
only.
"""
import base64
import copy
import os
import subprocess
import sys

from md2 import md2

# Set from the command line in main(): tests/e2e_oracle.py imports the
# DER helpers below without running anything.
OUT = IN = None
ONLY = set()
LEGACY = ["-provider", "legacy", "-provider", "default"]


def path(*p):
    return os.path.join(OUT, *p)


def run(*cmd, stdin=None):
    r = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit("bad_input_gen: %s failed: %s" %
                 (" ".join(cmd), r.stderr.decode(errors="replace")))
    return r.stdout


# --- keys ------------------------------------------------------------------

def issue(name, sect, serial, keyopts=(), newkey="rsa:2048"):
    """name.key and name.pem, a certificate the CA issued, with the
    extensions of ext.cnf section sect."""
    run("openssl", "req", "-new", "-newkey", newkey, *keyopts,
        "-nodes", "-keyout", path(name + ".key"), "-out",
        path(name + ".csr"), "-subj", "/O=Bad Input/CN=" + name)
    run("openssl", "x509", "-req", "-in", path(name + ".csr"),
        "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
        "-set_serial", serial, "-days", "30", "-extfile",
        path("ext.cnf"), "-extensions", sect, "-out",
        path(name + ".pem"))


def make_keys():
    os.makedirs(path("ks"), mode=0o700, exist_ok=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "30",
        "-subj", "/O=Bad Input/CN=Bad Input CA",
        "-addext", "basicConstraints=critical,CA:TRUE")
    with open(path("ext.cnf"), "w") as f:
        f.write("[alice]\nsubjectAltName=email:alice@example.org\n"
                "keyUsage=keyEncipherment,digitalSignature\n"
                "[signer]\nsubjectAltName=email:signer@example.org\n"
                "keyUsage=digitalSignature\nextendedKeyUsage=emailProtection\n")

    issue("alice", "alice", "0x7a01")
    issue("signer", "signer", "0x5e02")
    issue("rsa3", "signer", "0x5e03", ["-pkeyopt", "rsa_keygen_pubexp:3"])
    # a certificate with alice's issuer and serial on another key: what
    # is encrypted to it names alice but does not open with her key
    issue("forged", "alice", "0x7a01")
    with open(path("alice.pem"), "rb") as f:
        crt = f.read()
    with open(path("alice.key"), "rb") as f:
        key = f.read()
    with open(path("ks", "alice.crt"), "wb") as f:
        f.write(crt)
    fd = os.open(path("ks", "alice.key"), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, key)
    os.close(fd)


# --- DER / BER ---------------------------------------------------------------

class Node:
    """One TLV: tag byte, and children (constructed) or value bytes."""

    def __init__(self, tag, value=b"", children=None, indef=False):
        self.tag = tag
        self.value = value
        self.children = children
        self.indef = indef
        self.fake_len = None  # length octets written instead of the real

    def __getitem__(self, i):
        return self.children[i]


def parse_one(b, i):
    tag = b[i]
    if tag & 0x1f == 0x1f:
        raise ValueError("multi-byte tags are not needed here")
    l = b[i + 1]
    j = i + 2
    indef = False
    if l == 0x80:
        indef = True
    elif l & 0x80:
        n = l & 0x7f
        l = int.from_bytes(b[j:j + n], "big")
        j += n
    if tag & 0x20:
        kids = []
        if indef:
            while b[j:j + 2] != b"\0\0":
                k, j = parse_one(b, j)
                kids.append(k)
            return Node(tag, children=kids, indef=True), j + 2
        end = j + l
        while j < end:
            k, j = parse_one(b, j)
            kids.append(k)
        return Node(tag, children=kids), end
    return Node(tag, value=b[j:j + l]), j + l


def parse(b):
    return parse_one(b, 0)[0]


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    nb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(nb)]) + nb


def encode(n):
    if n.children is not None:
        content = b"".join(encode(c) for c in n.children)
    else:
        content = n.value
    if n.indef:
        return bytes([n.tag, 0x80]) + content + b"\0\0"
    ln = n.fake_len if n.fake_len is not None else enc_len(len(content))
    return bytes([n.tag]) + ln + content


def oid(text):
    arcs = [int(x) for x in text.split(".")]
    out = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7f]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7f))
            a >>= 7
        out += bytes(reversed(chunk))
    return Node(0x06, value=out)


def integer(v):
    return Node(0x02, value=v.to_bytes(max(1, (v.bit_length() + 8) // 8),
                                       "big"))


# --- certificates with chosen RSA keys ----------------------------------------

def cert_der(name):
    return run("openssl", "x509", "-in", path(name), "-outform", "DER")


def filler(n, seed):
    """n bytes that look random, the same on every run."""
    out = b""
    while len(out) < n:
        out += bytes((i * 131 + seed * 29 + (i >> 8) * 7) % 256
                     for i in range(len(out), len(out) + 256))
    return out[:n]


def rsa_number(bits, seed, top=0b11):
    """An odd number of exactly bits bits whose two top bits are top."""
    v = int.from_bytes(filler((bits + 7) // 8, seed), "big")
    v &= (1 << (bits - 2)) - 1
    return v | (top << (bits - 2)) | 1


def with_rsa_key(name, n, e):
    """Certificate name (PEM) with the RSA key (n, e) instead of its own,
    signed again by the CA: the chain holds, only the key differs."""
    crt = parse(cert_der(name))
    tbs = crt[0]
    spki = tbs[6 if tbs[0].tag == 0xa0 else 5]
    rsakey = Node(0x30, children=[integer(n), integer(e)])
    spki.children[1] = Node(0x03, value=b"\0" + encode(rsakey))
    sig = run("openssl", "dgst", "-sha256", "-sign", path("ca.key"),
              stdin=encode(tbs))
    crt.children[2] = Node(0x03, value=b"\0" + sig)
    return encode(crt)


# --- CMS from openssl -----------------------------------------------------------

def plaintext(extra=b""):
    return (b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            b"Bad input matrix: the plaintext of every encrypted input.\r\n"
            + extra)


def encrypt(cipher, certs, content=None, stream=False):
    args = ["openssl", "cms", "-encrypt", "-binary", "-outform", "DER",
            "-" + cipher] + LEGACY
    if stream:
        args.append("-stream")
    return run(*args, *[path(c + ".pem") for c in certs],
               stdin=content if content is not None else plaintext())


def sign(content, opaque=False, stream=False, certfile=None, who="signer",
         md="sha256", attrs=True):
    args = ["openssl", "cms", "-sign", "-binary", "-outform", "DER",
            "-signer", path(who + ".pem"), "-inkey", path(who + ".key"),
            "-md", md] + LEGACY
    if not attrs:
        args.append("-noattr")
    if opaque:
        args.append("-nodetach")
    if stream:
        args.append("-stream")
    if certfile:
        args += ["-certfile", certfile]
    return run(*args, stdin=content)


# --- messages ----------------------------------------------------------------------

def b64(der, width=76):
    s = base64.b64encode(der)
    return b"".join(s[i:i + width] + b"\r\n" for i in range(0, len(s), width))


ENV_HDR = (b"From: carol@legacy.example\r\nTo: alice@example.org\r\n"
           b"Subject: bad input\r\nMIME-Version: 1.0\r\n")
SIG_HDR = (b"From: signer@example.org\r\nTo: alice@example.org\r\n"
           b"Subject: bad input\r\nMIME-Version: 1.0\r\n")


def p7m_entity(body, smime_type=b"enveloped-data"):
    return (b"Content-Type: application/pkcs7-mime; smime-type=" + smime_type
            + b"; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=smime.p7m\r\n\r\n"
            + body)


def env_msg(der=None, body=None, smime_type=b"enveloped-data", extra=b""):
    if body is None:
        body = b64(der)
    return ENV_HDR + extra + p7m_entity(body, smime_type)


SIGNED_CONTENT = (b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
                  b"Signed text of the bad input matrix.\r\n")


def signed_msg(sig_der=None, sig_body=None, content=SIGNED_CONTENT,
               micalg=b"sha-256", parts=None, close=True, extra=b"",
               hdr=SIG_HDR, bnd=b"----=_bad_input_boundary"):
    """multipart/signed; parts replaces the [content, signature] list;
    hdr=b"" makes an entity to nest in another."""
    if sig_body is None and sig_der is not None:
        sig_body = b64(sig_der)
    sigpart = (b"Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
               b"Content-Transfer-Encoding: base64\r\n"
               b"Content-Disposition: attachment; filename=smime.p7s\r\n\r\n"
               + (sig_body or b""))
    if parts is None:
        parts = [content, sigpart]
    else:
        parts = [content if p == "content" else sigpart if p == "sig" else p
                 for p in parts]
    body = b"This is an S/MIME signed message\r\n\r\n"
    for p in parts:  # the line end before a delimiter is the delimiter's
        body += b"--" + bnd + b"\r\n" + p + b"\r\n"
    if close:
        body += b"--" + bnd + b"--\r\n"
    return (hdr + extra + b"Content-Type: multipart/signed; "
            b"protocol=\"application/pkcs7-signature\"; micalg=" + micalg
            + b"; boundary=\"" + bnd + b"\"\r\n\r\n" + body)


def nested_signed(sigs, content=SIGNED_CONTENT):
    """len(sigs) multipart/signed layers, sigs[0] the outermost's
    SignedData, each layer signing the next."""
    for i in reversed(range(len(sigs))):
        hdr = SIG_HDR if i == 0 else b""
        content = signed_msg(sigs[i], content=content, hdr=hdr,
                             bnd=b"----=_layer_%d" % i)
    return content


def opaque_msg(der):
    return SIG_HDR + p7m_entity(b64(der), b"signed-data")


def mixed_msg(entities):
    """one multipart/mixed holding every entity of the list"""
    bnd = b"mixed-boundary"
    body = b"".join(b"--" + bnd + b"\r\n" + e + b"\r\n" for e in entities)
    return (ENV_HDR + b"Content-Type: multipart/mixed; boundary=\"" + bnd
            + b"\"\r\n\r\n" + body + b"--" + bnd + b"--\r\n")


def nested_msg(levels, inner_entity):
    """levels nested multipart/mixed, inner_entity in the innermost."""
    out = inner_entity
    for i in reversed(range(levels)):
        bnd = b"nest-%d" % i
        out = (b"Content-Type: multipart/mixed; boundary=\"" + bnd
               + b"\"\r\n\r\n--" + bnd + b"\r\n" + out + b"\r\n--" + bnd
               + b"--\r\n")
    return ENV_HDR + out


# --- the inputs ----------------------------------------------------------------------

def write(name, data):
    if ONLY and name not in ONLY:
        return
    with open(os.path.join(IN, name + ".eml"), "wb") as f:
        f.write(data)


def eci(ci):
    """EnvelopedData's encryptedContentInfo (AuthEnvelopedData's too)."""
    ed = ci[1][0]
    k = 1
    while ed[k].tag != 0x31:  # skip version, originatorInfo
        k += 1
    return ed[k + 1]


def recipient_infos(ci):
    ed = ci[1][0]
    return next(c for c in ed.children if c.tag == 0x31)


def signer_info(ci):
    return ci[1][0].children[-1][0]


def with_signers(sig_der, signers, certs=None):
    """The SignedData sig_der with the SignerInfos signers (Nodes) and,
    when certs is given, those certificates (DER) instead of its own."""
    ci = parse(sig_der)
    sd = ci[1][0]
    sd.children[-1].children = signers
    k = next(i for i, c in enumerate(sd.children) if c.tag == 0xa0)
    if certs is None:
        pass
    elif certs:
        sd.children[k].children = [parse(c) for c in certs]
    else:
        del sd.children[k]
    return encode(ci)


def bare_signer(si, signature, serial=None, issuer=None):
    """A copy of SignerInfo si without signed attributes, with another
    signature value and, when given, another issuer and serial."""
    si = copy.deepcopy(si)
    si.children = [c for c in si.children if c.tag != 0xa0]
    si[-1].value = signature
    if serial is not None:
        si[1].children[1] = integer(serial)
    if issuer is not None:
        si[1].children[0] = issuer
    return si


def name(*rdns):
    """An X.501 Name of (OID, UTF8String) RDNs, in DER order."""
    return Node(0x30, children=[
        Node(0x31, children=[Node(0x30, children=[
            oid(o), Node(0x0c, value=v.encode())])]) for o, v in rdns])


def main():
    global OUT, IN, ONLY
    if len(sys.argv) < 2:
        sys.exit("usage: bad_input_gen.py DIR [NAME...]")
    OUT = sys.argv[1]
    ONLY = set(sys.argv[2:])
    IN = os.path.join(OUT, "in")
    os.makedirs(IN, exist_ok=True)
    make_keys()
    with open(path("inner.txt"), "wb") as f:
        f.write(plaintext())

    rc2 = encrypt("rc2-40", ["alice"])
    rc2_ber = encrypt("rc2-40", ["alice"], stream=True)
    gcm = encrypt("aes-128-gcm", ["alice"])
    sig = sign(SIGNED_CONTENT)
    sig_ber = sign(SIGNED_CONTENT, stream=True)
    opaque_ber = sign(SIGNED_CONTENT, opaque=True, stream=True)

    # the twins the mutations start from
    write("env-rc2", env_msg(rc2))
    write("sig-good", signed_msg(sig))

    # -- base64 -------------------------------------------------------------
    body = b64(rc2)
    write("b64-trunc-env", env_msg(body=body[:len(body) // 2 - 3]))
    write("b64-invalid-env", env_msg(body=body[:200] + b"!*%$\r\n" + body[200:]))
    sbody = b64(sig)
    write("b64-trunc-sig", signed_msg(sig_body=sbody[:len(sbody) // 2 - 3]))
    write("b64-invalid-sig",
          signed_msg(sig_body=sbody[:300] + b"@@##~~\r\n" + sbody[300:]))

    # -- DER ------------------------------------------------------------------------
    junk = bytes((i * 167 + 13) % 256 for i in range(700))
    write("der-garbage-env", env_msg(junk))
    write("der-garbage-sig", signed_msg(junk))
    write("der-trunc-env", env_msg(rc2[:len(rc2) // 2]))
    write("der-trunc-sig", signed_msg(sig[:len(sig) // 2]))
    ci = parse(rc2)
    ci.fake_len = enc_len(len(rc2) + 1000)  # claims 1000 bytes more
    write("der-overlong-env", env_msg(encode(ci)))
    ci = parse(rc2)
    ci.fake_len = b"\x84\xff\xff\xff\xff"
    write("der-hugelen-env", env_msg(encode(ci)))
    ci = parse(rc2)
    eci(ci)[2].fake_len = b"\x84\xff\xff\xff\xff"  # encryptedContent
    write("der-hugelen-content", env_msg(encode(ci)))
    ci = parse(sig)
    ci[1][0][3].fake_len = b"\x84\xff\xff\xff\xff"  # certificates
    write("der-hugelen-sig", signed_msg(encode(ci)))

    # -- indefinite-length BER (openssl -stream) -----------------------------
    write("ber-env", env_msg(rc2_ber))
    write("ber-sig", signed_msg(sig_ber))
    write("ber-opaque", opaque_msg(opaque_ber))
    write("ber-noeoc-env", env_msg(rc2_ber[:-2]))
    write("ber-noeoc-sig", signed_msg(sig_ber[:-2]))

    # -- MIME structure ------------------------------------------------------------
    write("nest-1000", nested_msg(1000, p7m_entity(b64(rc2))))
    filler = b"".join(b"X-Filler-%d: header field number %d\r\n" % (i, i)
                      for i in range(100000))
    write("headers-100k", signed_msg(sig, extra=filler))
    forged = b"".join(b"X-SMIME-Tag: forged-%d\r\n" % i for i in range(50000))
    forged += b"".join(b"Authentication-Results: mx.test; smime=pass "
                       b"body.smime-identifier=forged%d@example.org\r\n" % i
                       for i in range(50000))
    write("headers-100k-forged", env_msg(rc2, extra=forged))
    write("header-10mb", signed_msg(sig, extra=b"X-Long: " + b"a" * (10 << 20)
                                    + b"\r\n"))
    big_hdr = (b"Content-Type: text/plain; x-pad=\"" + b"b" * (10 << 20)
               + b"\"\r\n\r\nbody\r\n")
    write("part-header-10mb", signed_msg(sign(big_hdr), content=big_hdr))
    write("boundary-unclosed", signed_msg(sig, close=False))
    write("msigned-no-sigpart", signed_msg(sig, parts=["content"]))
    write("msigned-two-sigparts", signed_msg(sig, parts=["content", "sig",
                                                         "sig"]))
    write("msigned-no-parts", signed_msg(sig, parts=[]))
    write("micalg-mismatch", signed_msg(sig, micalg=b"sha-512"))

    # -- unknown OIDs ---------------------------------------------------------
    ci = parse(rc2)
    eci(ci)[1].children[0] = oid("1.3.6.1.4.1.55555.1.1")
    write("oid-cipher-env", env_msg(encode(ci)))
    # an OID of 300 arcs: our fields and the log name it "unknown"
    eci(ci)[1].children[0] = oid("1.3.6.1.4.1.55555" + ".7" * 300)
    write("oid-cipher-long-env", env_msg(encode(ci)))
    ci = parse(sig)
    si = signer_info(ci)
    si[2].children[0] = oid("1.3.6.1.4.1.55555.2.1")      # digestAlgorithm
    ci[1][0][1][0].children[0] = oid("1.3.6.1.4.1.55555.2.1")
    write("oid-digest-sig", signed_msg(encode(ci)))
    ci = parse(sig)
    si = signer_info(ci)
    si[4].children[0] = oid("1.3.6.1.4.1.55555.3.1")      # signatureAlgorithm
    write("oid-sigalg-sig", signed_msg(encode(ci)))
    ci = parse(rc2)
    ci.children[0] = oid("1.2.840.113549.1.7.99")
    write("oid-ctype-env", env_msg(encode(ci)))
    ci = parse(sig)
    ci[1][0][2].children[0] = oid("1.3.6.1.4.1.55555.4.1")  # eContentType
    write("oid-econtent-sig", signed_msg(encode(ci)))

    # -- RC2 parameters (RFC 3370 RC2CBCParameter) ---------------------------
    def rc2_params(params):
        ci = parse(rc2)
        alg = eci(ci)[1]
        if params is None:
            del alg.children[1:]
        else:
            alg.children[1] = params
        return encode(ci)

    iv = parse(rc2)
    iv = eci(iv)[1][1][1].value  # SEQUENCE { version, iv }
    write("rc2-version-env", env_msg(rc2_params(
        Node(0x30, children=[integer(99), Node(0x04, value=iv)]))))
    write("rc2-noiv-env", env_msg(rc2_params(
        Node(0x30, children=[integer(160)]))))
    write("rc2-notseq-env", env_msg(rc2_params(integer(160))))

    # -- encryptedContent ----------------------------------------------------------
    ci = parse(rc2)
    del eci(ci).children[2]
    write("content-absent-env", env_msg(encode(ci)))
    ci = parse(rc2)
    eci(ci)[2].value = b""
    write("content-empty-env", env_msg(encode(ci)))

    # -- decryption failures -----------------------------------------------------
    ci = parse(gcm)
    mac = ci[1][0].children[-1]
    mac.value = mac.value[:-1] + bytes([mac.value[-1] ^ 0x01])
    write("gcm-bad-tag", env_msg(encode(ci), smime_type=b"authEnveloped-data"))
    write("gcm-good", env_msg(gcm, smime_type=b"authEnveloped-data"))
    write("gcm-wrong-key", env_msg(encrypt("aes-128-gcm", ["forged"]),
                                   smime_type=b"authEnveloped-data"))
    write("wrong-key-env", env_msg(encrypt("rc2-40", ["forged"])))
    ci = parse(rc2)
    ek = recipient_infos(ci)[0].children[-1]
    ek.value = ek.value[:100] + bytes([ek.value[100] ^ 0x40]) + ek.value[101:]
    write("bad-enckey-env", env_msg(encode(ci)))
    # alice's RecipientInfo after broken copies of it: only the first
    # RecipientInfo naming her certificate is unwrapped (SPEC section 8),
    # so each of these opens to a substitute key, whatever follows
    bad_ri = recipient_infos(ci)[0]
    ci = parse(rc2)
    ris = recipient_infos(ci)
    good = ris.children
    ris.children = [bad_ri] * 3 + good
    write("ri-4th-good-env", env_msg(encode(ci)))
    ris.children = [bad_ri] * 4 + good
    write("ri-5th-good-env", env_msg(encode(ci)))
    ris.children = [bad_ri] * 1000
    write("ri-1000-bad-env", env_msg(encode(ci)))
    # F3: 400 small parts, each with four RecipientInfos naming alice's
    # (public) certificate: MaxKeyOperations bounds the private-key work
    ris.children = [bad_ri] * 3 + good
    write("keyops-400-env", mixed_msg([p7m_entity(b64(encode(ci)))] * 400))
    ci = parse(rc2)
    ct = eci(ci)[2]
    # flipping the second-to-last block's last byte flips the padding
    # length byte p (1..8) into p ^ 0xff: never valid padding
    v = bytearray(ct.value)
    v[-9] ^= 0xff
    ct.value = bytes(v)
    write("bad-padding-env", env_msg(encode(ci)))
    ci = parse(rc2)
    eci(ci)[2].value = eci(ci)[2].value[:-3]
    write("ragged-content-env", env_msg(encode(ci)))

    # -- limits ---------------------------------------------------------------------------
    ci = parse(rc2)
    ris = recipient_infos(ci)
    ris.children = ris.children * 10000
    write("ri-10000-env", env_msg(encode(ci)))
    ci = parse(sig)
    certs = ci[1][0][3]
    certs.children = certs.children * 10000
    write("certs-10000-sig", signed_msg(encode(ci)))
    write("ri-2-env", env_msg(encrypt("rc2-40", ["alice", "signer"])))
    # not "forged": it names alice too, and DER sorts the SET, so which
    # RecipientInfo naming her came first would be chance
    write("ri-3-env", env_msg(encrypt("rc2-40", ["alice", "signer",
                                                 "ca"])))
    write("certs-2-sig", signed_msg(sign(SIGNED_CONTENT,
                                         certfile=path("ca.pem"))))
    with open(path("two.pem"), "wb") as f:
        for c in ("ca.pem", "alice.pem"):
            with open(path(c), "rb") as g:
                f.write(g.read())
    write("certs-3-sig", signed_msg(sign(SIGNED_CONTENT,
                                         certfile=path("two.pem"))))
    write("nest-3-env", nested_msg(3, p7m_entity(b64(rc2))))
    write("nest-4-env", nested_msg(4, p7m_entity(b64(rc2))))
    small = encrypt("rc2-40", ["alice"])
    big = encrypt("rc2-40", ["alice"], content=plaintext(b"y" * 1500))
    write("size-under-env", env_msg(small))
    write("size-over-env", env_msg(big))
    write("size-over-sig", signed_msg(sign(plaintext(b"z" * 1500)),
                                      content=plaintext(b"z" * 1500)))
    rsa_key_limits(sig)
    many_signers(sig)
    digest_labels()
    uncomputable()
    empty_sets()
    dsa_signers()
    kinds()


def rsa_key_limits(sig):
    """Signer certificates whose RSA keys SPEC section 7 refuses before
    any modular exponentiation, and their neighbours it still checks."""
    si = signer_info(parse(sig))

    def rekeyed(n, e):  # sig, its signer certificate with key (n, e)
        return signed_msg(with_signers(
            sig, [si], certs=[with_rsa_key("signer.pem", n, e)]))

    n2k = rsa_number(2048, 1)
    write("rsa-e3", signed_msg(sign(SIGNED_CONTENT, who="rsa3")))
    write("rsa-e-even", rekeyed(n2k, 65536))
    write("rsa-e-1", rekeyed(n2k, 1))
    write("rsa-e-256bit", rekeyed(n2k, (1 << 255) | 1))
    write("rsa-e-257bit", rekeyed(n2k, (1 << 256) | 1))
    write("rsa-n-16384bit", rekeyed(rsa_number(16384, 2), 65537))
    write("rsa-n-16385bit", rekeyed(rsa_number(16385, 3), 65537))


def many_signers(sig):
    """The work and header space a sender can cause with many signers
    (issue 12): F4a, F4b and F5 of the hostile review."""
    si = signer_info(parse(sig))

    # F4a: 2 layers of 100 SignerInfos, no signed attributes, whose
    # certificate has an exponent as long as its 8192-bit modulus; each
    # signature is below the modulus, so checking it would be a full
    # 8192-bit exponentiation (~90 ms)
    big = with_rsa_key("signer.pem", rsa_number(8192, 4),
                       rsa_number(8192, 5, top=0b10))
    f4a = with_signers(sig, [bare_signer(si, b"\x40" + filler(1023, 6))]
                       * 100, certs=[big])
    write("f4a-exp8192", nested_signed([f4a, f4a]))
    # F4b: 16 nested layers of 100 signers over ~9 MB of text; every
    # messageDigest is wrong, so each signer would hash its layer twice
    # (CRLF, then bare LF)
    text = (b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            + (b"F4b filler line " + b"f" * 58 + b"\r\n") * 120000)
    f4b = with_signers(sig, [si] * 100)
    write("f4b-16x100", nested_signed([f4b] * 16, content=text))
    # F5: 4 nested layers of 100 small SignerInfos naming a certificate
    # that is not there, under a long issuer name: 400 resinfos of ~190
    # bytes were an A-R field over libmilter's 65,535
    issuer = name(("2.5.4.10", "Bad Input"),
                  ("2.5.4.3", "Bad Input issuing CA with a name long enough "
                   "for a line of its own"))
    f5 = [with_signers(sig, [bare_signer(si, filler(8, i), 0x1000 * k + i,
                                         issuer) for i in range(100)],
                       certs=[]) for k in range(1, 5)]
    write("f5-400", nested_signed(f5))


# --- the hash a signature was computed with (issue 13) -----------------------

OID_SHA256 = "2.16.840.1.101.3.4.2.1"
OID_SHA1_RSA = "1.2.840.113549.1.1.5"
OID_MD5_RSA = "1.2.840.113549.1.1.4"


def relabel(sig_der, digest=None, sigalg=None):
    """sig_der with its SignerInfo's digestAlgorithm (and the SignedData's
    digestAlgorithms set) and signatureAlgorithm set to other OIDs.  None
    of them is signed: anyone on the way can change them."""
    ci = parse(sig_der)
    si = signer_info(ci)
    if digest is not None:
        si[2].children[0] = oid(digest)
        ci[1][0][1][0].children[0] = oid(digest)
    if sigalg is not None:
        si[4 if si[3].tag == 0xa0 else 3].children[0] = oid(sigalg)
    return encode(ci)


def digest_labels():
    """F2: SHA-1 and MD5 signatures whose digestAlgorithm says sha256.
    With a signatureAlgorithm that names the hash it was computed with,
    a verifier that judges WeakDigests by digestAlgorithm passes them."""
    def msg(md, digest=None, sigalg=None, attrs=True):
        return signed_msg(relabel(sign(SIGNED_CONTENT, md=md, attrs=attrs),
                                  digest, sigalg))

    write("f2-sha1-sigalg", msg("sha1", sigalg=OID_SHA1_RSA))
    write("f2-sha1-as-sha256", msg("sha1", OID_SHA256, OID_SHA1_RSA))
    write("f2-sha1-as-sha256-noattr", msg("sha1", OID_SHA256, OID_SHA1_RSA,
                                          attrs=False))
    write("f2-md5-as-sha256", msg("md5", OID_SHA256, OID_MD5_RSA))
    # rsaEncryption takes its hash from digestAlgorithm: the signature
    # (a SHA-1 DigestInfo) does not match as a SHA-256 one
    write("f2-sha1-as-sha256-rsaenc", msg("sha1", OID_SHA256))


OID_MD2 = "1.2.840.113549.2.2"
OID_MD2_RSA = "1.2.840.113549.1.1.2"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"


def md2_signed(content, sigalg=None, attrs=True, who="signer"):
    """A valid RSA signature over content with MD2, as 1990s clients made
    them: openssl's SignedData with the digests and the signature redone
    (messageDigest, then a PKCS#1 v1.5 signature of the MD2 DigestInfo
    made with `openssl pkeyutl -sign`, which pads the bytes it is given)."""
    ci = parse(sign(content, attrs=attrs, who=who))
    si = signer_info(ci)
    si[2].children[0] = oid(OID_MD2)
    ci[1][0][1][0].children[0] = oid(OID_MD2)
    if sigalg is not None:
        si[4 if attrs else 3].children[0] = oid(sigalg)
    signed = content
    if attrs:
        for a in si[3].children:
            if encode(a[0]) == encode(oid(OID_MESSAGE_DIGEST)):
                a[1].children = [Node(0x04, value=md2(content))]
        si[3].children.sort(key=encode)  # DER orders a SET OF
        signed = b"\x31" + encode(si[3])[1:]
    info = encode(Node(0x30, children=[
        Node(0x30, children=[oid(OID_MD2), Node(0x05)]),
        Node(0x04, value=md2(signed))]))
    si.children[-1].value = run("openssl", "pkeyutl", "-sign", "-inkey",
                                path(who + ".key"), stdin=info)
    # valid: the certificate's key recovers the DigestInfo
    pub = run("openssl", "x509", "-in", path(who + ".pem"), "-pubkey",
              "-noout")
    with open(path(who + ".pub"), "wb") as f:
        f.write(pub)
    if run("openssl", "pkeyutl", "-verifyrecover", "-pubin", "-inkey",
           path(who + ".pub"), stdin=si.children[-1].value) != info:
        sys.exit("bad_input_gen: the MD2 signature does not verify")
    return encode(ci)


def uncomputable():
    """Issue 13: valid signatures with digests the gateway cannot compute
    (MD2 from 1996, MD4) are unsupported-algorithm, never forged."""
    write("md2-sig", signed_msg(md2_signed(SIGNED_CONTENT)))
    write("md2-noattr-sig", signed_msg(md2_signed(SIGNED_CONTENT,
                                                  attrs=False)))
    write("md2-sigalg-sig", signed_msg(md2_signed(SIGNED_CONTENT,
                                                  OID_MD2_RSA)))
    write("md4-sig", signed_msg(sign(SIGNED_CONTENT, md="md4")))


def with_empty_set(sig_der, tag, indef):
    """sig_der with an empty certificates [0] (tag 0xa0: its certificate
    gone) or crls [1] (0xa1: added) SET, of definite or indefinite
    length: valid BER either way (RFC 5652 5.1)."""
    ci = parse(sig_der)
    sd = ci[1][0]
    empty = Node(tag, children=[], indef=indef)
    k = next((i for i, c in enumerate(sd.children) if c.tag == tag), None)
    if k is None:
        sd.children.insert(len(sd.children) - 1, empty)  # before signerInfos
    else:
        sd.children[k] = empty
    return encode(ci)


def empty_sets():
    """Issue 13: empty certificates and crls SETs, as streaming encoders
    write them (indefinite length) and as DER does."""
    ber = sign(SIGNED_CONTENT, stream=True)
    ber_opaque = sign(SIGNED_CONTENT, opaque=True, stream=True)
    der = sign(SIGNED_CONTENT)
    write("empty-crls-ber-sig", signed_msg(with_empty_set(ber, 0xa1, True)))
    write("empty-certs-ber-sig", signed_msg(with_empty_set(ber, 0xa0, True)))
    write("empty-crls-ber-opaque",
          opaque_msg(with_empty_set(ber_opaque, 0xa1, True)))
    write("empty-crls-der-sig", signed_msg(with_empty_set(der, 0xa1, False)))
    write("empty-certs-der-sig", signed_msg(with_empty_set(der, 0xa0, False)))


def dsa_signers():
    """Issue 13: DSA signer keys are held to MinRSABits like RSA ones.
    Signers dsa1024 and dsa2048 (serials 5e04, 5e05) sign the content."""
    for bits, serial in ((1024, "0x5e04"), (2048, "0x5e05")):
        name = "dsa%d" % bits
        run("openssl", "genpkey", "-genparam", "-algorithm", "DSA",
            "-pkeyopt", "dsa_paramgen_bits:%d" % bits, "-out",
            path(name + ".par"))
        issue(name, "signer", serial, newkey="dsa:" + path(name + ".par"))
        write(name + "-sig", signed_msg(sign(SIGNED_CONTENT, who=name)))


def certs_only_msg(der):
    return SIG_HDR + (
        b"Content-Type: application/pkcs7-mime; smime-type=certs-only; "
        b"name=smime.p7c\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename=smime.p7c\r\n\r\n"
        + b64(der))


def kinds():
    """Issue 13: what a layer is called.  A SignedData without SignerInfos
    is certs-only (RFC 8551 3.6), as openssl crl2pkcs7 makes it and as a
    streaming encoder would (empty SETs of indefinite length); a
    signed-data pkcs7-mime entity is opaque-signed even when it carries
    no eContent or its SignedData does not decode."""
    certs = run("openssl", "crl2pkcs7", "-nocrl", "-certfile",
                path("signer.pem"), "-outform", "DER")
    write("certs-only", certs_only_msg(certs))
    ci = parse(certs)
    sd = ci[1][0]
    ci.indef = ci[1].indef = sd.indef = True
    sd[1].indef = sd.children[-1].indef = True  # digestAlgorithms, signerInfos
    write("certs-only-ber", certs_only_msg(encode(ci)))
    write("opaque-detached", opaque_msg(sign(SIGNED_CONTENT)))
    ci = parse(sign(SIGNED_CONTENT, opaque=True))
    ci[1][0].children[0] = Node(0x04, value=b"\x01")  # version: no INTEGER
    write("opaque-garbled", opaque_msg(encode(ci)))


if __name__ == "__main__":
    main()
