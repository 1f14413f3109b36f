#!/usr/bin/python3
"""craft-rc2.py - derives RC2 reader vectors from env-rc2-40.der by
rewriting its RC2CBCParameter (RFC 3370 section 5.2) and re-encoding the
enclosing DER lengths.  Only the parameter changes: the key transport and
ciphertext stay those of the 5-byte (40-bit) content key, so these files
test the reader's effective-bits logic, not decryption.

  env-rc2-v58-key5.der   version 58 (= 128 effective bits), 5-byte key
  env-rc2-v300.der       version 300 (>= 256: the bit count itself)
  env-rc2-ivonly.der     the parameter is the bare IV OCTET STRING
                         (no version: 32 bits per RFC 3370)
"""
RC2_OID = bytes.fromhex('06082a864886f70d0302')

def parse(b, i=0, end=None):
    """Parses a definite-length DER TLV list into [tag, value|children]."""
    end = len(b) if end is None else end
    out = []
    while i < end:
        tag = b[i]; i += 1
        n = b[i]; i += 1
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(b[i:i + k], 'big'); i += k
        v = b[i:i + n]
        out.append([tag, parse(v) if tag & 0x20 else v])
        i += n
    return out

def enc_len(n):
    if n < 0x80:
        return bytes([n])
    s = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(s)]) + s

def encode(nodes):
    out = b''
    for tag, v in nodes:
        body = encode(v) if isinstance(v, list) else v
        out += bytes([tag]) + enc_len(len(body)) + body
    return out

def rewrite(nodes, fn):
    """Calls fn(algid) on every AlgorithmIdentifier naming RC2-CBC."""
    for node in nodes:
        v = node[1]
        if isinstance(v, list):
            if v and v[0][0] == 0x06 and bytes([0x06, len(v[0][1])]) + v[0][1] == RC2_OID:
                fn(v)
            else:
                rewrite(v, fn)

def make(src, dst, fn):
    tree = parse(open(src, 'rb').read())
    rewrite(tree, fn)
    open(dst, 'wb').write(encode(tree))

def set_version(version):
    def fn(algid):
        params = algid[1][1]          # SEQUENCE { version, iv }
        params[0][1] = version.to_bytes(2 if version > 127 else 1, 'big')
    return fn

def iv_only(algid):
    algid[1] = algid[1][1][1]          # the iv OCTET STRING itself

make('env-rc2-40.der', 'env-rc2-v58-key5.der', set_version(58))
make('env-rc2-40.der', 'env-rc2-v300.der', set_version(300))
make('env-rc2-40.der', 'env-rc2-ivonly.der', iv_only)
