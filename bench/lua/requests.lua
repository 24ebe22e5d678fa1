-- wrk script: replay a prepared list of requests, count status codes, print a JSON summary.
-- Usage: wrk ... -s requests.lua <url> -- <requests file> <max requests per thread> <once: 1|0>
-- Each line of the requests file: METHOD<TAB>PATH[<TAB>BODY]. Headers (cookie, CSRF form type,
-- HX-Request) come from wrk's -H flags. With once=1 each thread takes its own share of the lines
-- and stops when it runs out (a fresh order per cancel POST); otherwise it cycles through them.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_index", counter)
  table.insert(threads, thread)
end

function init(args)
  local path, limit, once = args[1], tonumber(args[2]), args[3] == "1"
  local all = {}
  for line in io.lines(path) do
    if #line > 0 then table.insert(all, line) end
  end
  local total_threads = tonumber(args[4]) or 1
  requests = {}
  for i, line in ipairs(all) do
    if not once or (i - 1) % total_threads == thread_index - 1 then
      local method, target, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
      table.insert(requests, wrk.format(method, target, nil, body ~= "" and body or nil))
    end
  end
  position = 0
  sent = 0
  max_requests = math.min(limit, once and #requests or limit)
  statuses = {}
end

local fallback = wrk.format("GET", "/_bench/baseline")

function request()
  if sent >= max_requests then
    -- Out of prepared requests: stop; the loop may still send this one, so make it harmless.
    wrk.thread:stop()
    return fallback
  end
  sent = sent + 1
  position = position % #requests + 1
  return requests[position]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for code, n in pairs(counts) do merged[code] = (merged[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(merged) do table.insert(parts, string.format('"%s": %d', code, n)) end
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, table.concat(parts, ", ")))
end
