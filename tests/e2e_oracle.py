#!/usr/bin/python3
"""e2e_oracle.py - the queries of tests/e2e_oracle.sh: make them, send
them, and read what came back to the attacker.

  gen KEYDIR OUTDIR
      KEYDIR holds alice.pem, alice.key and mallory.pem.  Writes
      OUTDIR/inner.txt (the plaintext, 11 bytes past a multiple of 16, so
      that its CBC padding is 5 bytes for RC2 and for AES) and, for each
      CIPHER in rc2-128, aes-128-cbc and each SET in alice (encrypted to
      alice), pair (to alice and mallory), OUTDIR/SET-CIPHER-VARIANT.eml:
        orig         what `openssl cms -encrypt` made
        goodpad      the last byte of the second-to-last ciphertext block
                     changed so that the last plaintext byte becomes 0x01:
                     valid padding (the block before it decrypts to junk)
        badpad       the same byte changed so that the last plaintext byte
                     becomes 0x00: invalid padding, same junk block
        probe-pkcs1  a KeyTransRecipientInfo naming alice's certificate
                     (her issuer and serial) before her real one, holding
                     16 random bytes encrypted to her key (PKCS#1 v1.5)
        probe-random the same, holding random bytes of her modulus length
                     (below the modulus) that are not PKCS#1 conformant
  alice-ris FILE.eml KEYDIR
      what alice's key finds in each RecipientInfo naming her certificate,
      in order, with raw RSA: "conformant" (00 02, 8 or more non-zero
      bytes, 00, a 16-byte key) or "not-conformant", comma-separated
  send PORT CLIENT_IP FROM RCPT[,RCPT...] FILE [dsn]
      sends FILE as it is (CRLF line ends) to 127.0.0.1:PORT from
      CLIENT_IP; with dsn, MAIL FROM carries RET=HDRS and every RCPT TO
      NOTIFY=SUCCESS.  Prints the queue id.
  copy SINKDIR QID
      prints the path of the smtp-sink file holding the copy Postfix
      delivered for QID (not a notification about it)
  dsn SINKDIR QID OUT
      finds the delivery status notification for QID (null sender,
      X-Postfix-Queue-ID: QID) and writes its text/rfc822-headers part to
      OUT without the MTA's trace fields (Received), unfolded, one field
      a line
  bodylen FILE
      the length of the body (after the first empty line) of a sink file,
      line ends counted as CRLF
"""
import base64
import copy
import os
import re
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bad_input_gen import (b64, eci, encode, p7m_entity,  # noqa: E402
                           parse, recipient_infos, run)

LEGACY = ["-provider", "legacy", "-provider", "default"]
CIPHERS = (("rc2-128", 8), ("aes-128-cbc", 16))
SETS = (("alice", ("alice",)), ("pair", ("alice", "mallory")))
ADDR = {"alice": "alice@example.org", "mallory": "mallory@example.org"}
KEY_LEN = 16  # RC2-128 and AES-128 content keys


def crlf(data):
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def plaintext():
    text = (b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            b"The oracle test's plaintext: " + os.urandom(12).hex().encode()
            + b"\r\nMeet at the north gate at ten.\r\n")
    # 11 bytes past a multiple of 16 (and 3 past one of 8): the padding is
    # 5 bytes for both block sizes, so neither variant below is a no-op.
    fill = (11 - len(text) - 2) % 16
    return text + b"x" * fill + b"\r\n"


def serial_of(pem):
    out = run("openssl", "x509", "-in", pem, "-noout", "-serial").decode()
    return int(out.strip().split("=", 1)[1], 16)


def modulus_of(pem):
    out = run("openssl", "x509", "-in", pem, "-noout", "-modulus").decode()
    return int(out.strip().split("=", 1)[1], 16)


def ri_serial(ri):
    """The serial of a KeyTransRecipientInfo's issuerAndSerialNumber."""
    rid = ri[1]
    if rid.tag != 0x30:  # [0] subjectKeyIdentifier
        return None
    return int.from_bytes(rid[1].value, "big")


def raw_rsa(keyfile, data):
    """alice's private key applied to data without padding, or None."""
    r = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", keyfile,
                        "-pkeyopt", "rsa_padding_mode:none"], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.stdout if r.returncode == 0 else None


def conformant(em):
    if em is None or em[:2] != b"\0\2":
        return False
    sep = em.find(b"\0", 2)
    return sep >= 10 and len(em) - sep - 1 == KEY_LEN


def probe_keys(keydir):
    """(conformant, not conformant) encryptedKeys for alice's key."""
    pem = os.path.join(keydir, "alice.pem")
    key = os.path.join(keydir, "alice.key")
    good = run("openssl", "pkeyutl", "-encrypt", "-certin", "-inkey", pem,
               "-pkeyopt", "rsa_padding_mode:pkcs1", stdin=os.urandom(KEY_LEN))
    n = modulus_of(pem)
    size = (n.bit_length() + 7) // 8
    while True:
        bad = os.urandom(size)
        if int.from_bytes(bad, "big") < n and not conformant(raw_rsa(key, bad)):
            return good, bad


def message(der, rcpts):
    to = ", ".join(ADDR[r] for r in rcpts).encode()
    return (b"From: x@attacker.example\r\nTo: " + to + b"\r\n"
            b"Subject: oracle query\r\nMIME-Version: 1.0\r\n"
            + p7m_entity(b64(der)))


def gen(keydir, outdir):
    os.makedirs(outdir, exist_ok=True)
    inner = plaintext()
    with open(os.path.join(outdir, "inner.txt"), "wb") as f:
        f.write(inner)
    alice = serial_of(os.path.join(keydir, "alice.pem"))

    def write(name, der, rcpts):
        with open(os.path.join(outdir, name + ".eml"), "wb") as f:
            f.write(message(der, rcpts))

    for cipher, block in CIPHERS:
        pad = block - len(inner) % block
        for setname, rcpts in SETS:
            der = run("openssl", "cms", "-encrypt", "-binary", "-outform",
                      "DER", "-" + cipher, *LEGACY,
                      *[os.path.join(keydir, r + ".pem") for r in rcpts],
                      stdin=inner)
            base = "%s-%s-" % (setname, cipher)
            write(base + "orig", der, rcpts)
            for variant, last in (("goodpad", 0x01), ("badpad", 0x00)):
                ci = parse(der)
                ct = eci(ci)[2]
                if ct.tag != 0x80 or ct.children is not None:
                    sys.exit("e2e_oracle: encryptedContent is not primitive")
                v = bytearray(ct.value)
                v[-block - 1] ^= pad ^ last
                ct.value = bytes(v)
                write(base + variant, encode(ci), rcpts)
            good, bad = probe_keys(keydir)
            for variant, ek in (("probe-pkcs1", good), ("probe-random", bad)):
                ci = parse(der)
                ris = recipient_infos(ci)
                i = next(k for k, ri in enumerate(ris.children)
                         if ri_serial(ri) == alice)
                probe = copy.deepcopy(ris[i])
                probe.children[-1].value = ek
                ris.children.insert(i, probe)
                write(base + variant, encode(ci), rcpts)


def cms_of(path):
    """The DER of the base64 body of one of gen's messages."""
    data = open(path, "rb").read()
    return base64.b64decode(data.split(b"\r\n\r\n", 1)[1])


def alice_ris(path, keydir):
    alice = serial_of(os.path.join(keydir, "alice.pem"))
    key = os.path.join(keydir, "alice.key")
    ris = recipient_infos(parse(cms_of(path)))
    print(",".join("conformant" if conformant(raw_rsa(key, ri[-1].value))
                   else "not-conformant"
                   for ri in ris.children if ri_serial(ri) == alice))


def send(port, ip, sender, rcpts, path, dsn):
    data = crlf(open(path, "rb").read())
    s = smtplib.SMTP("127.0.0.1", int(port), "client.test", timeout=120,
                     source_address=(ip, 0))
    s.ehlo()
    code, resp = s.mail(sender, ["RET=HDRS"] if dsn else [])
    if code != 250:
        sys.exit("MAIL FROM: %d %s" % (code, resp.decode(errors="replace")))
    for r in rcpts.split(","):
        code, resp = s.rcpt(r, ["NOTIFY=SUCCESS"] if dsn else [])
        if code != 250:
            sys.exit("RCPT TO:<%s>: %d %s" % (r, code,
                                              resp.decode(errors="replace")))
    code, resp = s.data(data)
    s.quit()
    m = re.search(rb"queued as ([0-9A-Za-z]+)", resp)
    if code != 250 or not m:
        sys.exit("DATA: %d %s" % (code, resp.decode(errors="replace")))
    print(m.group(1).decode())


def sink_files(sinkdir):
    for name in sorted(os.listdir(sinkdir)):
        with open(os.path.join(sinkdir, name), "rb") as f:
            yield os.path.join(sinkdir, name), f.read()


def null_sender(data):
    """smtp-sink's X-Mail-Args line (MAIL FROM's arguments) is <>."""
    m = re.search(rb"^X-Mail-Args: *(\S*)", data, re.M)
    return bool(m) and m.group(1) == b"<>"


def copy_of(sinkdir, qid):
    received = re.compile(rb"^\s+by \S+ \(Postfix\) with E?SMTP id "
                          + qid.encode() + rb"\b", re.M)
    found = [p for p, d in sink_files(sinkdir)
             if not null_sender(d) and received.search(d)]
    if len(found) != 1:
        sys.exit("e2e_oracle: %d delivered copies of %s" % (len(found), qid))
    print(found[0])


def unfold(block):
    """Header fields of a header block, one unfolded field a line."""
    fields = []
    for line in block.replace(b"\r\n", b"\n").split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b" " + line.strip()
        elif line:
            fields.append(line.rstrip())
    return fields


def dsn(sinkdir, qid, out):
    mark = re.compile(rb"^X-Postfix-Queue-ID: *" + qid.encode() + rb"\s*$",
                      re.M)
    found = [d for _, d in sink_files(sinkdir)
             if null_sender(d) and mark.search(d)]
    if len(found) != 1:
        sys.exit("e2e_oracle: %d notifications for %s" % (len(found), qid))
    data = found[0].replace(b"\r\n", b"\n")
    m = re.search(rb"^Content-Type: *text/rfc822-headers.*?\n\n(.*?)\n(?:\n|--)",
                  data, re.M | re.S | re.I)
    if not m:
        sys.exit("e2e_oracle: the notification for %s has no "
                 "text/rfc822-headers part" % qid)
    kept = [field for field in unfold(m.group(1))
            if not field.lower().startswith(b"received:")]
    with open(out, "wb") as f:
        f.write(b"".join(field + b"\n" for field in kept))


def bodylen(path):
    data = open(path, "rb").read().replace(b"\r\n", b"\n")
    i = data.find(b"\n\n")
    body = data[i + 2:] if i >= 0 else b""
    print(len(body) + body.count(b"\n"))


def main():
    a = sys.argv[1:]
    if a[:1] == ["gen"] and len(a) == 3:
        gen(a[1], a[2])
    elif a[:1] == ["alice-ris"] and len(a) == 3:
        alice_ris(a[1], a[2])
    elif a[:1] == ["send"] and len(a) in (6, 7):
        send(a[1], a[2], a[3], a[4], a[5], a[6:] == ["dsn"])
    elif a[:1] == ["copy"] and len(a) == 3:
        copy_of(a[1], a[2])
    elif a[:1] == ["dsn"] and len(a) == 4:
        dsn(a[1], a[2], a[3])
    elif a[:1] == ["bodylen"] and len(a) == 2:
        bodylen(a[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
