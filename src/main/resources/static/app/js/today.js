// Today: open alerts first, then the Tasks due today and the overdue ones, each with its instruction.
import { h, show, announce } from "./ui.js";
import { describeTask, completeTask, openAlerts, problem } from "./record.js";
import { startOfDay, endOfDay, formatDay, format, hasTime } from "./dates.js";
import { limitsToday } from "./plan.js";

export async function todayScreen(app) {
  const now = new Date();
  const alerts = await openAlerts(app.client, app.patientId);
  const due = dueTasks(app.record.tasks, now);
  const list = h("ul", { class: "tasks", id: "today-tasks" },
    due.map((item) => taskCard(app, item)));
  const limits = limitsToday(app.record.steps, now);
  show(
    h("h1", {}, "Today"),
    h("p", { class: "muted" }, formatDay(now)),
    alerts.length ? alertBox(alerts) : null,
    h("h2", { id: "todo" }, due.length ? `To do (${due.length})` : "To do"),
    due.length ? list : h("p", { class: "card" }, "Nothing is due today. Well done."),
    limits.length ? [
      h("h2", {}, "Limits today"),
      h("ul", { class: "plain limits" }, limits.map((l) => h("li", {}, h("strong", {}, l.title), " ", l.description,
        l.end ? h("span", { class: "muted" }, ` Until ${formatDay(new Date(l.end - 1))}.`) : null))),
    ] : null,
  );
}

/**
 * Tasks to do now: started by the end of today and not done. Overdue: its time is over (a
 * one-off Task dated before today, or a Task whose period ended). Limits lasting weeks are
 * restrictions, shown apart: they are kept, not done.
 */
export function dueTasks(tasks, now) {
  const today = startOfDay(now);
  const tomorrow = endOfDay(now);
  return tasks.map((task) => ({ task, ...describeTask(task) }))
    .filter((t) => t.kind !== "restriction" && t.start && t.start < tomorrow)
    .map((t) => {
      const over = t.end ? t.end <= now : t.start < today;
      return { ...t, overdue: over };
    })
    .sort((a, b) => (b.overdue - a.overdue) || (a.start - b.start));
}

function taskCard(app, item) {
  const { task } = item;
  const when = item.overdue
    ? `Overdue: was due ${item.end ? `by ${format(item.task.executionPeriod.end)}` : format(item.startText)}`
    : item.end && item.end > endOfDay(new Date())
      ? `Now, until ${formatDay(new Date(item.end - 1))}`
      : `Due today${hasTime(item.startText) ? `, from ${format(item.startText).split(", ").pop()}` : ""}`;
  const headingId = `task-${task.id}`;
  const actions = h("div", { class: "actions" });
  if (item.questionnaire) {
    actions.append(h("a", { class: "button", href: `#check-in?task=${encodeURIComponent(task.id)}`,
      "aria-describedby": headingId }, "Answer now"));
  } else {
    actions.append(h("button", { type: "button", "aria-describedby": headingId,
      onclick: (event) => markDone(app, task, event.currentTarget) }, "Done"));
  }
  return h("li", { class: "card task", "data-task": task.id },
    h("h3", { id: headingId }, item.title),
    h("p", { class: `when${item.overdue ? " overdue" : ""}` }, when),
    h("p", {}, item.instruction),
    actions);
}

async function markDone(app, task, button) {
  button.disabled = true;
  const card = button.closest("li");
  try {
    await completeTask(app.client, task);
    card.querySelector(".actions").replaceChildren(h("p", { class: "done-note" }, "Done ✓"));
    announce(`${task.focus?.display || "Task"} marked done`);
    await app.reload();
  } catch (error) {
    button.disabled = false;
    const text = error.status === 412
      ? "This task was changed elsewhere in the meantime. The list has been read again: please check it and try again."
      : `Could not mark it done: ${problem(error)}`;
    if (error.status === 412) {
      await app.reload();
      await todayScreen(app);
      announce(text);
      return;
    }
    card.append(h("p", { class: "error", role: "alert" }, text));
  }
}

/** The instruction the server's monitoring gave with each open alert, most urgent first. */
export function alertBox(alerts, heading = "Your answers need attention") {
  return h("section", { class: "alert", role: "alert", "aria-labelledby": "alerts-heading", id: "alerts" },
    h("h2", { id: "alerts-heading" }, heading),
    alerts.map((a) => h("div", { class: "alert-item", "data-urgency": a.urgency },
      a.messages.length
        ? a.messages.map((m) => h("p", { class: "instruction" }, m))
        : h("p", { class: "instruction" }, `${a.instruction}.`),
      h("p", {}, a.what),
      a.since ? h("p", { class: "muted" }, `Raised ${format(a.since)}`) : null)));
}
