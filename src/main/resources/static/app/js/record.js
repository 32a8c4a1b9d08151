// Everything the app reads and writes, through the public FHIR API only (the calls any app makes).
import { parse, periodEnd, nowDateTime } from "./dates.js";

export const PATHWAY = "https://carepath.org/fhir/CodeSystem/pathway";
const PARAMETER = "https://carepath.org/fhir/StructureDefinition/pathway-parameter";
const URGENCY = "https://carepath.org/fhir/StructureDefinition/alert-urgency";
const ALL = { flat: true, pageLimit: 0 };

/** The patient, the active care plan made from a pathway, the pathway itself, and the open Tasks. */
export async function loadRecord(client, patientId) {
  const [patient, plans, tasks] = await Promise.all([
    client.request(`Patient/${encodeURIComponent(patientId)}`),
    client.request(`CarePlan?subject=Patient/${encodeURIComponent(patientId)}&status=active&_count=50`, ALL),
    // Care-team Tasks raised by alerts have intent "order"; the patient's own have intent "plan".
    client.request(`Task?patient=${encodeURIComponent(patientId)}&intent=plan&status=requested,accepted,in-progress&_count=100`, ALL),
  ]);
  const plan = plans.filter((p) => p.resourceType === "CarePlan" && (p.instantiatesCanonical || []).length)
    .sort((a, b) => (b.meta?.lastUpdated || "").localeCompare(a.meta?.lastUpdated || ""))[0] || null;
  let pathway = null;
  if (plan) {
    const url = plan.instantiatesCanonical[0].split("|")[0];
    const found = await client.request(`PlanDefinition?url=${encodeURIComponent(url)}`, ALL);
    pathway = found.find((r) => r.resourceType === "PlanDefinition") || null;
  }
  const steps = plan && pathway ? planSteps(plan, pathway) : [];
  const surgery = steps.find((s) => s.action.id === "surgery");
  return {
    patient, plan, pathway, steps,
    tasks: tasks.filter((t) => t.resourceType === "Task"),
    surgeryDate: surgery ? surgery.start : null,
    parameters: plan && pathway ? parameters(pathway, plan) : {},
  };
}

/**
 * The plan's activities with the pathway phase and action each was made from. The planner writes
 * one activity per leaf action, in the pathway's order, described "title: description".
 */
function planSteps(plan, pathway) {
  const leaves = [];
  for (const phase of pathway.action || []) {
    for (const action of phase.action || []) leaves.push({ phase, action });
  }
  const activities = plan.activity || [];
  return activities.map((activity, i) => {
    const detail = activity.detail || {};
    const description = detail.description || "";
    let leaf = leaves[i];
    if (!leaf || !description.startsWith(`${leaf.action.title}:`)) {
      leaf = leaves.find((l) => description.startsWith(`${l.action.title}:`)) || { phase: {}, action: {} };
    }
    const scheduled = detail.scheduledPeriod || detail.scheduledTiming?.repeat?.boundsPeriod || {};
    return {
      activity, detail, phase: leaf.phase, action: leaf.action,
      kind: codeIn(detail.code, PATHWAY),
      title: leaf.action.title || description.split(":")[0],
      description: leaf.action.description || description,
      start: parse(scheduled.start),
      end: scheduled.end ? periodEnd(scheduled.end) : null,
      startText: scheduled.start,
      endText: scheduled.end,
      recurring: Boolean(detail.scheduledTiming),
      status: detail.status,
      taskRefs: (activity.outcomeReference || []).map((r) => r.reference),
    };
  });
}

/** The pathway's parameters, with the values this patient's plan records instead of the defaults. */
function parameters(pathway, plan) {
  const values = {};
  for (const ext of [...(pathway.extension || []), ...(plan.extension || [])]) {
    if (ext.url !== PARAMETER) continue;
    const nameExt = ext.extension?.find((e) => e.url === "name");
    const name = nameExt && (nameExt.valueCode || nameExt.valueString);
    const value = ext.extension?.find((e) => e.url === "value");
    if (name && value) values[name] = value.valueQuantity ? value.valueQuantity.value : value.valueDecimal;
  }
  return values;
}

export function codeIn(concept, system) {
  return (concept?.coding || []).find((c) => c.system === system)?.code;
}

/** A Task's instruction in plain words, and its questionnaire when it asks the patient to answer one. */
export function describeTask(task) {
  const questionnaire = (task.input || []).find((i) => i.type?.text === "questionnaire")?.valueCanonical;
  return {
    title: task.focus?.display || task.code?.text || "Task",
    instruction: task.description || "",
    questionnaire,
    start: parse(task.executionPeriod?.start),
    end: task.executionPeriod?.end ? periodEnd(task.executionPeriod.end) : null,
    startText: task.executionPeriod?.start,
    kind: codeIn(task.code, PATHWAY),
  };
}

/**
 * Marks a Task completed with an update the server checks against the version the app read
 * (If-Match): if someone changed the Task meanwhile, the server answers 412 and nothing is lost.
 */
export async function completeTask(client, task, output) {
  const changed = structuredClone(task);
  changed.status = "completed";
  changed.lastModified = nowDateTime();
  if (output) changed.output = [...(changed.output || []), output];
  return client.request({
    url: `Task/${encodeURIComponent(task.id)}`,
    method: "PUT",
    body: JSON.stringify(changed),
    headers: { "Content-Type": "application/fhir+json", "If-Match": `W/"${task.meta.versionId}"` },
  });
}

export async function questionnaire(client, canonical) {
  const [url, version] = canonical.split("|");
  const found = await client.request(`Questionnaire?url=${encodeURIComponent(url)}${version ? `&version=${encodeURIComponent(version)}` : ""}`, ALL);
  const q = found.find((r) => r.resourceType === "Questionnaire");
  if (!q) throw new Error(`The questionnaire ${canonical} is not on the server`);
  return q;
}

export async function submitResponse(client, response) {
  return client.create(response, { headers: { "Content-Type": "application/fhir+json" } });
}

/**
 * The patient's open alerts, as the server's monitoring raised them: each active Flag with its
 * urgency (whose display is the instruction, e.g. "Report to the surgeon at once") and any
 * Communication telling the patient what to do (emergencies: "Call emergency services now").
 */
export async function openAlerts(client, patientId) {
  const id = encodeURIComponent(patientId);
  const [flags, messages] = await Promise.all([
    client.request(`Flag?patient=${id}&status=active&_count=50`, ALL),
    client.request(`Communication?recipient=Patient/${id}&category=alert&_count=50`, ALL),
  ]);
  return flags.filter((f) => f.resourceType === "Flag").map((flag) => {
    const urgency = (flag.extension || []).find((e) => e.url === URGENCY)?.valueCoding || {};
    const told = messages.filter((m) => m.resourceType === "Communication"
      && (m.about || []).some((a) => a.reference === `Flag/${flag.id}`));
    return {
      flag,
      urgency: urgency.code,
      instruction: urgency.display || urgency.code,
      what: flag.code?.text || "",
      since: flag.period?.start,
      messages: told.flatMap((m) => (m.payload || []).map((p) => p.contentString).filter(Boolean)),
    };
  }).sort((a, b) => rank(a.urgency) - rank(b.urgency));
}

function rank(urgency) {
  return { emergency: 0, urgent: 1, review: 2 }[urgency] ?? 3;
}

/** The patient's Observations with this LOINC code, oldest first. */
export async function observations(client, patientId, loinc) {
  const found = await client.request(
    `Observation?patient=${encodeURIComponent(patientId)}&code=${encodeURIComponent(`http://loinc.org|${loinc}`)}&_sort=date&_count=200`, ALL);
  return found.filter((o) => o.resourceType === "Observation" && o.status !== "entered-in-error")
    .map((o) => ({
      at: parse(o.effectiveDateTime || o.effectivePeriod?.start || o.issued),
      value: o.valueQuantity ? o.valueQuantity.value : o.valueInteger,
    }))
    .filter((p) => p.at && typeof p.value === "number");
}

/** The message of a failed request: the OperationOutcome's issues when the server sent one. */
export function problem(error) {
  const text = String(error?.message || error);
  const json = text.indexOf("{");
  if (json >= 0) {
    try {
      const body = JSON.parse(text.slice(json));
      if (body.resourceType === "OperationOutcome") {
        return (body.issue || []).map((i) => i.diagnostics || i.details?.text).filter(Boolean).join(" ");
      }
    } catch { /* not JSON */ }
  }
  return text.split("\n")[0];
}
