-- wrk script for the CarePath benchmark's enrolment rate: every request is a transaction Bundle
-- with a new Patient and that patient's scheduled SI joint fusion (Procedure, status preparation,
-- CPT 27279, a date to come), which the server turns into a dated CarePlan and its Tasks.
--   BENCH_SURGERY  the planned date and time, e.g. 2026-12-15T08:00:00Z
local surgery = os.getenv("BENCH_SURGERY")
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  math.randomseed(os.time() * 100 + (tid or 1))
end

local function uuid()
  return string.format("%08x-%04x-4%03x-%04x-%012x", math.random(0, 0xffffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), math.random(0x8000, 0xbfff), math.random(0, 0xffffffffffff))
end

function request()
  counter = counter + 1
  local patient = "urn:uuid:" .. uuid()
  local body = '{"resourceType":"Bundle","type":"transaction","entry":['
    .. '{"fullUrl":"' .. patient .. '","resource":{"resourceType":"Patient","name":[{"family":"Enrolment"}]},'
    .. '"request":{"method":"POST","url":"Patient"}},'
    .. '{"resource":{"resourceType":"Procedure","status":"preparation",'
    .. '"code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"27279"}]},'
    .. '"subject":{"reference":"' .. patient .. '"},"performedDateTime":"' .. surgery .. '"},'
    .. '"request":{"method":"POST","url":"Procedure"}}]}'
  return wrk.format("POST", "/fhir", { ["Content-Type"] = "application/fhir+json" }, body)
end
