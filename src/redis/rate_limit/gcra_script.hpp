#ifndef BULWARK_SRC_REDIS_RATE_LIMIT_GCRA_SCRIPT_HPP
#define BULWARK_SRC_REDIS_RATE_LIMIT_GCRA_SCRIPT_HPP

#include <string_view>

namespace bulwark::redis::detail {

// GCRA on the Redis server, atomically (a script runs alone): gcra_algorithm::admit's rule on
// the server's clock, so instances need no clock agreement.
//
//   KEYS[1]  the key
//   ARGV[1]  T, the emission interval, in nanoseconds
//   ARGV[2]  burst (tokens)
//   ARGV[3]  n, the cost (0 only reads)
//   ARGV[4]  want >= n: batch leasing takes up to `want` tokens when n are admitted
//
// The state is the theoretical arrival time as "<seconds> <nanoseconds>" (two integers). The
// script works on the debt, TAT - now, in whole nanoseconds: it is at most T * burst, which
// the client keeps below 2^53 (about 104 days), so every number stays an exact integer in
// Lua's doubles, whatever the date. A stored value that is not two integers (corrupted by
// hand), or a debt beyond the tolerance (a lowered quota), is clamped: the key recovers on
// its own. The key expires when its bucket would be full again.
//
// Returns {allowed (0/1), debt before the call in ns, tokens granted}: the caller rebuilds the
// whole rate_decision with gcra_algorithm::describe(debt, 0, ...), so a Redis decision and a
// local one have the same remaining, retry_after and reset_after. When allowed, the grant is
// n plus as many of the `want - n` extra tokens as the bucket holds; 0 when refused.
inline constexpr std::string_view gcra_script = R"lua(
local t = redis.call('TIME')
local now_s = tonumber(t[1])
local now_ns = tonumber(t[2]) * 1000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local want = tonumber(ARGV[4]) or n
local tolerance = interval * burst
local debt = 0
local stored = redis.call('GET', KEYS[1])
if stored then
  local s, ns = string.match(stored, '^(%d+) (%d+)$')
  if s then
    debt = (tonumber(s) - now_s) * 1000000000 + (tonumber(ns) - now_ns)
    if debt < 0 then
      debt = 0
    elseif debt > tolerance then
      debt = tolerance
    end
  end
end
local allowed = 0
local granted = 0
if n == 0 then
  allowed = 1
elseif n <= burst and debt + n * interval <= tolerance then
  allowed = 1
  granted = math.min(want, math.floor((tolerance - debt) / interval))
  local next_debt = debt + granted * interval
  local total = now_ns + next_debt
  local tat_s = now_s + math.floor(total / 1000000000)
  local tat_ns = total % 1000000000
  redis.call('SET', KEYS[1], string.format('%.0f %.0f', tat_s, tat_ns), 'PX',
             math.floor(next_debt / 1000000) + 1)
end
return {allowed, debt, granted}
)lua";

} // namespace bulwark::redis::detail

#endif
