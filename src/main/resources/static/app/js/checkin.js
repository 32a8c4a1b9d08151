// Check-in: the Questionnaire rendered from its definition (no question is written here), sent as
// a QuestionnaireResponse; the alerts the server's monitoring raised from it are shown at once.
import { h, show, announce } from "./ui.js";
import { questionnaire, submitResponse, openAlerts, completeTask, describeTask, problem } from "./record.js";
import { nowDateTime, formatDay } from "./dates.js";
import { alertBox } from "./today.js";

const UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit";

export async function checkInScreen(app, params) {
  const { record } = app;
  const task = params.get("task") ? record.tasks.find((t) => t.id === params.get("task")) : null;
  const canonical = task ? describeTask(task).questionnaire : checkInCanonical(record);
  if (!canonical) {
    show(h("h1", {}, "Check-in"), h("p", { class: "card" }, "Your plan has no check-in."));
    return;
  }
  const step = record.steps.find((s) => s.recurring && (s.detail.instantiatesCanonical || []).includes(canonical));
  const q = await questionnaire(app.client, canonical);
  const form = h("form", { id: "questionnaire", novalidate: true });
  const fields = renderItems(q.item || [], "q");
  const submit = h("button", { type: "submit" }, "Send my answers");
  form.append(...fields.map((f) => f.element), h("p", {}, submit));
  const result = h("div", { id: "check-in-result" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const items = collect(fields);
    if (!items) {
      announce("Some answers are missing");
      form.querySelector("[aria-invalid='true']")?.focus();
      return;
    }
    submit.disabled = true;
    result.replaceChildren(h("p", { class: "muted" }, "Sending…"));
    try {
      const response = {
        resourceType: "QuestionnaireResponse",
        questionnaire: q.url,
        status: "completed",
        subject: { reference: `Patient/${app.patientId}` },
        authored: nowDateTime(),
        source: { reference: `Patient/${app.patientId}` },
        item: items,
      };
      if (record.plan) response.basedOn = [{ reference: `CarePlan/${record.plan.id}` }];
      const saved = await submitResponse(app.client, response);
      // A one-off questionnaire Task is done once answered; the recurring check-in stays open.
      if (task && !isRecurring(record, task)) {
        await completeTask(app.client, task, { type: { text: "answers" }, valueReference: { reference: `QuestionnaireResponse/${saved.id}` } });
      }
      await app.reload();
      const alerts = await openAlerts(app.client, app.patientId);
      form.replaceWith(h("p", { class: "card done-note", id: "sent" }, "Thank you: your answers were sent to your care team."));
      // The alerts first: they are what the patient must act on.
      result.replaceChildren(alerts.length ? alertBox(alerts, "Act on this now") : h("p", { class: "card" }, "Nothing in your answers needs action now."));
      result.after(document.getElementById("sent"));
      result.querySelector("[role=alert]")?.focus?.();
      announce(alerts.length ? `Alert: ${alerts[0].instruction}` : "Answers sent");
    } catch (error) {
      submit.disabled = false;
      result.replaceChildren(h("p", { class: "alert", role: "alert" }, `Your answers were not accepted: ${problem(error)}`));
    }
  });
  show(
    h("h1", {}, q.title || "Check-in"),
    step && step.start > new Date() ? h("p", { class: "card" }, `Your daily check-in starts on ${formatDay(step.start)}.`) : null,
    form, result);
}

/** The plan's recurring questionnaire: the check-in the pathway asks for regularly. */
function checkInCanonical(record) {
  const step = record.steps.find((s) => s.recurring && s.kind === "questionnaire");
  return step ? (step.detail.instantiatesCanonical || [])[0] : null;
}

function isRecurring(record, task) {
  return record.steps.some((s) => s.recurring && s.taskRefs.includes(`Task/${task.id}`));
}

/** One field per item, for the item types the pathway's Questionnaires use. */
function renderItems(items, prefix) {
  // Hidden and read-only items are not asked; nor are calculated ones (a cqf-expression: the server
  // computes the answer, as it does the ODI score).
  return items.filter((item) => !item.readOnly && !item.extension?.some((e) =>
    (e.url.endsWith("questionnaire-hidden") && e.valueBoolean) || e.url === "http://hl7.org/fhir/StructureDefinition/cqf-expression"))
    .map((item, i) => renderItem(item, `${prefix}-${i}`));
}

function renderItem(item, id) {
  const label = item.text || item.linkId;
  const required = Boolean(item.required);
  const error = h("p", { class: "error", id: `${id}-error`, hidden: true });
  switch (item.type) {
    case "display":
      return { item, element: h("p", { class: "display-item", id }, label), value: () => null };
    case "group": {
      const children = renderItems(item.item || [], id);
      return {
        item, children,
        element: h("fieldset", { id }, h("legend", {}, label), children.map((c) => c.element)),
        value: () => null,
      };
    }
    case "boolean":
      return choiceField(item, id, label, required, error, [
        { label: "Yes", value: { valueBoolean: true }, key: "true" },
        { label: "No", value: { valueBoolean: false }, key: "false" }]);
    case "choice":
    case "open-choice":
    case "integer":
    case "decimal":
    case "string":
    case "text":
      if ((item.answerOption || []).length) {
        return choiceField(item, id, label, required, error, item.answerOption.map(optionChoice));
      }
      if (item.type === "integer" || item.type === "decimal" || item.type === "string" || item.type === "text") {
        return inputField(item, id, label, required, error);
      }
      break;
    default:
      break;
  }
  return { item, element: h("p", { class: "muted", id }, `${label} (this app cannot show ${item.type} questions)`), value: () => null };
}

function optionChoice(option) {
  for (const [key, value] of Object.entries(option)) {
    if (!key.startsWith("value")) continue;
    const text = key === "valueCoding" ? (value.display || value.code) : String(value);
    return { label: text, value: { [key]: value }, key: key === "valueCoding" ? `${value.system}|${value.code}` : String(value) };
  }
  return null;
}

function choiceField(item, id, label, required, error, options) {
  const name = id;
  const scale = options.length > 4 && options.every((o) => o.label.length <= 3);
  const inputs = options.filter(Boolean).map((o, i) => ({
    option: o,
    input: h("input", { type: "radio", name, id: `${id}-${i}`, value: o.key, required, "aria-describedby": `${id}-error` }),
  }));
  const element = h("fieldset", { id, "data-link-id": item.linkId },
    h("legend", { class: required ? "required" : null }, label),
    h("div", { class: `choices${scale ? " scale" : ""}` },
      inputs.map(({ option, input }) => h("label", { for: input.id }, input, option.label))),
    error);
  element.addEventListener("change", () => mark(inputs.map((i) => i.input), error, false));
  return {
    item, element,
    value: () => {
      const picked = inputs.find(({ input }) => input.checked);
      return picked ? picked.option.value : null;
    },
    invalid: (bad, text) => mark(inputs.map((i) => i.input), error, bad, text),
  };
}

function inputField(item, id, label, required, error) {
  const unit = (item.extension || []).find((e) => e.url === UNIT)?.valueCoding;
  const numeric = item.type === "integer" || item.type === "decimal";
  const input = item.type === "text"
    ? h("textarea", { id, name: id, rows: 3, required, "aria-describedby": `${id}-error` })
    : h("input", { id, name: id, type: numeric ? "number" : "text", step: item.type === "decimal" ? "any" : numeric ? "1" : null,
      inputmode: item.type === "decimal" ? "decimal" : numeric ? "numeric" : null, required, "aria-describedby": `${id}-error` });
  const element = h("div", { class: "field", "data-link-id": item.linkId },
    h("label", { for: id, class: `question${required ? " required" : ""}` }, label),
    h("div", {}, input, unit ? h("span", { class: "unit" }, unit.display || unit.code) : null),
    error);
  input.addEventListener("input", () => mark([input], error, false));
  return {
    item, element,
    value: () => {
      const text = input.value.trim();
      if (!text) return null;
      if (item.type === "integer") return Number.isInteger(Number(text)) ? { valueInteger: Number(text) } : { invalid: "Enter a whole number." };
      if (item.type === "decimal") return Number.isFinite(Number(text)) ? { valueDecimal: Number(text) } : { invalid: "Enter a number." };
      return { valueString: text };
    },
    invalid: (bad, text) => mark([input], error, bad, text),
  };
}

function mark(inputs, error, bad, text) {
  for (const input of inputs) input.setAttribute("aria-invalid", bad ? "true" : "false");
  error.hidden = !bad;
  error.textContent = bad ? text : "";
}

/** The response items, nested as the Questionnaire's groups; null when a required answer is missing. */
function collect(fields) {
  let ok = true;
  const walk = (list) => {
    const out = [];
    for (const field of list) {
      if (field.children) {
        const items = walk(field.children);
        if (items.length) out.push({ linkId: field.item.linkId, item: items });
        continue;
      }
      if (!field.invalid) continue;
      const value = field.value();
      if (value && value.invalid) {
        field.invalid(true, value.invalid);
        ok = false;
      } else if (!value && field.item.required) {
        field.invalid(true, "Please answer this question.");
        ok = false;
      } else {
        field.invalid(false);
        if (value) out.push({ linkId: field.item.linkId, answer: [value] });
      }
    }
    return out;
  };
  const items = walk(fields);
  return ok ? items : null;
}
