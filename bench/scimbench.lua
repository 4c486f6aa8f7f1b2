-- Copied from the company's shared scimbench harness (../shared/bench/lua/scimbench.lua, 2026-11-30); unchanged otherwise.
-- scimbench.lua: generic request replayer for wrk (LuaJIT), driven by scimbench.py.
--
-- Configuration comes from environment variables (scimbench.py sets them):
--   SB_REQS     file, one request per line: METHOD <TAB> PATH <TAB> BODY (BODY may be empty)
--   SB_MODE     "count":  send every line exactly once (in order), then stop wrk (run with -t1)
--               "random": pick a random line for each request until wrk's -d duration ends
--   SB_TOKEN    bearer token (optional)
--   SB_CAPTURE  "1": record "id" and "userName" of every 2xx response body
--   SB_CHECK    "" | "total1" (body must hold "totalResults":1) | "id" (2xx body must hold an "id")
--   SB_SAMPLE   check every SB_SAMPLE-th response (default 25)
--   SB_IDS_OUT  file to write the captured "id<TAB>userName" lines to (from done())
--
-- done() prints one line "SBJSON {...}" with wrk's summary, latency percentiles and the
-- per-thread counters (status codes, first error bodies, check results, precise timing).

local ffi_ok, ffi = pcall(require, "ffi")
if ffi_ok then
  ffi_ok = pcall(ffi.cdef, [[
    typedef struct { long tv_sec; long tv_nsec; } sb_timespec_t;
    int clock_gettime(int clk_id, sb_timespec_t *tp);
    int getpid(void);
    int kill(int pid, int sig);
  ]])
end

local function now()
  if ffi_ok then
    local ts = ffi.new("sb_timespec_t")
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
  end
  return os.time()
end

local MODE = os.getenv("SB_MODE") or "random"
local TOKEN = os.getenv("SB_TOKEN") or ""
local CAPTURE = os.getenv("SB_CAPTURE") == "1"
local CHECK = os.getenv("SB_CHECK") or ""
local SAMPLE = tonumber(os.getenv("SB_SAMPLE") or "25") or 25

---------------------------------------------------------------------------
-- main state: setup() and done()
---------------------------------------------------------------------------
local threads = {}
local thread_counter = 0

function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("tid", thread_counter)
  table.insert(threads, thread)
end

local function jstr(s)
  s = tostring(s)
  s = s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == '\\' then return '\\\\' end
    return string.format("\\u%04x", string.byte(c))
  end)
  -- drop bytes that are not plain ASCII to keep the JSON valid whatever the server sent
  s = s:gsub("[\128-\255]", "?")
  return '"' .. s .. '"'
end

local function jval(v)
  local t = type(v)
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    return string.format("%.17g", v)
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "nil" then
    return "null"
  elseif t == "table" then
    -- array if keys 1..n
    local n = #v
    local is_array = n > 0
    if is_array then
      local parts = {}
      for i = 1, n do parts[i] = jval(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local parts = {}
    for k, val in pairs(v) do parts[#parts + 1] = jstr(k) .. ":" .. jval(val) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return jstr(v)
end

function done(summary, latency, requests)
  local out = {
    summary = {
      duration_us = summary.duration,
      requests = summary.requests,
      bytes = summary.bytes,
      errors = {
        connect = summary.errors.connect, read = summary.errors.read,
        write = summary.errors.write, status = summary.errors.status,
        timeout = summary.errors.timeout,
      },
    },
    latency_us = {
      min = latency.min, max = latency.max, mean = latency.mean, stdev = latency.stdev,
      p50 = latency:percentile(50), p90 = latency:percentile(90),
      p99 = latency:percentile(99), p999 = latency:percentile(99.9),
    },
    threads = {},
  }
  local ids_out = os.getenv("SB_IDS_OUT")
  local f = nil
  if ids_out and ids_out ~= "" then f = io.open(ids_out, "w") end
  for _, t in ipairs(threads) do
    local codes = t:get("codes") or {}
    local codes_s = {}
    for k, v in pairs(codes) do codes_s[tostring(k)] = v end
    out.threads[#out.threads + 1] = {
      tid = t:get("tid"),
      issued = t:get("issued"),
      responses = t:get("responses"),
      codes = codes_s,
      errors = t:get("errs") or {},
      checked = t:get("checked"),
      check_failed = t:get("check_failed"),
      check_fail_examples = t:get("check_fail_examples") or {},
      t_first = t:get("t_first"),
      t_last = t:get("t_last"),
      completed = t:get("completed"),
      ffi = t:get("has_ffi"),
    }
    if f then
      local cap = t:get("captured") or {}
      for i = 1, #cap do f:write(cap[i], "\n") end
    end
  end
  if f then f:close() end
  io.write("SBJSON ", jval(out), "\n")
  io.flush()
end

---------------------------------------------------------------------------
-- thread states: init(), delay(), request(), response()
---------------------------------------------------------------------------
local reqs = {}
local nreqs = 0

function init(args)
  issued = 0
  reserved = 0
  responses = 0
  codes = {}
  errs = {}
  captured = {}
  checked = 0
  check_failed = 0
  check_fail_examples = {}
  completed = false
  has_ffi = ffi_ok
  t_first = nil
  t_last = nil
  math.randomseed(os.time() + (tid or 1) * 7919)
  local path = os.getenv("SB_REQS")
  for line in io.lines(path) do
    local m, p, b = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    if m then
      local h = { ["Accept"] = "application/scim+json" }
      if TOKEN ~= "" then h["Authorization"] = "Bearer " .. TOKEN end
      local body = nil
      if b ~= nil and b ~= "" then
        body = b
        h["Content-Type"] = "application/scim+json"
      end
      nreqs = nreqs + 1
      reqs[nreqs] = wrk.format(m, p, h, body)
    end
  end
end

if MODE == "count" then
  -- With delay() defined, wrk calls delay() before every request it sends (the first
  -- one of each connection included) and request() only after the delay.  delay() hands
  -- out tickets so that the requests issued plus the tickets not yet used never exceed
  -- nreqs, and parks the connection (1 h) once they are gone, so exactly nreqs requests
  -- are sent.  wrk also calls request() once at start-up, without sending it, to verify
  -- the script: that call has no ticket and must not consume a line.
  function delay()
    if issued + reserved < nreqs then
      reserved = reserved + 1
      return 0
    end
    return 3600000
  end

  function request()
    if reserved == 0 then
      return reqs[1] -- wrk's start-up verification call: not sent
    end
    reserved = reserved - 1
    issued = issued + 1
    if t_first == nil then t_first = now() end
    return reqs[issued] or reqs[nreqs]
  end
else
  function request()
    issued = issued + 1
    if t_first == nil then t_first = now() end
    return reqs[math.random(nreqs)]
  end
end

function response(status, headers, body)
  responses = responses + 1
  codes[status] = (codes[status] or 0) + 1
  body = body or ""
  local ok = status >= 200 and status < 300
  if not ok and #errs < 5 then
    errs[#errs + 1] = tostring(status) .. " " .. string.sub(body, 1, 400)
  end
  if CAPTURE and ok then
    local id = string.match(body, '"id"%s*:%s*"([^"]+)"') or ""
    local un = string.match(body, '"userName"%s*:%s*"([^"]+)"') or ""
    captured[#captured + 1] = id .. "\t" .. un
  end
  if CHECK ~= "" and responses % SAMPLE == 0 then
    checked = checked + 1
    local good
    if CHECK == "total1" then
      good = ok and string.match(body, '"totalResults"%s*:%s*1[^%d]') ~= nil
    else
      good = ok and string.match(body, '"id"%s*:%s*"[^"]+"') ~= nil
    end
    if not good then
      check_failed = check_failed + 1
      if #check_fail_examples < 3 then
        check_fail_examples[#check_fail_examples + 1] = tostring(status) .. " " .. string.sub(body, 1, 400)
      end
    end
  end
  if MODE == "count" and responses >= nreqs and not completed then
    completed = true
    t_last = now()
    wrk.thread:stop()
    if ffi_ok then
      ffi.C.kill(ffi.C.getpid(), 2) -- SIGINT: wakes wrk's main thread so it reports now
    else
      os.execute("kill -INT $PPID")
    end
  elseif MODE ~= "count" then
    t_last = now()
  end
end
