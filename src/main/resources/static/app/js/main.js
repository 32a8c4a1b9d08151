// Boot: sign in (SMART standalone launch) or, on a server with security off, pick a patient; then
// show one of the four screens, chosen by the address's #fragment.
import { h, show, announce } from "./ui.js";
import { loadRecord, problem } from "./record.js";
import { todayScreen } from "./today.js";
import { planScreen } from "./plan.js";
import { checkInScreen } from "./checkin.js";
import { progressScreen } from "./progress.js";

const FHIR_BASE = new URL("../fhir", location.href).href;
const PICKED = "carepath-app-patient"; // sessionStorage: the patient picked with security off
const SCREENS = { today: todayScreen, plan: planScreen, "check-in": checkInScreen, progress: progressScreen };

const app = { client: null, patientId: null, record: null, mode: null };

async function start() {
  try {
    const params = new URLSearchParams(location.search);
    if (params.has("code") || params.has("error") || sessionStorage.getItem("SMART_KEY")) {
      await signedIn(await FHIR.oauth2.ready());
      return;
    }
    if (await securityOn()) {
      signInScreen();
    } else if (sessionStorage.getItem(PICKED)) {
      await openAs(sessionStorage.getItem(PICKED));
    } else {
      await pickerScreen();
    }
  } catch (error) {
    show(h("h1", {}, "Something went wrong"), h("p", { class: "alert" }, problem(error)),
      h("p", {}, h("button", { type: "button", onclick: signOut }, "Start again")));
  }
}

/**
 * Whether the server asks for tokens: its CapabilityStatement names SMART-on-FHIR in
 * rest.security (CarePath with security on); without it (scripts/run's local trial) it does not.
 */
async function securityOn() {
  const response = await fetch(`${FHIR_BASE}/metadata`, { headers: { Accept: "application/fhir+json" } });
  const statement = await response.json();
  return (statement.rest || []).some((rest) => (rest.security?.service || [])
    .some((s) => (s.coding || []).some((c) => c.code === "SMART-on-FHIR")));
}

function signInScreen() {
  app.mode = "smart";
  show(
    h("h1", {}, "Your SI joint fusion plan"),
    h("p", {}, "See what to do today, your plan, your check-in and your progress."),
    h("p", {}, h("button", { type: "button", id: "sign-in", onclick: signIn }, "Sign in")),
    h("p", { class: "muted" }, "You sign in with your care organization's account; this app then reads your record from CarePath."),
  );
}

async function signIn(event) {
  event.target.disabled = true;
  const settings = await (await fetch("config.json")).json();
  // Discovers the authorization server from /fhir/.well-known/smart-configuration; PKCE (S256) always.
  await FHIR.oauth2.authorize({
    iss: FHIR_BASE,
    clientId: settings.clientId,
    scope: settings.scope,
    redirectUri: new URL("index.html", location.href).href,
    pkceMode: "required",
  });
}

/**
 * After the authorization server sent the browser back. The patient comes from the token
 * response's launch context; authorization servers that cannot add it (Keycloak, for one) name
 * the patient in the ID token's fhirUser (Patient/123) or the access token's patient claim.
 */
async function signedIn(client) {
  app.mode = "smart";
  history.replaceState(null, "", location.pathname + (location.hash || "#today"));
  let patientId = client.getPatientId();
  if (!patientId) {
    const user = client.getFhirUser();
    if (user && user.startsWith("Patient/")) patientId = user.slice("Patient/".length);
  }
  if (!patientId) patientId = claim(client.state.tokenResponse?.access_token, "patient");
  if (!patientId) throw new Error("The sign-in did not say which patient's record to open.");
  app.client = client;
  await open(patientId);
}

function claim(jwt, name) {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload))[name] || null;
  } catch {
    return null;
  }
}

/** Security off: anyone may read every record, so the app lets you choose whose. */
async function pickerScreen() {
  app.mode = "open";
  const client = FHIR.client({ serverUrl: FHIR_BASE });
  const list = h("ul", { class: "plain", id: "patients" });
  const input = h("input", { type: "text", id: "patient-name", name: "name", autocomplete: "off" });
  async function search(event) {
    if (event) event.preventDefault();
    list.replaceChildren(h("li", { class: "muted" }, "Searching…"));
    const name = input.value.trim();
    const patients = (await client.request(`Patient?_count=20&_sort=family${name ? `&name=${encodeURIComponent(name)}` : ""}`,
      { flat: true })).filter((r) => r.resourceType === "Patient");
    list.replaceChildren(...(patients.length ? patients.map((p) => h("li", { class: "card" },
      h("button", { type: "button", class: "secondary", "data-patient": p.id, onclick: () => openAs(p.id) }, patientName(p)),
      p.birthDate ? h("span", { class: "muted" }, ` born ${p.birthDate}`) : null))
      : [h("li", { class: "muted" }, "No patient found.")]));
    announce(`${patients.length} patients found`);
  }
  show(
    h("h1", {}, "Choose a patient"),
    h("div", { class: "alert warn", role: "note" },
      h("p", {}, "This server runs with security off (a local trial): there is no sign-in, and anyone who reaches it can see every record.")),
    h("form", { role: "search", onsubmit: search },
      h("label", { for: "patient-name", class: "question" }, "Name"), " ", input, " ",
      h("button", { type: "submit" }, "Search")),
    h("h2", {}, "Patients"),
    list,
  );
  await search();
}

async function openAs(patientId) {
  sessionStorage.setItem(PICKED, patientId);
  app.client = FHIR.client({ serverUrl: FHIR_BASE, tokenResponse: { patient: patientId } });
  if (!location.hash) history.replaceState(null, "", "#today");
  await open(patientId);
}

async function open(patientId) {
  app.patientId = patientId;
  await reload();
  const who = document.getElementById("who");
  who.textContent = patientName(app.record.patient);
  who.hidden = false;
  const out = document.getElementById("sign-out");
  out.textContent = app.mode === "smart" ? "Sign out" : "Choose another patient";
  out.hidden = false;
  out.onclick = signOut;
  document.getElementById("tabs").hidden = false;
  window.addEventListener("hashchange", route);
  await route();
}

/** Reads the record again (after a change), so every screen shows what the server holds. */
app.reload = reload;
async function reload() {
  app.record = await loadRecord(app.client, app.patientId);
}

async function route() {
  const name = location.hash.slice(1).split("?")[0] || "today";
  const screen = SCREENS[name] || todayScreen;
  for (const link of document.querySelectorAll("#tabs a")) {
    if (link.getAttribute("href") === `#${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    await screen(app, new URLSearchParams(location.hash.split("?")[1] || ""));
  } catch (error) {
    show(h("h1", {}, "Could not load this page"), h("p", { class: "alert" }, problem(error)));
  }
}

function signOut() {
  sessionStorage.clear();
  location.href = location.pathname;
}

export function patientName(patient) {
  const name = (patient.name || [])[0];
  if (!name) return `Patient ${patient.id}`;
  return name.text || [...(name.given || []), name.family].filter(Boolean).join(" ");
}

start();
