#ifndef BULWARK_SRC_REDIS_RATE_LIMIT_GCRA_SCRIPT_HPP
#define BULWARK_SRC_REDIS_RATE_LIMIT_GCRA_SCRIPT_HPP

#include <string_view>

namespace bulwark::redis::detail {

// GCRA on the Redis server, atomically (a script runs alone): the same admission rule as
// bulwark::gcra_algorithm::admit, on the server's clock so instances need no clock agreement.
//
//   KEYS[1]  the key (hash-tagged by the caller)
//   ARGV[1]  T, the emission interval, in nanoseconds (integer)
//   ARGV[2]  burst (tokens)
//   ARGV[3]  n, the cost (0 only reads the state)
//
// Time is kept in microseconds since 2026-01-01 as a Lua number (a double): exact for the
// integer part for centuries, and TAT's fraction is kept to 1 ns ("%.3f"), so a fractional T
// (3 per second: 333333.333 us) does not drift. The key expires when its bucket would be full
// again, so idle keys cost nothing.
//
// Returns {allowed (0/1), TAT before the call in us ("%.3f"), now in us (integer string)}: the
// caller rebuilds the whole rate_decision from these with gcra_algorithm::describe, so a
// Redis decision and a local one have the same remaining, retry_after and reset_after.
inline constexpr std::string_view gcra_script = R"lua(
local t = redis.call('TIME')
local now = (tonumber(t[1]) - 1767225600) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then
  tat = tonumber(stored) or now
end
local allowed = 0
if n <= burst then
  local base = tat
  if base < now then
    base = now
  end
  local nxt = base + n * interval
  if nxt - now <= interval * burst then
    allowed = 1
    if n > 0 then
      redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX',
                 math.floor((nxt - now) / 1000) + 1)
    end
  end
end
return {allowed, string.format('%.3f', tat), string.format('%d', now)}
)lua";

} // namespace bulwark::redis::detail

#endif
