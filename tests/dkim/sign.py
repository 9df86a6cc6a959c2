#!/usr/bin/env python3
"""Independent DKIM signer for mailcite's DKIM tests (dkimpy, not mail-auth).

Usage: sign.py OUT_DIR

Generates keys (RSA 2048, RSA 512 for the weak-key case, Ed25519) and writes into
OUT_DIR a set of fictional messages signed by dkimpy, plus `keys.zone`: the public key
records as DNS zone-file lines. Each case is one file `<case>.eml` (CRLF line ends):

  pass-relaxed       rsa-sha256, relaxed/relaxed
  pass-simple        rsa-sha256, simple/simple
  pass-ed25519       ed25519-sha256, relaxed/relaxed (only if PyNaCl is installed)
  body-tampered      pass-relaxed with one body word changed after signing
  header-tampered    pass-relaxed with the Subject changed after signing
  expired            x= one day after t=, both in 2019 (valid but expired)
  expired-tampered   like expired, body changed after signing
  weak               signed with a 512-bit RSA key
  weak-tampered      weak, Subject changed after signing
  nokey              signed with a key whose record is not in keys.zone
  revoked            signed with a key whose archived record has an empty p=
  rotated            signed with the second of two keys archived for one selector
  partial            l= set, text appended to the body after signing
  mbox.mbox          pass-simple stored in an mboxrd file, with a body line "From ..."
                     quoted as ">From ..." (the signature covers the unquoted line)
  unsigned           no signature
  arc-2hop           pass-relaxed forwarded through two ARC hops (example.org, s=arc)
  arc-body-tampered  arc-2hop with the body changed after the last hop
  arc-aar-tampered   arc-2hop with the first ARC-Authentication-Results changed

Requires: dkimpy (pip install dkimpy), PyNaCl for Ed25519 (pip install pynacl),
authres for ARC signing (pip install authres), openssl on PATH for RSA keys.
Without PyNaCl or authres the Ed25519 or ARC cases are left out.
"""

import base64
import os
import subprocess
import sys
import time

import dkim

try:
    import nacl.signing  # noqa: F401

    HAVE_NACL = True
except ImportError:  # pragma: no cover
    HAVE_NACL = False

try:
    import authres  # noqa: F401

    HAVE_AUTHRES = True
except ImportError:  # pragma: no cover
    HAVE_AUTHRES = False

DOMAIN = b"example.com"

MESSAGE = (
    b"From: Alice Example <alice@example.com>\r\n"
    b"To: Bob Example <bob@example.org>\r\n"
    b"Subject: Quarterly figures (fictional)\r\n"
    b"Date: Tue, 02 Mar 2021 10:00:00 +0000\r\n"
    b"Message-ID: <fictional-0001@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Hi Bob,\r\n"
    b"\r\n"
    b"the   fictional figures are attached.  Nothing here is real.\r\n"
    b"From the desk of Alice, with regards.\r\n"
    b"\r\n"
    b"Alice\r\n"
)

HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]


def openssl_rsa(bits, path):
    subprocess.run(
        ["openssl", "genrsa", "-traditional", "-out", path, str(bits)],
        check=True,
        capture_output=True,
    )
    with open(path, "rb") as f:
        pem = f.read()
    der = subprocess.run(
        ["openssl", "rsa", "-in", path, "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return pem, base64.b64encode(der).decode("ascii")


def ed25519_key():
    key = nacl.signing.SigningKey.generate()
    priv = base64.b64encode(bytes(key))
    pub = base64.b64encode(bytes(key.verify_key)).decode("ascii")
    return priv, pub


class ExpiringDKIM(dkim.DKIM):
    """dkimpy has no option for x=; add it to the tag list it signs."""

    expire_at = None

    def gen_header(self, fields, include_headers, canon_policy, header_name, pk, standardize=False):
        if self.expire_at is not None:
            fields = list(fields)
            pos = next(i for i, (k, _) in enumerate(fields) if k == b"h")
            fields.insert(pos, (b"x", str(self.expire_at).encode("ascii")))
        return super().gen_header(fields, include_headers, canon_policy, header_name, pk, standardize)


def sign(message, selector, key, canon=(b"relaxed", b"relaxed"), algo=b"rsa-sha256",
         length=False, signed_at=None, expire_at=None):
    d = ExpiringDKIM(message)
    d.expire_at = expire_at
    real_time = time.time
    if signed_at is not None:
        time.time = lambda: signed_at
    try:
        sig = d.sign(selector, DOMAIN, key, signature_algorithm=algo, canonicalize=canon,
                     include_headers=HEADERS, length=length)
    finally:
        time.time = real_time
    return sig + message


def arc_hops(message, key):
    """Two ARC hops by example.org, each after adding its Authentication-Results."""
    m = b"Authentication-Results: mx.example.org; dkim=pass header.d=example.com\r\n" + message
    m = b"".join(dkim.arc_sign(m, b"arc", b"example.org", key, b"mx.example.org")) + m
    m = b"Authentication-Results: lists.example.org; arc=pass\r\n" + m
    m = b"".join(dkim.arc_sign(m, b"arc", b"example.org", key, b"lists.example.org")) + m
    return m


def zone_line(selector, record, domain=DOMAIN):
    # Split the record into 200-octet strings, like a real zone file.
    parts = [record[i:i + 200] for i in range(0, len(record), 200)] or [""]
    quoted = " ".join('"%s"' % p for p in parts)
    return "%s._domainkey.%s. 3600 IN TXT %s\n" % (selector.decode(), domain.decode(), quoted)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: sign.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    keydir = os.path.join(out, "private")
    os.makedirs(keydir, exist_ok=True)

    rsa, rsa_pub = openssl_rsa(2048, os.path.join(keydir, "rsa2048.pem"))
    weak, weak_pub = openssl_rsa(512, os.path.join(keydir, "rsa512.pem"))
    gone, _gone_pub = openssl_rsa(1024, os.path.join(keydir, "missing.pem"))
    revoked, _ = openssl_rsa(1024, os.path.join(keydir, "revoked.pem"))
    old, old_pub = openssl_rsa(1024, os.path.join(keydir, "old.pem"))
    new, new_pub = openssl_rsa(2048, os.path.join(keydir, "new.pem"))

    zone = ["; fictional keys generated by tests/dkim/sign.py\n"]
    zone.append(zone_line(b"main", "v=DKIM1; k=rsa; p=" + rsa_pub))
    zone.append(zone_line(b"weak", "v=DKIM1; k=rsa; p=" + weak_pub))
    zone.append(zone_line(b"gone", "v=DKIM1; k=rsa; p="))
    zone.append(zone_line(b"rot", "v=DKIM1; k=rsa; p=" + old_pub))
    zone.append(zone_line(b"rot", "v=DKIM1; k=rsa; p=" + new_pub))

    cases = {}
    cases["pass-relaxed"] = sign(MESSAGE, b"main", rsa)
    cases["pass-simple"] = sign(MESSAGE, b"main", rsa, canon=(b"simple", b"simple"))
    if HAVE_NACL:
        ed, ed_pub = ed25519_key()
        zone.append(zone_line(b"ed", "v=DKIM1; k=ed25519; p=" + ed_pub))
        cases["pass-ed25519"] = sign(MESSAGE, b"ed", ed, algo=b"ed25519-sha256")
    cases["body-tampered"] = cases["pass-relaxed"].replace(b"attached.", b"enclosed.")
    cases["header-tampered"] = cases["pass-relaxed"].replace(
        b"Subject: Quarterly figures (fictional)", b"Subject: Annual figures (fictional)")
    t2019 = 1551434400  # 2019-03-01
    cases["expired"] = sign(MESSAGE, b"main", rsa, signed_at=t2019, expire_at=t2019 + 86400)
    cases["expired-tampered"] = cases["expired"].replace(b"attached.", b"enclosed.")
    cases["weak"] = sign(MESSAGE, b"weak", weak)
    cases["weak-tampered"] = cases["weak"].replace(b"Quarterly", b"Annual")
    cases["nokey"] = sign(MESSAGE, b"absent", gone)
    cases["revoked"] = sign(MESSAGE, b"gone", revoked)
    cases["rotated"] = sign(MESSAGE, b"rot", new)
    cases["partial"] = sign(MESSAGE, b"main", rsa, length=True) + (
        b"\r\nP.S. This line was appended after signing.\r\n")
    cases["unsigned"] = MESSAGE
    if HAVE_AUTHRES:
        arc, arc_pub = openssl_rsa(2048, os.path.join(keydir, "arc.pem"))
        zone.append(zone_line(b"arc", "v=DKIM1; k=rsa; p=" + arc_pub, b"example.org"))
        cases["arc-2hop"] = arc_hops(cases["pass-relaxed"], arc)
        cases["arc-body-tampered"] = cases["arc-2hop"].replace(b"attached.", b"enclosed.")
        cases["arc-aar-tampered"] = cases["arc-2hop"].replace(
            b"i=1; mx.example.org;\r\n dkim=pass", b"i=1; mx.example.org;\r\n dkim=fail")
        assert cases["arc-aar-tampered"] != cases["arc-2hop"]

    for name, data in cases.items():
        with open(os.path.join(out, name + ".eml"), "wb") as f:
            f.write(data)

    # mboxrd: LF line ends, a From_ separator, body "From " lines quoted with '>'.
    msg = cases["pass-simple"].replace(b"\r\n", b"\n")
    quoted = b"\n".join(b">" + line if line.lstrip(b">").startswith(b"From ") else line
                        for line in msg.split(b"\n"))
    with open(os.path.join(out, "mbox.mbox"), "wb") as f:
        f.write(b"From alice@example.com Tue Mar  2 10:00:00 2021\n" + quoted + b"\n")

    with open(os.path.join(out, "keys.zone"), "w") as f:
        f.writelines(zone)

    # Self-check with dkimpy's own verifier for the cases it should accept.
    records = {}
    for line in zone[1:]:
        name = line.split()[0].encode()
        records.setdefault(name, []).append(
            "".join(p.strip('"') for p in line.split(" TXT ", 1)[1].strip().split('" "')).encode())

    def dnsfunc(name, timeout=5):
        found = records.get(name)
        return found[-1] if found else None

    for name in ["pass-relaxed", "pass-simple", "pass-ed25519", "weak", "rotated", "partial"]:
        if name in cases and not dkim.verify(cases[name], dnsfunc=dnsfunc, minkey=512):
            sys.exit("dkimpy does not verify its own %s message" % name)
    print("signed %d messages into %s (ed25519: %s, arc: %s)"
          % (len(cases) + 1, out, HAVE_NACL, HAVE_AUTHRES))


if __name__ == "__main__":
    main()
