#!/usr/bin/env bash
# bulwark-redact from outside: the labelled corpus through the installed-style executable
# (every marked value gone, every line kept, counts per detector), the modes, a keyed
# pseudonym stable across lines, detector selection, and usage errors with exit status 2.
#   redact_tool_test.sh <bulwark-redact> <source dir>
set -euo pipefail
tool=$1
corpus=$2/tests/data/redact_corpus.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The corpus without comments: the input with markers stripped, and the exact expected output
# with each marked value replaced by its mask.
grep -v -e '^#' -e '^$' "$corpus" | perl -pe 's/\{\{[a-z0-9_]+:(.*?)\}\}/$1/g' >"$work/in.log"
grep -v -e '^#' -e '^$' "$corpus" | perl -pe 's/\{\{([a-z0-9_]+):(.*?)\}\}/[REDACTED:$1]/g' >"$work/expected.log"
markers=$(grep -v '^#' "$corpus" | grep -o '{{[a-z0-9_]*:' | wc -l)

"$tool" --stats <"$work/in.log" >"$work/out.log" 2>"$work/stats"
diff -u "$work/expected.log" "$work/out.log" >"$work/diff" || fail "output differs from the corpus labels: $(head -20 "$work/diff")"
found=$(awk '$1 != "lines" && $1 != "failed" { s += $2 } END { print s }' "$work/stats")
[ "$found" -eq "$markers" ] || fail "--stats counts $found matches, corpus marks $markers"
grep -qx "failed 0" "$work/stats" || fail "failed lines reported"

# partial: a card keeps its last four digits, an address its /24.
out=$(echo "card 4111 1111 1111 1111 from 203.0.113.42" | "$tool" --mode partial)
[ "$out" = "card [REDACTED:card:1111] from [REDACTED:ipv4:203.0.113.0/24]" ] || fail "partial: $out"

# pseudonymize: the same address on two lines gives the same token; another key, another.
head -c 32 /dev/urandom >"$work/key1"
head -c 32 /dev/urandom >"$work/key2"
printf 'login bob@example.com\nlogout Bob@Example.com\n' >"$work/p.log"
"$tool" --mode pseudonymize --hmac-key-file "$work/key1" <"$work/p.log" >"$work/p1"
t1=$(sed -n 1p "$work/p1" | grep -o '\[HMAC:email:[0-9a-f]*\]') || fail "no pseudonym: $(cat "$work/p1")"
t2=$(sed -n 2p "$work/p1" | grep -o '\[HMAC:email:[0-9a-f]*\]')
[ "$t1" = "$t2" ] || fail "same address, different pseudonyms: $t1 $t2"
[ "${#t1}" -eq $((12 + 16 + 1)) ] || fail "pseudonym length: $t1"
t3=$("$tool" --mode pseudonymize --hmac-key-file "$work/key2" <"$work/p.log" | head -1 | grep -o '\[HMAC:email:[0-9a-f]*\]')
[ "$t1" != "$t3" ] || fail "another key gave the same pseudonym"

# Detector selection and per-detector modes.
out=$(echo "a@b.io 4111111111111111 10.0.0.1" | "$tool" --detectors email,ipv4 --mode ipv4=off)
[ "$out" = "[REDACTED:email] 4111111111111111 10.0.0.1" ] || fail "--detectors: $out"
out=$(echo "support@example.com x@example.org otp=123456" | "$tool" --allow support@example.com --secret-key otp)
[ "$out" = "support@example.com [REDACTED:email] otp=[REDACTED:secret]" ] || fail "--allow/--secret-key: $out"

# Usage errors: status 2 and a message naming the problem; nothing written to stdout.
expect_usage() {
    local want=$1
    shift
    set +e
    out=$(echo "a@b.io" | "$tool" "$@" 2>"$work/err")
    status=$?
    set -e
    [ "$status" -eq 2 ] || fail "$* exited $status, not 2"
    [ -z "$out" ] || fail "$* wrote to stdout"
    grep -qF -- "$want" "$work/err" || fail "$*: stderr lacks '$want': $(cat "$work/err")"
}
expect_usage "--hmac-key-file" --mode pseudonymize
expect_usage "unknown mode 'bogus'" --mode bogus
expect_usage "unknown detector 'nope'" --detectors email,nope
expect_usage "unknown option '--frobnicate'" --frobnicate
printf 'short' >"$work/short"
expect_usage "hmac_key" --mode pseudonymize --hmac-key-file "$work/short"
expect_usage "cannot read key file" --mode pseudonymize --hmac-key-file "$work/missing"
expect_usage "redactor_config.ipv4_prefix_bits" --ipv4-prefix 20

# A last line without a newline stays without one.
[ "$(printf 'x 10.0.0.1' | "$tool" | od -An -c | tr -d ' \n')" = "x[REDACTED:ipv4]" ] || fail "trailing newline added"
echo "redact tool: $markers marked values redacted, modes and errors as documented"
