-- wrk script for the CarePath benchmark: every request picks a random patient and care plan.
--   BENCH_IDS   file of "patientId carePlanId" lines, written by bench/LoadData.java
--   BENCH_PATH  request path with {patient} and {careplan} placeholders, e.g.
--               /fhir/CarePlan?subject=Patient/{patient}&status=active
local ids = {}
local template = os.getenv("BENCH_PATH")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)          -- fixed seeds: the same request sequence on every run
end

function init(args)
  for line in io.lines(os.getenv("BENCH_IDS")) do
    local p, c = line:match("^(%S+)%s+(%S+)")
    if p then ids[#ids + 1] = { p, c } end
  end
  math.randomseed(seed or 1)
end

function request()
  local id = ids[math.random(#ids)]
  local path = template:gsub("{patient}", id[1]):gsub("{careplan}", id[2])
  return wrk.format("GET", path)
end
