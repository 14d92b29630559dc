#!/usr/bin/env bash
# Two bulwark-example-server instances share one per-client limit through a real redis-server
# (started here on 127.0.0.1 with a free port), answer curl with the same 429, export the
# limit's metrics and readiness, and keep answering when Redis is killed.
#   example_server_redis_test.sh <path to bulwark-example-server>
set -euo pipefail
server=$1
for tool in curl redis-server redis-cli; do
    command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not installed (scripts/setup installs it)"; exit 0; }
done

work=$(mktemp -d)
pids=()
redis_pid=
cleanup() {
    for p in "${pids[@]}" $redis_pid; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A free port is not known in advance: try random ones until this redis-server answers.
for _ in $(seq 20); do
    port=$((20000 + RANDOM % 40000))
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --logfile /dev/null --protected-mode no >/dev/null 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do
        [[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]] && break
        kill -0 "$redis_pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$redis_pid" 2>/dev/null &&
        redis-cli -p "$port" info server | tr -d '\r' | grep -qx "process_id:$redis_pid"; then
        break
    fi
    kill "$redis_pid" 2>/dev/null || true
    redis_pid=
done
[[ -n $redis_pid ]] || { echo "FAIL: could not start redis-server"; exit 1; }

# start <name>: an instance; sets base_<name> and internal_<name>
start() {
    local name=$1
    mkfifo "$work/out-$name"
    "$server" --address 127.0.0.1 --port 0 --internal-port 0 --redis "127.0.0.1:$port" \
        --global-per-minute 3 --instances 2 >"$work/out-$name" 2>"$work/stderr-$name" &
    pids+=($!)
    exec {fd}<"$work/out-$name"
    local line
    read -r -t 30 -u "$fd" line || { echo "FAIL: $name printed no address"; cat "$work/stderr-$name"; exit 1; }
    cat <&"$fd" >/dev/null &
    [[ $line =~ listening\ on\ http://127\.0\.0\.1:([0-9]+)\;\ internal\ on\ http://127\.0\.0\.1:([0-9]+)$ ]] ||
        { echo "FAIL: bad first line: $line"; exit 1; }
    printf -v "base_$name" 'http://127.0.0.1:%s' "${BASH_REMATCH[1]}"
    printf -v "internal_$name" 'http://127.0.0.1:%s' "${BASH_REMATCH[2]}"
}
start a
start b

# request <url>: status in $status, headers in $work/h, body in $work/b
request() {
    status=$(curl -sS --max-time 20 -D "$work/h" -o "$work/b" -w '%{http_code}' "$1") ||
        fail "curl $1 failed"
}
header() { grep -i "^$1:" "$work/h" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }

# Both connected to Redis: their readiness check (run every 5 s) passes.
for name in a b; do
    url_var=internal_$name
    for _ in $(seq 300); do
        request "${!url_var}/health/ready"
        grep -q '"redis:per-client"' "$work/b" && ! grep -q 'deciding by' "$work/b" && break
        sleep 0.05
    done
    grep -q 'deciding by' "$work/b" && fail "$name: the Redis check never passed: $(cat "$work/b")"
done

# 3 per minute per client, shared: alternating between the instances, exactly 3 get through.
allowed=0
for i in 1 2 3 4 5 6; do
    if ((i % 2)); then request "$base_a/"; else request "$base_b/"; fi
    case $status in
    200) allowed=$((allowed + 1)) ;;
    429)
        [[ $(header content-type) == application/problem+json ]] || fail "429 content-type"
        [[ $(header ratelimit-policy) == '"per-client-global";q=3;w=60' ]] ||
            fail "RateLimit-Policy: $(header ratelimit-policy)"
        [[ -n $(header retry-after) ]] || fail "429 without Retry-After"
        ;;
    *) fail "GET / -> $status" ;;
    esac
done
[[ $allowed == 3 ]] || fail "$allowed of 6 admitted across two instances, not 3"
[[ $(redis-cli -p "$port" --scan --pattern 'bulwark:rl:per-client:*' | head -n1) == *'{127.0.0.1/32}' ]] ||
    fail "no per-client key in Redis"

# The limit's metrics and readiness, on the internal port.
store=$(curl -sS --max-time 20 "$internal_a/metrics" |
    awk '$1 == "bulwark_ratelimit_store_decisions_total{limiter=\"per-client-global\",source=\"store\"}" { print $2 }')
[[ -n $store && $store != 0 ]] || fail "no store decisions in a's metrics"
request "$internal_a/health/ready"
grep -q '"redis:per-client"' "$work/b" || fail "readiness lacks the Redis check: $(cat "$work/b")"

# Redis killed: the instances keep answering at once, and readiness says how they decide.
kill -9 "$redis_pid"
wait "$redis_pid" 2>/dev/null || true
redis_pid=
request "$base_a/"
[[ $status == 200 || $status == 429 ]] || fail "GET / with Redis down -> $status"
for _ in $(seq 300); do
    request "$internal_a/health/ready"
    grep -q 'deciding by local_limit' "$work/b" && break
    sleep 0.05
done
grep -q 'deciding by local_limit' "$work/b" || fail "readiness does not show the fallback: $(cat "$work/b")"
[[ $status == 200 ]] || fail "readiness with only a non-critical check failing -> $status, not 200 (warn)"

# Shut down cleanly.
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do
    wait "$p" || fail "an instance exited with $?"
done
pids=()

((failures == 0)) || { echo "$failures failure(s)"; exit 1; }
echo "PASS"
