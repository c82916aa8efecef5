-- wrk script for the Calmdesk benchmarks (bench/harness.py drives it through env vars).
--   WRK_METHOD   GET | POST
--   WRK_PATH     request path
--   WRK_BODY     body template; every "__U__" becomes a string unique to this request
--   WRK_CTYPE    Content-Type of the body
--   WRK_COOKIE   Cookie header (session / csrftoken), optional
--   WRK_HEADERS  extra headers "Name: value|Name: value"; "__U__"/"__H__" replaced per request too
--   WRK_RUN_ID   prefix of the unique strings (differs per wrk run, so runs never collide)
--   WRK_HEX      24 hex digits, random per run: "__H__" becomes these + 8 hex digits of the
--                request counter, i.e. a unique UUID in hex (the form's single-use token);
--                "__S__" becomes a short unique string (6 of these hex digits, "x", the
--                request counter): a passenger's own booking reference; "__A__" the same in
--                letters only (digits spelt a–j): a passenger's own family name
-- At the end it prints one machine-readable RESULT line (latencies in ms, status classes).
local method = os.getenv("WRK_METHOD") or "GET"
local path = os.getenv("WRK_PATH") or "/"
local body = os.getenv("WRK_BODY") or ""
local ctype = os.getenv("WRK_CTYPE") or ""
local cookie = os.getenv("WRK_COOKIE") or ""
local extra = os.getenv("WRK_HEADERS") or ""
local run_id = os.getenv("WRK_RUN_ID") or tostring(os.time())
local hex = os.getenv("WRK_HEX") or "000000000000000000000000"

local base = {Host = "127.0.0.1"}
if cookie ~= "" then base["Cookie"] = cookie end
if ctype ~= "" then base["Content-Type"] = ctype end
local templated = {}
for item in string.gmatch(extra, "[^|]+") do
  local name, value = string.match(item, "^%s*([^:]+):%s*(.*)$")
  if name then
    if string.find(value, "__U__", 1, true) or string.find(value, "__H__", 1, true) then templated[name] = value else base[name] = value end
  end
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

local n = 0
s2, s3, s4, s5 = 0, 0, 0, 0  -- globals: done() reads them with thread:get()

function request()
  n = n + 1
  local u = run_id .. "n" .. n
  local h = hex .. string.format("%08x", n)
  local headers = {}
  for k, v in pairs(base) do headers[k] = v end
  for k, v in pairs(templated) do headers[k] = (string.gsub((string.gsub(v, "__U__", u)), "__H__", h)) end
  if method == "GET" then
    return wrk.format("GET", path, headers)
  end
  local short = string.sub(hex, 1, 6) .. "x" .. n
  local alpha = (string.gsub(short, "%d", function(d) return string.char(97 + tonumber(d)) end))
  local b = (string.gsub((string.gsub(body, "__U__", u)), "__H__", h))
  b = (string.gsub((string.gsub(b, "__S__", short)), "__A__", alpha))
  return wrk.format(method, path, headers, b)
end

function response(status, headers, resp_body)
  if status < 300 then s2 = s2 + 1
  elseif status < 400 then s3 = s3 + 1
  elseif status < 500 then s4 = s4 + 1
  else s5 = s5 + 1 end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local c2, c3, c4, c5 = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c2 = c2 + (t:get("s2") or 0)
    c3 = c3 + (t:get("s3") or 0)
    c4 = c4 + (t:get("s4") or 0)
    c5 = c5 + (t:get("s5") or 0)
  end
  io.write(string.format(
    "RESULT requests=%d secs=%.2f rps=%.2f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f "
    .. "err_status=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d "
    .. "s2xx=%d s3xx=%d s4xx=%d s5xx=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect, e.read, e.write, e.timeout, c2, c3, c4, c5))
end
