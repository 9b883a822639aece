#!/bin/sh
# Regenerates data/common_passwords.txt, the list of common passwords
# oneguard refuses (core/accounts.c), from two Debian packages:
#   python3-zxcvbn  zxcvbn's "passwords" frequency list, the 30,000 most
#                   common passwords of leaked sets (MIT licence, Dropbox)
#   john-data       John the Ripper's password.lst (Openwall; "assumed to be
#                   in the public domain" in its header)
# Only entries of at least 10 characters are kept: shorter ones are refused
# by the length rule already. Lowercased, sorted bytewise (LC_ALL=C), unique:
# the program looks them up with bsearch after lowercasing the password.
# Usage: tools/make-common-passwords.sh > data/common_passwords.txt
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -q python3-zxcvbn john-data >/dev/null)
for f in "$tmp"/*.deb; do dpkg-deb -x "$f" "$tmp/x"; done
{
	PYTHONPATH="$tmp/x/usr/lib/python3/dist-packages" python3 -c '
from zxcvbn.frequency_lists import FREQUENCY_LISTS
for w in FREQUENCY_LISTS["passwords"]:
    print(w)'
	grep -v '^#!comment' "$tmp/x/usr/share/john/password.lst"
} | tr 'A-Z' 'a-z' | LC_ALL=C awk 'length($0) >= 10 && $0 !~ /[^ -~]/ && $0 !~ /["\\]/' | LC_ALL=C sort -u
