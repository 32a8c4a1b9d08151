// Dates as the patient reads them, in the browser's time zone. A FHIR date without a time (a plan
// dated in days) is that calendar day, not midnight UTC.

const DAY = 24 * 3600 * 1000;

/** A FHIR date or dateTime as a Date; a bare date is local midnight of that day. */
export function parse(value) {
  if (!value) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split("-").map(Number);
    return new Date(y, m - 1, d);
  }
  if (/^\d{4}-\d{2}$/.test(value)) {
    const [y, m] = value.split("-").map(Number);
    return new Date(y, m - 1, 1);
  }
  return new Date(value);
}

/** Whether the FHIR value carries a time of day. */
export function hasTime(value) {
  return typeof value === "string" && value.includes("T");
}

export function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

export function endOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1);
}

/** The end of a period: a bare end date covers that whole day. */
export function periodEnd(value) {
  const date = parse(value);
  return date && !hasTime(value) ? endOfDay(date) : date;
}

export function daysBetween(from, to) {
  return Math.round((startOfDay(to) - startOfDay(from)) / DAY);
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric" });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export function formatDay(date) {
  return date ? dayFormat.format(date) : "";
}

/** A FHIR date or dateTime for people: the day, and the time when it has one. */
export function format(value) {
  const date = parse(value);
  if (!date) return "";
  return hasTime(value) ? `${dayFormat.format(date)}, ${timeFormat.format(date)}` : dayFormat.format(date);
}

/** "today", "tomorrow", "in 5 days", "in 3 weeks", "2 days ago". */
export function relative(date, now = new Date()) {
  const days = daysBetween(now, date);
  if (days === 0) return "today";
  if (days === 1) return "tomorrow";
  if (days === -1) return "yesterday";
  if (days < 0) return `${-days} days ago`;
  if (days < 14) return `in ${days} days`;
  if (days < 70) return `in ${Math.round(days / 7)} weeks`;
  return `in ${Math.round(days / 30.44)} months`;
}

/** Now as a FHIR dateTime with the local offset (authored, lastModified). */
export function nowDateTime(date = new Date()) {
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:`
    + `${pad(date.getMinutes())}:${pad(date.getSeconds())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}
