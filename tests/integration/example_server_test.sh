#!/usr/bin/env bash
# bulwark-example-server answers real curl requests on a real socket.
#   example_server_test.sh <path to bulwark-example-server> <expected version>
set -euo pipefail
server=$1
version=$2
command -v curl >/dev/null || { echo "SKIPPED: curl not installed (scripts/setup installs it)"; exit 0; }

work=$(mktemp -d)
pid=
cleanup() {
    [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The server prints its address on the first stdout line; a FIFO lets us block on that line
# instead of polling with sleeps.
mkfifo "$work/out"
"$server" --address 127.0.0.1 --port 0 --client-rate 20 >"$work/out" 2>"$work/stderr" &
pid=$!
exec 3<"$work/out"
if ! read -r -t 30 -u 3 first_line; then
    echo "FAIL: server printed no address"; cat "$work/stderr"; exit 1
fi
cat <&3 >"$work/stdout" & # keep draining so later prints never block the server
echo "server: $first_line"
[[ $first_line =~ listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]] || { echo "FAIL: bad first line"; exit 1; }
base="http://127.0.0.1:${BASH_REMATCH[1]}"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# request <name> <curl args...>: runs curl, leaves status in $status, headers in $work/h, body in $work/b
request() {
    local name=$1; shift
    status=$(curl -sS --max-time 20 -D "$work/h" -o "$work/b" -w '%{http_code}' "$@") ||
        fail "$name: curl failed"
}
header() { grep -i "^$1:" "$work/h" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }
body_has() { grep -qF -- "$1" "$work/b" || fail "$2: body lacks $1: $(head -c 300 "$work/b")"; }

request root "$base/"
[[ $status == 200 ]] || fail "GET / -> $status"
body_has "bulwark $version example server" "GET /"
[[ -n $(header x-request-id) ]] || fail "GET /: no X-Request-Id"

request version "$base/version?x=1"
[[ $status == 200 ]] || fail "GET /version -> $status"
[[ $(header content-type) == application/json ]] || fail "GET /version content-type"
body_has "{\"version\":\"$version\"}" "GET /version"

request not_found "$base/no/such/path"
[[ $status == 404 ]] || fail "GET /no/such/path -> $status"
[[ $(header content-type) == application/problem+json ]] || fail "404 content-type: $(header content-type)"
body_has '"status":404' "404"
body_has '"title":"Not Found"' "404"
body_has "\"requestId\":\"$(header x-request-id)\"" "404 requestId matches X-Request-Id"

request method -X POST --data 'x' "$base/"
[[ $status == 405 ]] || fail "POST / -> $status"
[[ $(header allow) == "GET, HEAD" ]] || fail "405 Allow: $(header allow)"

# An over-long header (16 KiB > 8 KiB limit) is refused with 431 and the connection closed.
request big_header -H "X-Filler: $(head -c 16384 /dev/zero | tr '\0' a)" "$base/"
[[ $status == 431 ]] || fail "16 KiB header -> $status"
body_has '"status":431' "431"
[[ $(header connection) == close ]] || fail "431 must close the connection"

# A 2 MiB body announced by Content-Length is refused before it is sent: curl waits for
# 100-continue, the server answers 413 from the header alone.
head -c $((2 * 1024 * 1024)) /dev/zero >"$work/big"
request big_body -X POST -H 'Content-Type: application/octet-stream' --data-binary @"$work/big" "$base/"
[[ $status == 413 ]] || fail "2 MiB body -> $status"
body_has '"status":413' "413"

request metrics "$base/metrics"
[[ $status == 200 ]] || fail "GET /metrics -> $status"
body_has "bulwark_build_info{version=\"$version\"} 1" "metrics build info"
body_has 'http_server_requests_total{method="GET",route="/",status="200"} 1' "metrics root counter"
body_has 'http_server_requests_total{method="GET",route="unmatched",status="404"} 1' "metrics 404 counter"
if grep -q 'route="/no/such/path"' "$work/b"; then fail "raw path used as a metrics label"; fi

# Per-client rate limit (20/s, burst 20): 60 requests in one curl process over one keep-alive
# connection take far less than a second even on a loaded machine, so some are refused. Each
# transfer prints its status and headers (curl's %header{}), so the 429s are checked from the
# same burst, with no timing-sensitive follow-up request.
urls=()
for i in $(seq 0 59); do urls+=(-o "$work/burst_body_$i" "$base/"); done # -o binds to one URL
curl -sS --max-time 20 \
    -w '%{http_code}|%{content_type}|%header{retry-after}|%header{ratelimit}|%header{ratelimit-policy}|%{urlnum}\n' \
    "${urls[@]}" >"$work/burst"
[[ $(grep -c '^200|' "$work/burst") -ge 1 ]] || fail "no 200 among the 60 requests"
limited=$(grep -m1 '^429|' "$work/burst") || fail "no 429 after 60 requests at 20/s: $(cut -d'|' -f1 "$work/burst" | sort | uniq -c)"
IFS='|' read -r code ctype retry ratelimit policy urlnum <<<"$limited"
[[ $ctype == application/problem+json ]] || fail "429 content-type: $ctype"
[[ $retry =~ ^[1-9][0-9]*$ ]] || fail "429 Retry-After: '$retry'"
[[ $ratelimit == "\"per-client\";r=0;t=$retry" ]] || fail "429 RateLimit: $ratelimit"
[[ $policy == '"per-client";q=20;w=1' ]] || fail "RateLimit-Policy: $policy"
grep -qF '"status":429' "$work/burst_body_$urlnum" || fail "429 body: $(head -c 300 "$work/burst_body_$urlnum")"

# Graceful exit on SIGTERM, with status 0.
kill -TERM "$pid"
if wait "$pid"; then rc=0; else rc=$?; fi
pid=
[[ $rc == 0 ]] || fail "exit status after SIGTERM: $rc"

if ((failures > 0)); then
    echo "$failures check(s) failed"; exit 1
fi
echo "example server: all checks passed"
