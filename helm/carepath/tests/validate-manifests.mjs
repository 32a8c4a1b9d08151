// Type-checks manifests rendered by "helm template" and asserts what the chart promises.
//
//   node validate-manifests.mjs SCENARIO=RENDERED.yaml [SCENARIO=RENDERED.yaml ...]
//
// SCENARIO is the name of the ci/ values file without "-values.yaml" (minimal, production,
// cnpg); known scenarios also assert which optional objects exist. Every object of a kind
// that npm "kubernetes-models" knows is validated against the Kubernetes OpenAPI schema (wrong
// types, missing required fields). ServiceMonitor (monitoring.coreos.com) and the CloudNativePG
// Cluster (postgresql.cnpg.io) have no schema there: they get structural checks instead.
//
// Prints one line per check and ends with "RESULT <passed> <failed>"; exits 1 on any failure.
// Needs "kubernetes-models" and "yaml" under .build/tools/node (or CAREPATH_NODE_TOOLS).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repoDir = resolve(here, "..", "..", "..");
const toolsDir = resolve(process.env.CAREPATH_NODE_TOOLS || join(repoDir, ".build", "tools", "node"));
const require = createRequire(join(toolsDir, "package.json"));
const YAML = require("yaml");

// Optional objects each known scenario must (true) or must not (false) render.
const EXPECTED_KINDS = {
  minimal: {
    Ingress: false,
    HorizontalPodAutoscaler: false,
    PodDisruptionBudget: false,
    NetworkPolicy: false,
    ServiceMonitor: false,
    Cluster: false,
  },
  production: {
    Ingress: true,
    HorizontalPodAutoscaler: true,
    PodDisruptionBudget: true,
    NetworkPolicy: true,
    ServiceMonitor: true,
    Cluster: false,
  },
  cnpg: { Cluster: true },
};

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
  return ok;
}

// The kubernetes-models class for an apiVersion/kind, or null when the package has none.
function modelFor(apiVersion, kind) {
  try {
    const mod = require(`kubernetes-models/${apiVersion}/${kind}`);
    return mod[kind] ?? null;
  } catch (e) {
    if (e.code === "MODULE_NOT_FOUND" || e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED") return null;
    throw e;
  }
}

const env = (container, name) => (container?.env ?? []).find((e) => e.name === name);
const matches = (selector, labels) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const hookOf = (obj) => obj?.metadata?.annotations?.["helm.sh/hook"];
const fmt = (v) => JSON.stringify(v);

// Asserts the hardening every pod of the chart shares (server, migration, test).
function checkHardening(label, podSpec, container) {
  const psc = podSpec.securityContext ?? {};
  const csc = container.securityContext ?? {};
  check((csc.runAsNonRoot ?? psc.runAsNonRoot) === true, `${label}: runAsNonRoot true`);
  check(csc.readOnlyRootFilesystem === true, `${label}: readOnlyRootFilesystem true`);
  check(csc.allowPrivilegeEscalation === false, `${label}: allowPrivilegeEscalation false`);
  check((csc.capabilities?.drop ?? []).includes("ALL"), `${label}: capabilities drop ALL`);
  check(
    (csc.seccompProfile?.type ?? psc.seccompProfile?.type) === "RuntimeDefault",
    `${label}: seccompProfile RuntimeDefault`,
  );
}

function checkNoInlineSecrets(label, container) {
  const inline = (container.env ?? []).filter((e) => /PASSWORD|SECRET|TOKEN/i.test(e.name) && e.value !== undefined);
  check(inline.length === 0, `${label}: no password, secret or token given inline`, `inline: ${inline.map((e) => e.name)}`);
  const pw = env(container, "SPRING_DATASOURCE_PASSWORD");
  check(
    !!pw?.valueFrom?.secretKeyRef?.name && !!pw.valueFrom.secretKeyRef.key,
    `${label}: SPRING_DATASOURCE_PASSWORD from secretKeyRef`,
    `got ${fmt(pw)}`,
  );
  const url = env(container, "SPRING_DATASOURCE_URL")?.value ?? "";
  check(url.startsWith("jdbc:postgresql://"), `${label}: SPRING_DATASOURCE_URL is a PostgreSQL JDBC URL`, `got ${fmt(url)}`);
}

function validateScenario(scenario, file) {
  console.log(`\n[${scenario}] ${file}`);
  const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJS())
    .filter((d) => d && typeof d === "object");
  check(docs.length > 0, `${scenario}: rendered at least one object`);

  // 1. Schema type-check of every object.
  for (const obj of docs) {
    const id = `${obj.kind}/${obj.metadata?.name}`;
    const Model = modelFor(obj.apiVersion, obj.kind);
    if (!Model) {
      console.log(`  skip  ${scenario}: ${id} (${obj.apiVersion}): no schema in kubernetes-models; structural checks below`);
      continue;
    }
    let error = null;
    try {
      new Model(obj).validate();
    } catch (e) {
      error = e.message;
    }
    check(error === null, `${scenario}: ${id} is a valid ${obj.apiVersion} ${obj.kind}`, error);
    const name = obj.metadata?.name ?? "";
    check(name.length > 0 && name.length <= 63, `${scenario}: ${id} name is 1-63 characters`);
    const labels = obj.metadata?.labels ?? {};
    check(
      ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by"].every((l) => labels[l]),
      `${scenario}: ${id} has the app.kubernetes.io labels`,
    );
  }

  const all = (kind) => docs.filter((d) => d.kind === kind);
  const one = (kind) => all(kind)[0];
  check(all("Secret").length === 0, `${scenario}: the chart renders no Secret (passwords come from an existing one)`);

  // 2. Optional objects present or absent as the scenario says.
  for (const [kind, want] of Object.entries(EXPECTED_KINDS[scenario] ?? {})) {
    check(
      (all(kind).length > 0) === want,
      `${scenario}: ${kind} ${want ? "rendered" : "not rendered"}`,
      `found ${all(kind).length}`,
    );
  }

  // 3. The server Deployment.
  const deployments = all("Deployment");
  if (!check(deployments.length === 1, `${scenario}: exactly one Deployment`, `found ${deployments.length}`)) return;
  const dep = deployments[0];
  const podSpec = dep.spec.template.spec;
  const podLabels = dep.spec.template.metadata.labels ?? {};
  const c = podSpec.containers[0];
  const D = `${scenario}: Deployment`;
  checkHardening(D, podSpec, c);
  check((c.securityContext?.runAsUser ?? podSpec.securityContext?.runAsUser) === 10001, `${D}: runs as user 10001`);
  const tmpMount = (c.volumeMounts ?? []).find((m) => m.mountPath === "/tmp");
  const tmpVolume = (podSpec.volumes ?? []).find((v) => v.name === tmpMount?.name);
  check(!!tmpVolume?.emptyDir, `${D}: /tmp is an emptyDir`);
  const http = (c.ports ?? []).find((p) => p.name === "http");
  check(http?.containerPort === 8080, `${D}: container port 8080 named http`);
  const probe = (p, path) => p?.httpGet?.path === path && (p.httpGet.port === "http" || p.httpGet.port === 8080);
  check(probe(c.startupProbe, "/actuator/health/liveness"), `${D}: startupProbe on /actuator/health/liveness`, fmt(c.startupProbe));
  check(probe(c.livenessProbe, "/actuator/health/liveness"), `${D}: livenessProbe on /actuator/health/liveness`, fmt(c.livenessProbe));
  check(probe(c.readinessProbe, "/actuator/health/readiness"), `${D}: readinessProbe on /actuator/health/readiness`, fmt(c.readinessProbe));
  check(env(c, "SPRING_FLYWAY_ENABLED")?.value === "false", `${D}: SPRING_FLYWAY_ENABLED=false`);
  checkNoInlineSecrets(D, c);
  check(!!c.resources?.limits?.memory && !!c.resources?.limits?.cpu, `${D}: resources limits (cpu, memory) set`, fmt(c.resources));
  check(!!c.resources?.requests?.memory && !!c.resources?.requests?.cpu, `${D}: resources requests (cpu, memory) set`);
  check(/ExitOnOutOfMemoryError/.test(env(c, "JAVA_TOOL_OPTIONS")?.value ?? ""), `${D}: JAVA_TOOL_OPTIONS exits on OutOfMemoryError`);
  check(env(c, "JAVA_OPTS") !== undefined, `${D}: JAVA_OPTS passes javaOptions after the image's jvm.options`);
  const preStop = (c.lifecycle?.preStop?.exec?.command ?? []).join(" ");
  const sleep = Number(/sleep (\d+)/.exec(preStop)?.[1] ?? NaN);
  check(sleep > 0, `${D}: preStop sleeps`, preStop);
  check((podSpec.terminationGracePeriodSeconds ?? 30) > sleep, `${D}: terminationGracePeriodSeconds exceeds the preStop sleep`);
  check(dep.spec.strategy?.rollingUpdate?.maxUnavailable === 0, `${D}: rolling update with maxUnavailable 0`);
  const cmName = (c.envFrom ?? []).find((e) => e.configMapRef)?.configMapRef?.name;
  const cm = all("ConfigMap").find((m) => m.metadata.name === cmName);
  check(!!cm, `${D}: envFrom configMapRef names a rendered ConfigMap`, `configMapRef ${cmName}`);
  check(cm?.data?.CAREPATH_SECURITY_ENABLED === "true", `${scenario}: ConfigMap keeps CAREPATH_SECURITY_ENABLED=true`);
  check(
    !Object.keys(cm?.data ?? {}).some((k) => /PASSWORD/i.test(k)),
    `${scenario}: ConfigMap holds no password`,
  );
  check(
    dep.spec.template.metadata.annotations?.["checksum/config"]?.length === 64,
    `${D}: pod template carries the ConfigMap checksum (config changes roll the pods)`,
  );

  // 4. Service, and the objects that select the server pods.
  const svc = one("Service");
  check(matches(svc?.spec?.selector, podLabels), `${scenario}: Service selects the server pods`, fmt(svc?.spec?.selector));
  check(matches(dep.spec.selector.matchLabels, podLabels), `${D}: selector matches its pod labels`);
  check(svc?.spec?.ports?.some((p) => p.targetPort === "http"), `${scenario}: Service targets port http`);
  for (const job of all("Job")) {
    check(
      !matches(svc?.spec?.selector, job.spec.template.metadata.labels),
      `${scenario}: Service does not select the pods of Job ${job.metadata.name}`,
    );
  }

  const hpa = one("HorizontalPodAutoscaler");
  if (hpa) {
    check(hpa.apiVersion === "autoscaling/v2", `${scenario}: HPA is autoscaling/v2`);
    check(
      hpa.spec.scaleTargetRef.kind === "Deployment" && hpa.spec.scaleTargetRef.name === dep.metadata.name,
      `${scenario}: HPA scales the Deployment`,
    );
    check(dep.spec.replicas === undefined, `${D}: no fixed replicas while the HPA owns the count`);
  } else {
    check(Number.isInteger(dep.spec.replicas), `${D}: replicas set (no HPA)`);
  }

  const pdb = one("PodDisruptionBudget");
  if (pdb) {
    check(matches(pdb.spec.selector?.matchLabels, podLabels), `${scenario}: PodDisruptionBudget selects the server pods`);
    check(
      (pdb.spec.minAvailable === undefined) !== (pdb.spec.maxUnavailable === undefined),
      `${scenario}: PodDisruptionBudget sets exactly one of minAvailable/maxUnavailable`,
    );
  }

  const np = one("NetworkPolicy");
  if (np) {
    check(matches(np.spec.podSelector?.matchLabels, podLabels), `${scenario}: NetworkPolicy applies to the server pods`);
    const test = all("Pod").find((p) => hookOf(p) === "test");
    const peers = (np.spec.ingress ?? []).flatMap((r) => r.from ?? []);
    check(
      !!test && peers.some((p) => !p.namespaceSelector && matches(p.podSelector?.matchLabels, test.metadata.labels)),
      `${scenario}: NetworkPolicy lets the helm test pod in`,
    );
  }

  const ing = one("Ingress");
  if (ing) {
    check((ing.spec.tls ?? []).length > 0, `${scenario}: Ingress has TLS`);
    const backends = (ing.spec.rules ?? []).flatMap((r) => r.http?.paths ?? []);
    check(
      backends.length > 0 &&
        backends.every((p) => p.backend?.service?.name === svc?.metadata?.name && p.backend.service.port?.name === "http"),
      `${scenario}: Ingress paths go to the Service's http port`,
    );
    check(
      backends.every((p) => !p.path.startsWith("/actuator") && p.path !== "/"),
      `${scenario}: Ingress does not expose /actuator`,
      fmt(backends.map((p) => p.path)),
    );
  }

  const sm = one("ServiceMonitor");
  if (sm) {
    check(sm.apiVersion === "monitoring.coreos.com/v1", `${scenario}: ServiceMonitor is monitoring.coreos.com/v1`);
    check(matches(sm.spec?.selector?.matchLabels, svc?.metadata?.labels), `${scenario}: ServiceMonitor selects the Service`);
    const ep = sm.spec?.endpoints?.[0];
    check(ep?.port === "http" && ep?.path === "/actuator/prometheus", `${scenario}: ServiceMonitor scrapes http /actuator/prometheus`, fmt(ep));
  }

  // 5. CloudNativePG cluster: the server and the Job use its Service and Secret.
  const cluster = one("Cluster");
  if (cluster) {
    const name = cluster.metadata.name;
    check(cluster.apiVersion === "postgresql.cnpg.io/v1", `${scenario}: Cluster is postgresql.cnpg.io/v1`);
    check(Number.isInteger(cluster.spec?.instances) && cluster.spec.instances >= 1, `${scenario}: Cluster has instances`);
    check(!!cluster.spec?.storage?.size, `${scenario}: Cluster has a storage size`);
    const db = cluster.spec?.bootstrap?.initdb?.database;
    check(
      env(c, "SPRING_DATASOURCE_URL")?.value === `jdbc:postgresql://${name}-rw:5432/${db}`,
      `${D}: database URL is the Cluster's -rw Service`,
      env(c, "SPRING_DATASOURCE_URL")?.value,
    );
    const pw = env(c, "SPRING_DATASOURCE_PASSWORD")?.valueFrom?.secretKeyRef;
    const user = env(c, "SPRING_DATASOURCE_USERNAME")?.valueFrom?.secretKeyRef;
    check(pw?.name === `${name}-app` && pw?.key === "password", `${D}: password from the Cluster's -app Secret`);
    check(user?.name === `${name}-app` && user?.key === "username", `${D}: username from the Cluster's -app Secret`);
  }

  // 6. The migration Job: a hook, migrate-only, the same image, no ConfigMap dependency.
  const jobs = all("Job");
  if (check(jobs.length === 1, `${scenario}: exactly one migration Job`, `found ${jobs.length}`)) {
    const job = jobs[0];
    const J = `${scenario}: migration Job`;
    const jspec = job.spec.template.spec;
    const jc = jspec.containers[0];
    const wantHook = cluster ? "post-install,pre-upgrade" : "pre-install,pre-upgrade";
    check(hookOf(job) === wantHook, `${J}: helm.sh/hook is ${wantHook}`, `got ${fmt(hookOf(job))}`);
    const policy = job.metadata.annotations?.["helm.sh/hook-delete-policy"] ?? "";
    check(
      policy.includes("before-hook-creation") && policy.includes("hook-succeeded"),
      `${J}: delete policy before-hook-creation,hook-succeeded`,
    );
    check(job.metadata.annotations?.["helm.sh/hook-weight"] !== undefined, `${J}: has a hook weight`);
    check(env(jc, "CAREPATH_MIGRATE_ONLY")?.value === "true", `${J}: CAREPATH_MIGRATE_ONLY=true`);
    check(jc.image === c.image, `${J}: runs the server image`, `${jc.image} vs ${c.image}`);
    check(!(jc.envFrom ?? []).some((e) => e.configMapRef), `${J}: does not need the ConfigMap (absent on pre-install)`);
    check(
      !jspec.serviceAccountName || jspec.serviceAccountName === "default",
      `${J}: does not need the chart's ServiceAccount (absent on pre-install)`,
    );
    check(jspec.restartPolicy === "Never" || jspec.restartPolicy === "OnFailure", `${J}: restartPolicy Never/OnFailure`);
    checkHardening(J, jspec, jc);
    checkNoInlineSecrets(J, jc);
    check(!!jc.resources?.limits?.memory, `${J}: memory limit set`);
  }

  // 7. The helm test pod.
  const tests = all("Pod").filter((p) => hookOf(p) === "test");
  if (check(tests.length === 1, `${scenario}: one helm test pod`, `found ${tests.length}`)) {
    const t = tests[0];
    const tc = t.spec.containers[0];
    const script = [...(tc.command ?? []), ...(tc.args ?? [])].join(" ");
    const url = env(tc, "METADATA_URL")?.value ?? script;
    check(
      url.includes(`http://${svc?.metadata?.name}:`) && url.includes("/fhir/metadata"),
      `${scenario}: helm test fetches /fhir/metadata from the Service`,
      url,
    );
    check(script.includes("fhirVersion") && script.includes("4\\.0\\.1"), `${scenario}: helm test checks fhirVersion 4.0.1`);
    checkHardening(`${scenario}: helm test pod`, t.spec, tc);
  }
}

const args = process.argv.slice(2);
if (args.length === 0) {
  console.error("usage: node validate-manifests.mjs SCENARIO=RENDERED.yaml ...");
  process.exit(2);
}
for (const arg of args) {
  const at = arg.indexOf("=");
  validateScenario(arg.slice(0, at), arg.slice(at + 1));
}
console.log(`RESULT ${passed} ${failed}`);
process.exit(failed ? 1 : 0);
