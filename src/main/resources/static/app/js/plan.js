// My plan: the pathway's phases as a timeline with their dates, the limits in force today, and how
// long until the next milestone. Everything shown comes from the CarePlan and its PlanDefinition.
import { h, show } from "./ui.js";
import { formatDay, format, relative, daysBetween } from "./dates.js";

const MILESTONE_KINDS = new Set(["milestone", "follow-up-visit", "procedure"]);

/** Restrictions whose period covers now (from the plan's activities; never made up here). */
export function limitsToday(steps, now) {
  return steps.filter((s) => s.kind === "restriction" && live(s) && s.start && s.start <= now && s.end && s.end > now);
}

function live(step) {
  return !["cancelled", "completed", "stopped", "entered-in-error"].includes(step.status);
}

export function nextMilestone(steps, now) {
  return steps.filter((s) => MILESTONE_KINDS.has(s.kind) && live(s) && s.start && s.start > now)
    .sort((a, b) => a.start - b.start)[0] || null;
}

export async function planScreen(app) {
  const { plan, steps, pathway, surgeryDate } = app.record;
  if (!plan) {
    show(h("h1", {}, "My plan"), h("p", { class: "card" }, "You have no active care plan yet. It appears when your surgery is scheduled."));
    return;
  }
  const now = new Date();
  const limits = limitsToday(steps, now);
  const next = nextMilestone(steps, now);
  const phases = [];
  for (const step of steps) {
    let phase = phases.find((p) => p.phase === step.phase);
    if (!phase) phases.push(phase = { phase: step.phase, steps: [] });
    phase.steps.push(step);
  }
  show(
    h("h1", {}, "My plan"),
    h("p", {}, plan.title || pathway.title),
    surgeryDate ? h("p", { class: "card" }, h("strong", {}, "Surgery: "), `${formatDay(surgeryDate)} (${relative(surgeryDate, now)})`) : null,
    next ? h("p", { class: "card next", id: "next-milestone" }, h("strong", {}, "Next: "),
      `${next.title}, ${relative(next.start, now)} (${formatDay(next.start)}).`) : null,
    h("h2", {}, "Limits today"),
    limits.length
      ? h("ul", { class: "plain limits", id: "limits" }, limits.map((l) => h("li", {},
        h("strong", {}, l.title), `: ${l.description} `,
        h("span", { class: "muted" }, `Until ${formatDay(new Date(l.end - 1))} (${plural(daysBetween(now, l.end), "day")}).`))))
      : h("p", { class: "card", id: "limits" }, "No limits from your plan today."),
    h("h2", {}, "Timeline"),
    h("ol", { class: "timeline" }, phases.map((p) => phaseItem(p, now))),
  );
}

function phaseItem({ phase, steps }, now) {
  const dated = steps.filter((s) => s.start);
  const from = dated.length ? new Date(Math.min(...dated.map((s) => s.start))) : null;
  const to = dated.length ? new Date(Math.max(...dated.map((s) => (s.recurring || s.kind === "restriction") && s.end ? s.start : (s.end || s.start)))) : null;
  const current = from && to && from <= now && now <= new Date(to.getTime() + 24 * 3600 * 1000);
  const headline = steps.filter((s) => MILESTONE_KINDS.has(s.kind) || s.kind === "restriction");
  const rest = steps.filter((s) => !headline.includes(s));
  return h("li", { class: `phase${current ? " current" : ""}`, "aria-current": current ? "step" : null },
    h("h3", {}, phase.title || "Other", current ? [" ", h("span", { class: "here" }, "now")] : null),
    from ? h("p", { class: "dates" }, sameDay(from, to) ? formatDay(from) : `${formatDay(from)} to ${formatDay(to)}`) : null,
    h("p", {}, phase.description ? firstSentence(phase.description) : null),
    headline.length ? h("ul", {}, headline.map(stepItem)) : null,
    rest.length ? h("details", {}, h("summary", {}, `${rest.length} more steps`), h("ul", {}, rest.map(stepItem))) : null);
}

function stepItem(step) {
  const when = step.kind === "restriction" && step.end
    ? `${formatDay(step.start)} to ${formatDay(new Date(step.end - 1))}`
    : format(step.startText);
  return h("li", { class: step.status === "cancelled" ? "muted" : null },
    h("strong", {}, step.title), ` (${when})`, step.status === "cancelled" ? " – not part of your plan (its time had passed)" : null);
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function sameDay(a, b) {
  return a.toDateString() === b.toDateString();
}

function firstSentence(text) {
  const end = text.indexOf(". ");
  return end > 0 ? text.slice(0, end + 1) : text;
}
