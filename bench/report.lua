-- wrk script for bench/run.py: cycles through the paths in BENCH_PATHS (separated
-- by "|"), sends BENCH_COOKIE when set, and prints one JSON line with the numbers.
local paths = {}
for path in string.gmatch(os.getenv("BENCH_PATHS") or "/", "[^|]+") do
  table.insert(paths, path)
end
local cookie = os.getenv("BENCH_COOKIE") or ""
local counter = 0
-- With BENCH_WORDS, every request searches a pair of those words that no earlier
-- request of the run searched (counted on from BENCH_OFFSET), so no cache can answer.
local words = {}
for word in string.gmatch(os.getenv("BENCH_WORDS") or "", "[^|]+") do
  table.insert(words, word)
end
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")

local function path_for(n)
  if #words == 0 then
    return paths[(n % #paths) + 1]
  end
  local k = offset + n
  local first = words[(k % #words) + 1]
  local second = words[(math.floor(k / #words) % #words) + 1]
  local path = "/library/search?q=" .. first .. "+" .. second
  local lap = math.floor(k / (#words * #words))
  if lap > 0 then
    path = path .. "&page=" .. (lap + 1)  -- every pair was searched: the next page of results
  end
  return path
end

request = function()
  counter = counter + 1
  local headers = {}
  if cookie ~= "" then
    headers["Cookie"] = cookie
  end
  return wrk.format("GET", path_for(counter), headers)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
