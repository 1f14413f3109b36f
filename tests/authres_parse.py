#!/usr/bin/python3
# authres_parse.py - parses an Authentication-Results value with Debian's
# python3-authres (the RFC 8601/7281 reference parser, NOTES.md) and prints
# what it understood, one line per resinfo, for tests/test_authres.c:
#   id AUTHSERV-ID
#   METHOD RESULT REASON|- TYPE.NAME=VALUE...
# The value is read from the file named on the command line.  Exit 1 when
# the parser refuses the value.
import sys

import authres

value = open(sys.argv[1], encoding="ascii").read()
try:
    h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
except Exception as e:  # any refusal is a failure of the value we wrote
    print("error %s: %s" % (type(e).__name__, e))
    sys.exit(1)
print("id %s" % h.authserv_id)
for r in h.results:
    props = " ".join("%s.%s=%s" % (p.type, p.name, p.value) for p in r.properties)
    print(("%s %s %s %s" % (r.method, r.result, r.reason or "-", props)).rstrip())
