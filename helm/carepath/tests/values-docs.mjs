// Keeps the chart's documentation in step with values.yaml.
//
//   node values-docs.mjs --check   (default) fail if anything is out of step
//   node values-docs.mjs --write   regenerate the values table in README.md
//
// Checks: every value in values.yaml has a "# --" comment (on itself or on an enclosing key);
// every top-level key appears in the README values table; the table equals the one generated
// from values.yaml; every key of values.yaml is declared in values.schema.json and every
// top-level property of the schema exists in values.yaml.
//
// Needs the npm package "yaml", installed by scripts/helm-check under .build/tools/node
// (or the directory named by CAREPATH_NODE_TOOLS).
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const chartDir = resolve(here, "..");
const repoDir = resolve(chartDir, "..", "..");
const toolsDir = resolve(process.env.CAREPATH_NODE_TOOLS || join(repoDir, ".build", "tools", "node"));
const require = createRequire(join(toolsDir, "package.json"));
const YAML = require("yaml");

const START = "<!-- values-table:start -->";
const END = "<!-- values-table:end -->";

const mode = process.argv.includes("--write") ? "write" : "check";
const valuesText = readFileSync(join(chartDir, "values.yaml"), "utf8");
const readmePath = join(chartDir, "README.md");
const readme = readFileSync(readmePath, "utf8");
const schema = JSON.parse(readFileSync(join(chartDir, "values.schema.json"), "utf8"));
const doc = YAML.parseDocument(valuesText);
const values = doc.toJS();

let passed = 0;
let failed = 0;
function check(ok, what, detail) {
  if (ok) {
    passed++;
    console.log(`  ok    ${what}`);
  } else {
    failed++;
    console.log(`  FAIL  ${what}${detail ? `\n        ${detail}` : ""}`);
  }
}

// The "# --" description in a comment block, or null. The block may hold other comment lines
// before it (a file header, for instance); the description runs from "--" to the block's end.
function description(comment) {
  if (!comment) return null;
  const lines = comment.split("\n").map((l) => l.trim());
  const at = lines.findLastIndex((l) => l.startsWith("--"));
  if (at < 0) return null;
  return lines
    .slice(at)
    .join(" ")
    .replace(/^--\s*/, "")
    .trim();
}

// Walks the values map: documented keys become rows; undocumented leaves are errors.
const rows = [];
const undocumented = [];
function walk(map, prefix) {
  map.items.forEach((pair, i) => {
    const key = String(pair.key.value);
    const path = prefix ? `${prefix}.${key}` : key;
    const comment = pair.key.commentBefore ?? (i === 0 ? map.commentBefore : undefined);
    const desc = description(comment);
    if (desc) {
      rows.push({ path, value: pair.value?.toJSON?.() ?? pair.value, desc });
    } else if (YAML.isMap(pair.value) && pair.value.items.length > 0) {
      walk(pair.value, path);
    } else {
      undocumented.push(path);
    }
  });
}
walk(doc.contents, "");

function typeOf(v) {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "list";
  if (typeof v === "object") return "object";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  return typeof v === "boolean" ? "bool" : "string";
}
const cell = (s) => s.replace(/\|/g, "\\|");
const table = [
  "| Key | Type | Default | Description |",
  "|-----|------|---------|-------------|",
  ...rows.map(
    (r) => `| \`${r.path}\` | ${typeOf(r.value)} | \`${cell(JSON.stringify(r.value))}\` | ${cell(r.desc)} |`,
  ),
].join("\n");

const start = readme.indexOf(START);
const end = readme.indexOf(END);
if (start < 0 || end < start) {
  console.error(`README.md needs the markers ${START} and ${END}`);
  process.exit(2);
}
const current = readme.slice(start + START.length, end).trim();

if (mode === "write") {
  writeFileSync(readmePath, `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`);
  console.log(`README.md: values table written (${rows.length} rows)`);
  process.exit(0);
}

console.log("values.yaml and README.md:");
check(undocumented.length === 0, "every value has a '# --' comment", `undocumented: ${undocumented.join(", ")}`);
const tableKeys = new Set([...current.matchAll(/^\|\s*`([^`]+)`/gm)].map((m) => m[1]));
const missingTop = Object.keys(values).filter(
  (k) => ![...tableKeys].some((t) => t === k || t.startsWith(`${k}.`)),
);
check(missingTop.length === 0, "every top-level key of values.yaml is in the README values table", `missing: ${missingTop.join(", ")}`);
check(
  current === table,
  "README values table matches values.yaml",
  "run: node helm/carepath/tests/values-docs.mjs --write (with CAREPATH_NODE_TOOLS or .build/tools/node)",
);

console.log("values.yaml and values.schema.json:");
const notInSchema = [];
function walkSchema(obj, node, prefix) {
  for (const [k, v] of Object.entries(obj ?? {})) {
    const path = prefix ? `${prefix}.${k}` : k;
    const sub = node?.properties?.[k];
    if (!sub) {
      if (node?.additionalProperties === false) notInSchema.push(path);
      continue;
    }
    if (v && typeof v === "object" && !Array.isArray(v)) walkSchema(v, sub, path);
  }
}
walkSchema(values, schema, "");
check(notInSchema.length === 0, "every key of values.yaml is declared in the schema", `not declared: ${notInSchema.join(", ")}`);
const stale = Object.keys(schema.properties).filter((k) => k !== "global" && !(k in values));
check(stale.length === 0, "every top-level schema property exists in values.yaml", `stale: ${stale.join(", ")}`);
check(schema.additionalProperties === false, "schema rejects unknown top-level keys (additionalProperties: false)");

console.log(`RESULT ${passed} ${failed}`);
process.exit(failed ? 1 : 0);
