-- The wrk script of bench/mixed-load.sh: a mix of signed-in reads, autosaves, public survey
-- submissions and kiosk API submissions against one `chiso serve`, with per-class status
-- counts and latencies. Run with one connection per wrk thread (-t N -c N): a thread's
-- request() and response() then alternate, so each answer is put down to the class (and the
-- leaf) of the request that asked for it.
--
--   MIXED_CONFIG=file MIXED_OUT=dir wrk -t200 -c200 -d10s -s bench/mixed.lua http://127.0.0.1:PORT
--   wrk -t200 -c200 -d5s -s bench/mixed.lua http://127.0.0.1:PORT/healthz   # no MIXED_CONFIG:
--                                  # wrk's own requests, only the summary line below
--
-- The config file (written by bench/mixed-load.sh) has one record a line, fields separated by
-- tabs:
--   threads N                              wrk's -t (= -c)
--   weight CLASS W                         share of requests of CLASS (dash sheet save survey kiosk)
--   page PATH                              a dashboard or ranking page (class dash)
--   viewer COOKIE                          a signed-in viewer's Cookie header
--   editor COOKIE CSRF SHEET LEAF:VERSION,…  a unit editor's session, its draft sheet's leaves
--   survey SLUG                            a unit's public form (/ks/SLUG)
--   surveycsrf COOKIE TOKEN                the public form's pre-login CSRF cookie and token
--   question CODE                          a required question of the public form (1–5 scale)
--   item CODE                              a questionnaire item the kiosk answers (1–5 scale)
--   kiosk KEY                              a device key (Authorization: Bearer KEY)
--
-- done() prints wrk's summary as one tab-separated line read by bench/mixed-load.sh:
--   MIXED-TOTAL requests seconds p50 p95 p99 (ms, wrk's histogram) status-errors socket-errors
-- and each thread writes one line per answer to MIXED_OUT/THREAD.tsv (flushed when wrk exits):
--   class  status[ location]  ok|stale|wrong  microseconds  path (dash only, else -)
-- (wrk's thread:get cannot copy nested tables, so the script adds these up, not done()).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } mixed_timespec;
int clock_gettime(int clock, mixed_timespec *tp);
]]
local clock = ffi.new("mixed_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local CLASSES = { "dash", "sheet", "save", "survey", "kiosk" }

-- Main state: number the threads (the global `id` of each).
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("MIXED-TOTAL\t%d\t%.3f\t%.2f\t%.2f\t%.2f\t%d\t%d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

local config_path = os.getenv("MIXED_CONFIG")
if not config_path then return end -- the /healthz baseline: wrk's own request

-- Thread state ---------------------------------------------------------------------------------

local weights, pages, viewers, editors, slugs, questions, items, kiosks = {}, {}, {}, {}, {}, {}, {}, {}
local nthreads, survey_cookie, survey_token = 1, nil, nil
local me = {}           -- this thread's viewer, editor (with its leaves), kiosk key
local pending = nil     -- the request on the wire: class, start, leaf
local serial = 0        -- numbers respondent ids and explanations
local log = nil         -- this thread's answers (MIXED_OUT/THREAD.tsv)

local function split(line, sep)
  local out = {}
  for field in (line .. sep):gmatch("(.-)" .. sep) do out[#out + 1] = field end
  return out
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- A 1–5 answer leaning to satisfied, as the demo's responses do.
local function answer()
  local r = math.random(100)
  if r <= 3 then return 1 elseif r <= 8 then return 2 elseif r <= 20 then return 3
  elseif r <= 65 then return 4 else return 5 end
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
  for line in io.lines(config_path) do
    local f = split(line, "\t")
    local kind = f[1]
    if kind == "threads" then nthreads = tonumber(f[2])
    elseif kind == "weight" then weights[f[2]] = tonumber(f[3])
    elseif kind == "page" then pages[#pages + 1] = f[2]
    elseif kind == "viewer" then viewers[#viewers + 1] = f[2]
    elseif kind == "editor" then
      local leaves = {}
      for _, pair in ipairs(split(f[5], ",")) do
        local leaf, version = pair:match("^(%d+):(%d*)$")
        if leaf then leaves[#leaves + 1] = { node = leaf, version = version } end
      end
      editors[#editors + 1] = { cookie = f[2], csrf = f[3], sheet = f[4], leaves = leaves }
    elseif kind == "survey" then slugs[#slugs + 1] = f[2]
    elseif kind == "surveycsrf" then survey_cookie, survey_token = f[2], f[3]
    elseif kind == "question" then questions[#questions + 1] = f[2]
    elseif kind == "item" then items[#items + 1] = f[2]
    elseif kind == "kiosk" then kiosks[#kiosks + 1] = f[2]
    end
  end
  -- Classes without what they need get no weight (the script checks this never happens).
  if #pages == 0 or #viewers == 0 then weights.dash = 0 end
  if #editors == 0 then weights.sheet, weights.save = 0, 0 end
  if #slugs == 0 or not survey_token then weights.survey = 0 end
  if #kiosks == 0 or #items == 0 then weights.kiosk = 0 end
  log = assert(io.open(string.format("%s/%d.tsv", os.getenv("MIXED_OUT"), id), "w"))
  log:setvbuf("full", 65536)

  me.viewer = viewers[id % math.max(#viewers, 1) + 1]
  me.kiosk = kiosks[id % math.max(#kiosks, 1) + 1]
  if #editors > 0 then
    -- Threads of the same editor take disjoint leaves while there are enough of them, so
    -- that a stale refusal (409) means a real race, not the script's own doing.
    local e = id % #editors
    me.editor = editors[e + 1]
    local slot = math.floor(id / #editors)
    local sharing = math.floor((nthreads - 1 - e) / #editors) + 1
    local k = math.min(sharing, #me.editor.leaves)
    me.leaves = {}
    for j, leaf in ipairs(me.editor.leaves) do
      if (j - 1) % k == slot % k then me.leaves[#me.leaves + 1] = leaf end
    end
    me.turn = 0
  end
end

local function pick()
  local total = 0
  for _, class in ipairs(CLASSES) do total = total + (weights[class] or 0) end
  local r = math.random() * total
  for _, class in ipairs(CLASSES) do
    r = r - (weights[class] or 0)
    if r < 0 then return class end
  end
  return "dash"
end

function request()
  local class = pick()
  serial = serial + 1
  local leaf = nil
  local method, path, headers, body = "GET", nil, {}, nil
  if class == "dash" then
    path = pages[math.random(#pages)]
    headers["Cookie"] = me.viewer
    headers["Accept-Encoding"] = "gzip"
  elseif class == "sheet" then
    path = "/tu-danh-gia/" .. me.editor.sheet
    headers["Cookie"] = me.editor.cookie
    headers["Accept-Encoding"] = "gzip"
  elseif class == "save" then
    -- The page's autosave: an htmx POST of one leaf with the version its last answer carried;
    -- the text changes every time so that every save writes.
    me.turn = me.turn % #me.leaves + 1
    leaf = me.leaves[me.turn]
    method = "POST"
    path = "/tu-danh-gia/" .. me.editor.sheet .. "/tieu-chi/" .. leaf.node
    headers["Cookie"] = me.editor.cookie
    headers["hx-request"] = "true"
    headers["x-csrf-token"] = me.editor.csrf
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    body = "version=" .. leaf.version .. "&explanation=" ..
        urlencode(string.format("Giải trình tải thử %d-%d", id, serial))
  elseif class == "survey" then
    local fields = { "_csrf=" .. urlencode(survey_token) }
    for _, q in ipairs(questions) do fields[#fields + 1] = q .. "=" .. answer() end
    method = "POST"
    path = "/ks/" .. slugs[math.random(#slugs)]
    headers["Cookie"] = survey_cookie
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    body = table.concat(fields, "&")
  else -- kiosk
    local answers = {}
    for _, item in ipairs(items) do answers[#answers + 1] = string.format('"%s":%d', item, answer()) end
    method = "POST"
    path = "/api/v1/responses"
    headers["Authorization"] = "Bearer " .. me.kiosk
    headers["Content-Type"] = "application/json"
    body = string.format('{"respondent_id":"mx%d-%d","channel":"kiosk","answers":{%s}}',
      id, serial, table.concat(answers, ","))
  end
  pending = { class = class, start = now_us(), leaf = leaf, page = class == "dash" and path or "-" }
  return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
  local p = pending
  pending = nil
  if not p then return end
  local elapsed = now_us() - p.start
  local location = headers["location"] or headers["Location"]
  local outcome = "wrong"
  if p.class == "dash" or p.class == "sheet" then
    if status == 200 then outcome = "ok" end
  elseif p.class == "save" then
    if status == 200 then
      outcome = "ok"
      p.leaf.version = body:match('name="version" value="(%d*)"') or p.leaf.version
    elseif status == 409 then
      -- Someone saved the leaf first: adopt the stored version (as "keep mine" would) and
      -- count it apart.
      outcome = "stale"
      p.leaf.version = body:match('name="overwrite_version" value="(%d+)"') or p.leaf.version
    end
  elseif p.class == "survey" then
    if status == 303 and location == "/ks/cam-on" then outcome = "ok" end
  else -- kiosk
    if status == 201 and body:find('"status":"accepted"', 1, true) then outcome = "ok" end
  end
  local key = tostring(status)
  if location then key = key .. " " .. (location:gsub("%?.*$", "")) end
  log:write(p.class, "\t", key, "\t", outcome, "\t", string.format("%d", elapsed), "\t", p.page, "\n")
end
