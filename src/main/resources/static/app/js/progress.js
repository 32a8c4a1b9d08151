// Progress: pain score and ODI over time, drawn as inline SVG, against the pathway's goals. The
// goal values come from the PlanDefinition's goals and parameters, never from this app.
import { h, show } from "./ui.js";
import { formatDay, daysBetween } from "./dates.js";
import { observations } from "./record.js";

const SVG = "http://www.w3.org/2000/svg";
const MONTH_DAYS = 30.44;

/**
 * The two measures and how their goal reads the pathway: pain "at least halves"
 * (expectedPainReductionPercent below the pre-surgery score), ODI "improves by at least 15
 * points" (odiClinicallyImportantChange below it), each due when its goal's target says.
 */
const MEASURES = [
  { loinc: "72514-3", title: "Pain score", unit: "0 = no pain, 10 = worst", max: 10,
    expected: (baseline, p) => (p.expectedPainReductionPercent == null ? null : baseline * (1 - p.expectedPainReductionPercent / 100)) },
  { loinc: "97909-6", title: "Oswestry Disability Index (ODI)", unit: "0 = no disability, 100 = bed-bound", max: 100,
    expected: (baseline, p) => (p.odiClinicallyImportantChange == null ? null : Math.max(0, baseline - p.odiClinicallyImportantChange)) },
];

export async function progressScreen(app) {
  const { record } = app;
  const surgery = record.surgeryDate;
  const sections = [];
  for (const measure of MEASURES) {
    const points = await observations(app.client, app.patientId, measure.loinc);
    sections.push(measureSection(measure, points, surgery, record));
  }
  show(h("h1", {}, "Progress"),
    surgery ? null : h("p", { class: "card" }, "Your surgery date is not known yet: the charts count from it."),
    sections);
}

function measureSection(measure, points, surgery, record) {
  const id = `chart-${measure.loinc}`;
  const goal = (record.pathway?.goal || []).find((g) => (g.target || [])
    .some((t) => (t.measure?.coding || []).some((c) => c.system === "http://loinc.org" && c.code === measure.loinc)));
  const before = surgery ? points.filter((p) => p.at < surgery) : [];
  const baseline = before.length ? before[before.length - 1].value : null;
  const due = goal && dueDays(goal, measure.loinc);
  const target = baseline != null && due != null ? measure.expected(baseline, record.parameters) : null;
  const latest = points[points.length - 1];
  return h("section", { class: "measure", "aria-labelledby": `${id}-h` },
    h("h2", { id: `${id}-h` }, measure.title),
    points.length
      ? h("p", {}, `Latest: ${latest.value} on ${formatDay(latest.at)}`,
        baseline != null ? `; before surgery: ${baseline}` : "", target != null ? `; goal by ${dueText(goal, measure.loinc)} after surgery: ${round(target)} or less.` : ".")
      : h("p", { class: "card" }, "No scores yet. They appear as you answer your check-ins and questionnaires."),
    points.length && surgery ? h("div", { class: "chart", id },
      chart(measure, points, surgery, baseline, target, due),
      h("div", { class: "legend", "aria-hidden": "true" },
        h("span", {}, h("span", { class: "swatch" }), "your scores"),
        baseline != null ? h("span", {}, h("span", { class: "swatch baseline" }), "before surgery") : null,
        target != null ? h("span", {}, h("span", { class: "swatch goal" }), "expected recovery (to the pathway's goal)") : null)) : null,
    goal ? h("p", { class: "source" }, "Goal from your care pathway: ", goal.description?.text || "",
      " Source: ", (goal.documentation || []).map((d) => d.display).filter(Boolean).join("; ") || "the pathway",
      target != null ? ". The dashed line runs straight from your score before surgery to that goal; it is a guide, not a prediction." : ".") : null,
    points.length ? h("details", {}, h("summary", {}, `${measure.title}: all values`),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Date"), h("th", { scope: "col" }, "Day after surgery"), h("th", { scope: "col" }, "Score"))),
        h("tbody", {}, points.map((p) => h("tr", {}, h("td", {}, formatDay(p.at)),
          h("td", {}, surgery ? daysBetween(surgery, p.at) : ""), h("td", {}, p.value)))))) : null);
}

function dueDays(goal, loinc) {
  const target = goal.target.find((t) => (t.measure?.coding || []).some((c) => c.code === loinc));
  const due = target?.due;
  if (!due || typeof due.value !== "number") return null;
  const perUnit = { d: 1, wk: 7, mo: MONTH_DAYS, a: 365.25 }[due.code];
  return perUnit ? due.value * perUnit : null;
}

function dueText(goal, loinc) {
  const due = goal.target.find((t) => (t.measure?.coding || []).some((c) => c.code === loinc))?.due;
  return due ? `${due.value} ${due.unit || due.code}` : "";
}

function round(n) {
  return Math.round(n * 10) / 10;
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** Days after surgery across, score up: the scores, the pre-surgery score and the expected line. */
function chart(measure, points, surgery, baseline, target, due) {
  const W = 480, H = 250, L = 40, R = 10, T = 14, B = 44;
  const days = points.map((p) => daysBetween(surgery, p.at));
  const today = daysBetween(surgery, new Date());
  const x0 = Math.min(-7, ...days);
  const x1 = Math.max(today + 3, ...days, target != null ? due : -Infinity);
  const x = (d) => L + ((d - x0) / (x1 - x0)) * (W - L - R);
  const y = (v) => T + (1 - v / measure.max) * (H - T - B);
  const grid = [];
  for (let v = 0; v <= measure.max; v += measure.max / 5) {
    grid.push(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#d5dbe1" }),
      svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 15, fill: "#4a4a4a" }, v));
  }
  const ticks = [];
  const step = x1 - x0 > 120 ? 30 : 7;
  for (let d = Math.ceil(x0 / step) * step; d <= x1; d += step) {
    ticks.push(svg("line", { x1: x(d), x2: x(d), y1: H - B, y2: H - B + 5, stroke: "#4a4a4a" }),
      svg("text", { x: x(d), y: H - B + 18, "text-anchor": "middle", "font-size": 15, fill: "#4a4a4a" },
        step === 30 ? (d === 0 ? "surgery" : `${Math.round(d / MONTH_DAYS)} mo`) : (d === 0 ? "surgery" : `${d / 7} wk`)));
  }
  const line = points.map((p, i) => `${i ? "L" : "M"}${x(days[i]).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  const described = `${measure.title} over time: ${points.length} scores from ${points[0].value} to ${points[points.length - 1].value}`
    + (target != null ? `; the pathway's goal is ${round(target)} or less by day ${Math.round(due)}.` : ".");
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `t-${measure.loinc} d-${measure.loinc}` },
    svg("title", { id: `t-${measure.loinc}` }, `${measure.title} chart`),
    svg("desc", { id: `d-${measure.loinc}` }, described),
    grid, ticks,
    svg("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#4a4a4a" }),
    svg("text", { x: W - R, y: H - 4, "text-anchor": "end", "font-size": 15, fill: "#4a4a4a" }, "time after surgery"),
    svg("line", { x1: x(0), x2: x(0), y1: T, y2: H - B, stroke: "#4a4a4a", "stroke-dasharray": "2 3" }),
    baseline != null ? svg("line", { x1: L, x2: W - R, y1: y(baseline), y2: y(baseline), stroke: "#4a4a4a", "stroke-width": 2, "stroke-dasharray": "1 4", class: "baseline" }) : null,
    target != null ? svg("path", { d: `M${x(0)},${y(baseline)} L${x(due)},${y(target)} L${W - R},${y(target)}`, fill: "none",
      stroke: "#1d6b32", "stroke-width": 3, "stroke-dasharray": "8 5", class: "expected" }) : null,
    svg("path", { d: line, fill: "none", stroke: "#0b4f8a", "stroke-width": 3 }),
    points.map((p, i) => svg("circle", { cx: x(days[i]), cy: y(p.value), r: 4.5, fill: "#0b4f8a", class: "point" },
      svg("title", {}, `${formatDay(p.at)}: ${p.value}`))));
}
