// Drives the patient app in headless Chromium, as a patient would, and takes a screenshot of each
// screen. Run by org.carepath.app.PatientAppIT and org.carepath.demo.DemoDataIT, which start the
// server and prepare the data; the checks that need the server's side are made there too.
//
//   node patient-app.mjs '{"baseUrl":"http://localhost:8080","mode":"smart"|"picker", ...}'
//
// Options: patientName (picker: whose record to open), completeTask (title of a Task to mark
// done), feverishCheckIn (true: answer the check-in with a fever), expectPoints (least number of
// pain scores on the chart), screenshots (folder), prefix (screenshot file names).
// Prints one line per finding ("OK ...", "TASK_DONE <id>", "ALERT <text>", ...), and "FAIL ..."
// with a non-zero exit status when something a patient needs is not there.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const options = JSON.parse(process.argv[2] || "{}");
const base = options.baseUrl.replace(/\/$/, "");
const shots = options.screenshots || "target/app-screenshots";
const prefix = options.prefix || options.mode;
mkdirSync(shots, { recursive: true });

const profile = mkdtempSync(join(tmpdir(), "carepath-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 390, height: 844 }, // a phone
  deviceScaleFactor: 1,
  locale: "en-GB",
  timezoneId: "UTC",
});
context.setDefaultTimeout(30000);
const page = context.pages()[0] || await context.newPage();
const problems = [];
const foreign = [];
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`); });
page.on("request", (r) => {
  const url = new URL(r.url());
  if (!["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) && url.protocol !== "data:") foreign.push(r.url());
});

let step = "start";
function ok(text) { console.log(`OK ${text}`); }
function fail(text) { throw new Error(text); }
async function shot(name) {
  await page.screenshot({ path: join(shots, `${prefix}-${name}.png`), fullPage: true });
  ok(`screenshot ${prefix}-${name}.png`);
}
async function heading(text) {
  await page.getByRole("heading", { level: 1, name: text }).waitFor();
}
async function go(tab, title) {
  step = tab;
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: tab }).click();
  await heading(title);
  if (!(await page.evaluate(() => document.activeElement?.matches("main h1")))) fail(`focus did not move to the ${title} heading`);
  const current = await page.locator("#tabs a[aria-current=page]").textContent();
  if (current !== tab) fail(`the ${tab} tab is not marked current (${current})`);
}

try {
  step = "open";
  await page.goto(`${base}/app`);
  if (!page.url().endsWith("/app/")) fail(`/app did not lead to /app/ but to ${page.url()}`);

  // Keyboard: once the first screen is there, the first Tab reaches the skip link.
  await page.locator("main h1").first().waitFor();
  await page.keyboard.press("Tab");
  if (!(await page.evaluate(() => document.activeElement?.classList.contains("skip")))) fail("the first Tab does not reach 'Skip to content'");
  ok("keyboard: skip link first");

  if (options.mode === "smart") {
    step = "sign in";
    await heading("Your SI joint fusion plan");
    await shot("1-sign-in");
    await page.getByRole("button", { name: "Sign in" }).click();
    // To the authorization server and back (authorization code with PKCE), then Today.
    await heading("Today");
    const url = new URL(page.url());
    if (url.searchParams.has("code")) fail("the authorization code stayed in the address bar");
    ok(`signed in as ${await page.locator("#who").textContent()}`);
  } else {
    step = "pick patient";
    await heading("Choose a patient");
    await page.locator("#patients button").first().waitFor();
    await page.getByLabel("Name").fill(options.patientName);
    await page.getByRole("button", { name: "Search" }).click();
    const pick = page.locator("#patients button", { hasText: options.patientName });
    await pick.first().waitFor();
    await shot("1-choose-patient");
    await pick.first().click();
    await heading("Today");
    ok(`opened ${await page.locator("#who").textContent()}`);
  }

  step = "today";
  await page.locator("#today-tasks, #todo + p").first().waitFor();
  const titles = await page.locator("#today-tasks li h3").allTextContents();
  ok(`today: ${titles.length} tasks: ${titles.join("; ")}`);
  await shot("2-today");
  if (options.completeTask) {
    const card = page.locator("#today-tasks li", { has: page.getByRole("heading", { name: options.completeTask, exact: true }) }).first();
    if (!(await card.count())) fail(`no task "${options.completeTask}" today`);
    const instruction = await card.locator("p").nth(1).textContent();
    if (!instruction || instruction.length < 10) fail(`the task "${options.completeTask}" has no instruction`);
    ok(`instruction: ${instruction}`);
    await card.getByRole("button", { name: "Done" }).click();
    await card.getByText("Done ✓").waitFor();
    console.log(`TASK_DONE ${await card.getAttribute("data-task")}`);
    await shot("3-task-done");
  }

  await go("My plan", "My plan");
  const phases = await page.locator(".timeline > li h3").allTextContents();
  ok(`plan phases: ${phases.join("; ")}`);
  if (phases.length < 4) fail("the timeline shows fewer than four phases");
  const limits = await page.locator("#limits li").allTextContents();
  for (const limit of limits) console.log(`LIMIT ${limit}`);
  const next = await page.locator("#next-milestone").textContent().catch(() => null);
  if (next) console.log(`NEXT ${next}`);
  await shot("4-plan");

  await go("Check-in", "Recovery check-in");
  const form = page.locator("form#questionnaire");
  await form.waitFor();
  // Every field has a label a screen reader reads out.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, textarea, select")]
    .filter((i) => !(i.labels && i.labels.length) && !i.getAttribute("aria-label")).length);
  if (unlabelled) fail(`${unlabelled} form fields have no label`);
  const questions = await form.locator("fieldset legend, .field label.question").allTextContents();
  ok(`check-in: ${questions.length} questions`);
  // Sending it empty names the missing answers instead of sending.
  await form.getByRole("button", { name: "Send my answers" }).click();
  if (!(await form.locator(".error:not([hidden])").count())) fail("an empty check-in was not stopped");
  ok("empty check-in: missing answers shown");
  if (options.feverishCheckIn) {
    step = "check-in";
    for (const group of await form.locator("fieldset").all()) {
      const legend = await group.locator("legend").textContent();
      const yes = /fever/i.test(legend);
      const answer = group.getByLabel(yes ? "Yes" : "No", { exact: true });
      if (await answer.count()) await answer.check();
    }
    const temperature = form.locator(".field", { hasText: "temperature" }).locator("input");
    if (await temperature.count()) await temperature.fill("38.9");
    const pain = form.locator("fieldset", { hasText: "how bad is your pain" });
    await pain.getByLabel("4", { exact: true }).check();
    await shot("5-check-in");
    await form.getByRole("button", { name: "Send my answers" }).click();
    await page.locator("#check-in-result #alerts, #check-in-result .card").first().waitFor();
    const alerts = await page.locator("#alerts .instruction").allTextContents();
    if (!alerts.length) fail("no instruction after a feverish check-in");
    for (const alert of alerts) console.log(`ALERT ${alert}`);
    await shot("6-alert");
  }

  await go("Progress", "Progress");
  const points = await page.locator("#chart-72514-3 circle.point").count();
  const odi = await page.locator("#chart-97909-6 circle.point").count();
  console.log(`POINTS pain=${points} odi=${odi}`);
  if (options.expectPoints && points < options.expectPoints) fail(`the pain chart has ${points} points, expected ${options.expectPoints}`);
  if (options.expectPoints && !(await page.locator("#chart-72514-3 path.expected").count())) fail("the pain chart has no expected-recovery line");
  await shot("7-progress");

  if (foreign.length) fail(`requests left this machine: ${foreign.join(", ")}`);
  ok("no request to another host");
  if (problems.length) fail(problems.join(" | "));
  console.log("PASSED");
  await context.close();
  rmSync(profile, { recursive: true, force: true });
} catch (error) {
  console.log(`FAIL at ${step}: ${error.message.split("\n")[0]}`);
  for (const p of problems) console.log(`  ${p}`);
  await page.screenshot({ path: join(shots, `${prefix}-failure.png`), fullPage: true }).catch(() => {});
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  process.exit(1);
}
