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
# Port 1 on loopback is closed: the readiness dependency is down.
"$server" --address 127.0.0.1 --port 0 --client-rate 20 --cors-origin https://app.example.com \
    --drain-timeout 20 --internal-port 0 --dependency 127.0.0.1:1 --trace-test-endpoint \
    >"$work/out" 2>"$work/stderr" &
pid=$!
exec 3<"$work/out"
if ! read -r -t 30 -u 3 first_line; then
    echo "FAIL: server printed no address"; cat "$work/stderr"; exit 1
fi
cat <&3 >"$work/stdout" & # keep draining so later prints never block the server
cat_pid=$!
echo "server: $first_line"
[[ $first_line =~ listening\ on\ http://127\.0\.0\.1:([0-9]+)\;\ internal\ on\ http://127\.0\.0\.1:([0-9]+)$ ]] ||
    { echo "FAIL: bad first line"; exit 1; }
base="http://127.0.0.1:${BASH_REMATCH[1]}"
internal="http://127.0.0.1:${BASH_REMATCH[2]}"

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

# The W3C trace-context test service: POST /test calls each url with the request's trace
# context (what the calls carry is checked in tests/http/trace); here, that the calls are made.
# First, while the per-client rate limit has its whole burst.
echo_calls() { # POST /echo requests counted by the metrics, whatever their status
    curl -sS --max-time 20 "$internal/metrics" |
        awk '$1 ~ /^http_server_requests_total\{method="POST",route="\/echo",/ { s += $2 } END { print s + 0 }'
}
echo_before=$(echo_calls)
request trace_test -X POST -H 'Content-Type: application/json' \
    -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
    --data-binary "[{\"url\":\"$base/echo\",\"arguments\":[1]},{\"url\":\"$base/echo\",\"arguments\":{\"a\":2}}]" \
    "$base/test"
[[ $status == 200 ]] || fail "POST /test -> $status: $(head -c 300 "$work/b")"
for _ in $(seq 50); do [[ $(echo_calls) == $((echo_before + 2)) ]] && break; done
[[ $(echo_calls) == $((echo_before + 2)) ]] || fail "POST /test made $(($(echo_calls) - echo_before)) calls, not 2"
request trace_test_bad -X POST --data-binary '{"not":"an array"}' "$base/test"
[[ $status == 400 ]] || fail "POST /test with a bad body -> $status"
[[ $(header content-type) == application/problem+json ]] || fail "bad /test content-type"

# Health: the public port says only pass/fail; the internal one explains.
request live "$base/health/live"
[[ $status == 200 ]] || fail "GET /health/live -> $status"
[[ $(header content-type) == application/health+json ]] || fail "live content-type: $(header content-type)"
[[ $(header cache-control) == no-store ]] || fail "live cache-control: $(header cache-control)"
[[ $(cat "$work/b") == '{"status":"pass"}' ]] || fail "live body: $(cat "$work/b")"
request startup "$base/health/startup"
[[ $status == 200 ]] || fail "GET /health/startup -> $status"
request ready "$base/health/ready"
[[ $status == 503 ]] || fail "GET /health/ready with the dependency down -> $status"
[[ $(cat "$work/b") == '{"status":"fail"}' ]] || fail "public ready body leaks details: $(cat "$work/b")"
request internal_ready "$internal/health/ready"
[[ $status == 503 ]] || fail "internal GET /health/ready -> $status"
body_has '"dependency:connect":[{"componentId":"127.0.0.1:1"' "internal ready"
body_has "\"releaseId\":\"$version\"" "internal ready"
body_has '"disk:free"' "internal ready"
request internal_live "$internal/health/live"
[[ $status == 200 ]] || fail "internal GET /health/live -> $status"
body_has '"eventloop:lag":[{"componentType":"system"' "internal live"
request internal_metrics "$internal/metrics"
[[ $status == 200 ]] || fail "internal GET /metrics -> $status"

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
request big_body -X POST -H 'Content-Type: application/octet-stream' --data-binary @"$work/big" "$base/echo"
[[ $status == 413 ]] || fail "2 MiB body -> $status"
body_has '"status":413' "413"

request metrics "$base/metrics"
[[ $status == 200 ]] || fail "GET /metrics -> $status"
[[ $(header content-type) == "text/plain; version=0.0.4; charset=utf-8" ]] ||
    fail "metrics content-type: $(header content-type)"
body_has "bulwark_build_info{version=\"$version\"} 1" "metrics build info"
body_has 'http_server_open_connections ' "metrics open connections"
body_has 'bulwark_health_check_status{check="dependency:connect",group="readiness"} 0' "metrics health"
body_has 'bulwark_ratelimit_decisions_total{limiter="per-client",result="allowed"}' "metrics limiter"
# The exposition is valid: promtool parses it and finds no lint problem.
if command -v promtool >/dev/null; then
    promtool check metrics <"$work/b" || fail "promtool check metrics: $(promtool check metrics <"$work/b" 2>&1)"
else
    fail "promtool not installed (scripts/setup installs the Debian package prometheus)"
fi
# Counters move exactly as requests are made. A request is counted once its response is
# written, so the scrape is repeated (bounded) until the last one is in.
# series <name{labels}>: its value in the last scrape, 0 when absent
series() { awk -v s="$1" '$1 == s { print $2; found = 1 } END { if (!found) print 0 }' "$work/b"; }
ok_series='http_server_requests_total{method="GET",route="/version",status="200"}'
nf_series='http_server_requests_total{method="GET",route="unmatched",status="404"}'
request metrics_before "$internal/metrics"
ok_before=$(series "$ok_series")
nf_before=$(series "$nf_series")
for _ in 1 2 3; do curl -sS -o /dev/null "$base/version"; done
curl -sS -o /dev/null "$base/no/such/page/42"
for _ in $(seq 50); do
    request metrics_after "$internal/metrics"
    [[ $(series "$ok_series") == $((ok_before + 3)) && $(series "$nf_series") == $((nf_before + 1)) ]] && break
done
[[ $(series "$ok_series") == $((ok_before + 3)) ]] ||
    fail "GET /version x3: $ok_series went from $ok_before to $(series "$ok_series")"
[[ $(series "$nf_series") == $((nf_before + 1)) ]] ||
    fail "one 404: $nf_series went from $nf_before to $(series "$nf_series")"
grep -q 'no/such/page' "$work/b" && fail "a raw path became a label"

# Security headers (json_api preset) on success and on rejections alike; no Server header.
for target in / /no/such/path; do
    request "headers $target" "$base$target"
    [[ $(header x-content-type-options) == nosniff ]] || fail "$target: X-Content-Type-Options"
    [[ $(header content-security-policy) == "default-src 'none';frame-ancestors 'none'" ]] ||
        fail "$target: CSP '$(header content-security-policy)'"
    [[ $(header strict-transport-security) == "max-age=31536000; includeSubDomains" ]] ||
        fail "$target: HSTS '$(header strict-transport-security)'"
    [[ -z $(header server) ]] || fail "$target: Server header sent"
done

# An incoming request id is accepted and echoed, in the header and in problem bodies.
request incoming_id -H 'X-Request-Id: from-the-proxy-42' "$base/nope"
[[ $(header x-request-id) == from-the-proxy-42 ]] || fail "X-Request-Id not echoed"
body_has '"requestId":"from-the-proxy-42"' "problem requestId"

# POST /echo returns the body; /slow waits without blocking; /fail hides its message.
request echo -X POST --data-binary 'ping-pong' "$base/echo"
[[ $status == 200 ]] || fail "POST /echo -> $status"
body_has 'ping-pong' "POST /echo"
request slow "$base/slow?ms=50"
[[ $status == 200 ]] || fail "GET /slow -> $status"
body_has 'waited 50 ms' "GET /slow"
request fail "$base/fail"
[[ $status == 500 ]] || fail "GET /fail -> $status"
body_has '"status":500' "500 body"
if grep -q 'secret\|postgres' "$work/b"; then fail "exception text reached the client"; fi
grep -q 'simulated failure' "$work/stderr" || fail "exception not reported to the server's log"

# The JSON log on stderr: the handler's error line carries the request's id and route, the
# access log has one line per request with the query values and credentials redacted.
fail_line=$(grep '"message":"handler failed"' "$work/stderr" | head -n1)
[[ -n $fail_line ]] || fail "no JSON line for the handler failure: $(tail -n3 "$work/stderr")"
grep -q '"route":"/fail"' <<<"$fail_line" || fail "handler failure line lacks the route: $fail_line"
grep -q '"request_id":"' <<<"$fail_line" || fail "handler failure line lacks the request id: $fail_line"
request logged -H 'Authorization: Bearer topsecret123456' -H 'Referer: https://ref.example/x' \
    "$base/echo?user=bob@example.com&page=2"
access_line=$(grep '"message":"request"' "$work/stderr" | grep '"path":"/echo?' | tail -n1)
[[ -n $access_line ]] || fail "no access-log line for /echo"
grep -q '"path":"/echo?user=\[REDACTED\]&page=\[REDACTED\]"' <<<"$access_line" || fail "query values kept: $access_line"
grep -q '"header.referer":"https://ref.example/x"' <<<"$access_line" || fail "configured header missing: $access_line"
grep -q '"client_ip":"127.0.0.0/24"' <<<"$access_line" || fail "client address not masked: $access_line"
if grep -q 'topsecret123456\|bob@example.com' "$work/stderr"; then fail "a credential or address reached the log"; fi

# CORS: the allowed origin gets a preflight answer; another origin a 403.
request preflight -X OPTIONS -H 'Origin: https://app.example.com' \
    -H 'Access-Control-Request-Method: POST' "$base/echo"
[[ $status == 204 ]] || fail "allowed preflight -> $status"
[[ $(header access-control-allow-origin) == https://app.example.com ]] || fail "preflight ACAO"
request preflight_denied -X OPTIONS -H 'Origin: https://evil.example' \
    -H 'Access-Control-Request-Method: POST' "$base/echo"
[[ $status == 403 ]] || fail "denied preflight -> $status"
[[ -z $(header access-control-allow-origin) ]] || fail "denied preflight has ACAO"
request cors_get -H 'Origin: https://app.example.com' "$base/"
[[ $(header access-control-allow-origin) == https://app.example.com ]] || fail "GET ACAO"

# X-Forwarded-For from an untrusted peer is ignored: the limiter keys on the real peer, so a
# client cannot get a fresh budget per request by inventing addresses (checked by the burst
# below, which sends a different X-Forwarded-For each time).

# Per-client rate limit (20/s, burst 20): 60 requests in one curl process over one keep-alive
# connection take far less than a second even on a loaded machine, so some are refused. Each
# transfer prints its status and headers (curl's %header{}), so the 429s are checked from the
# same burst, with no timing-sensitive follow-up request.
urls=()
for i in $(seq 0 59); do urls+=(-o "$work/burst_body_$i" "$base/?spoof=$i"); done # -o binds to one URL
curl -sS --max-time 20 \
    -w '%{http_code}|%{content_type}|%header{retry-after}|%header{ratelimit}|%header{ratelimit-policy}|%{urlnum}\n' \
    -H "X-Forwarded-For: 198.51.100.$((RANDOM % 250))" "${urls[@]}" >"$work/burst"
[[ $(grep -c '^200|' "$work/burst") -ge 1 ]] || fail "no 200 among the 60 requests"
limited=$(grep -m1 '^429|' "$work/burst") || fail "no 429 after 60 requests at 20/s: $(cut -d'|' -f1 "$work/burst" | sort | uniq -c)"
IFS='|' read -r code ctype retry ratelimit policy urlnum <<<"$limited"
[[ $ctype == application/problem+json ]] || fail "429 content-type: $ctype"
[[ $retry =~ ^[1-9][0-9]*$ ]] || fail "429 Retry-After: '$retry'"
[[ $ratelimit == "\"per-client\";r=0;t=$retry" ]] || fail "429 RateLimit: $ratelimit"
[[ $policy == '"per-client";q=20;w=1' ]] || fail "RateLimit-Policy: $policy"
grep -qF '"status":429' "$work/burst_body_$urlnum" || fail "429 body: $(head -c 300 "$work/burst_body_$urlnum")"

kill -TERM "$pid"
if wait "$pid"; then rc=0; else rc=$?; fi
pid=
[[ $rc == 0 ]] || fail "exit status after SIGTERM: $rc"
wait "$cat_pid" || true # the server's stdout is complete once it has exited
grep -q 'draining' "$work/stdout" || fail "no draining line"

# TLS: a certificate made now for 127.0.0.1; curl verifies it.
if command -v openssl >/dev/null; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
    mkfifo "$work/tls_out"
    "$server" --address 127.0.0.1 --port 0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
        >"$work/tls_out" 2>"$work/tls_stderr" &
    pid=$!
    exec 4<"$work/tls_out"
    if read -r -t 30 -u 4 tls_line && [[ $tls_line =~ listening\ on\ https://127\.0\.0\.1:([0-9]+)$ ]]; then
        cat <&4 >/dev/null &
        request tls --cacert "$work/cert.pem" "https://127.0.0.1:${BASH_REMATCH[1]}/"
        [[ $status == 200 ]] || fail "HTTPS GET / -> $status"
        body_has "bulwark $version example server" "HTTPS GET /"
        base="https://127.0.0.1:${BASH_REMATCH[1]}"
        tls=(--cacert "$work/cert.pem")
        # Graceful shutdown: a request in flight when SIGTERM arrives still gets its answer,
        # then the server exits 0. The slow request is known to be in flight once /metrics
        # counts its connection (two open: it and the scrape itself).
        curl -sS "${tls[@]}" --max-time 30 -o "$work/slow_body" -w '%{http_code}' \
            "$base/slow?ms=1500" >"$work/slow_status" &
        slow_pid=$!
        in_flight=
        for _ in $(seq 1 200); do
            if curl -sS "${tls[@]}" --max-time 5 "$base/metrics" 2>/dev/null |
                grep -q '^http_server_open_connections 2'; then
                in_flight=1
                break
            fi
        done
        [[ -n $in_flight ]] || fail "the slow request never showed as an open connection"
        kill -TERM "$pid"
        wait "$slow_pid" || fail "slow request failed during the drain"
        [[ $(cat "$work/slow_status") == 200 ]] || fail "slow request during drain -> $(cat "$work/slow_status")"
        grep -q 'waited 1500 ms' "$work/slow_body" || fail "slow body during drain: $(cat "$work/slow_body")"
        if wait "$pid"; then rc=0; else rc=$?; fi
        pid=
        [[ $rc == 0 ]] || fail "TLS server exit status after SIGTERM: $rc"
    else
        fail "TLS server did not start: ${tls_line:-} $(cat "$work/tls_stderr")"
    fi
else
    fail "openssl not installed (scripts/setup installs it)"
fi

if ((failures > 0)); then
    echo "$failures check(s) failed"; exit 1
fi
echo "example server: all checks passed"
