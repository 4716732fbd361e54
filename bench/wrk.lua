-- wrk script for `python -m bench`: optionally replays a file of request bodies, and always ends with one
-- machine-readable line: BENCH {"requests": N, "seconds": S, "p50_ms": X, "p99_ms": Y, "errors": E,
-- "exhausted": B}.
--
--   wrk ... -s bench/wrk.lua URL                          -- the URL, again and again
--   wrk ... -s bench/wrk.lua URL -- BODIES METHOD THREADS  -- each line of BODIES sent once as METHOD's body
--   wrk ... -s bench/wrk.lua URL -- LINES METHOD THREADS HEADER
--                                  -- the URL with each line of LINES as HEADER's value (many users), in turn
--
-- With a bodies file each wrk thread takes every THREADS-th line (its own share) and stops once its
-- share runs out, so no body is sent twice (a booking, an update id). The last SPARE lines of a share
-- are kept for the requests a stopping thread still sends on its other connections. wrk still divides
-- by the whole duration, so a run whose bodies ran out says so ("exhausted") and its rate is too low.

local SPARE = 64
local threads = {}

function setup(thread)
   thread:set("index", #threads)
   table.insert(threads, thread)
end

function init(args)
   if args[1] == nil then
      return
   end
   local share, count, header, line_number = {}, tonumber(args[3]), args[4], 0
   for line in io.lines(args[1]) do
      if line_number % count == index then
         share[#share + 1] = header and with_header(args[2], header, line) or wrk.format(args[2], nil, nil, line)
      end
      line_number = line_number + 1
   end
   bodies, sent, cycle = share, 0, header ~= nil
end

-- wrk.format takes the headers it is given instead of wrk.headers (the -H ones): those are copied first.
function with_header(method, name, value)
   local headers = {}
   for key, known in pairs(wrk.headers) do
      headers[key] = known
   end
   headers[name] = value
   return wrk.format(method, nil, headers, nil)
end

function request()
   if bodies == nil then
      return wrk.request()
   end
   sent = sent + 1
   if cycle then
      return bodies[(sent - 1) % #bodies + 1]
   end
   if sent == #bodies - SPARE or sent == #bodies then
      exhausted = true
      wrk.thread:stop()
   end
   return bodies[math.min(sent, #bodies)]
end

function done(summary, latency, requests)
   local errors, exhausted = summary.errors, false
   for _, thread in ipairs(threads) do
      exhausted = exhausted or thread:get("exhausted") == true
   end
   io.write(string.format(
      'BENCH {"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p99_ms": %.3f, "errors": %d, "exhausted": %s}\n',
      summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      errors.connect + errors.read + errors.write + errors.status + errors.timeout, tostring(exhausted)))
end
