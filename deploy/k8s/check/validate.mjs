// Validates what kustomize builds from each given directory (default: deploy/k8s/base and every overlay),
// offline: Kubernetes objects against the API schemas (npm kubernetes-models), KEDA objects against KEDA's
// (@kubernetes-models/keda), the CloudNativePG Cluster against the operator's (@kubernetes-models/cloudnative-pg), and the
// RabbitmqCluster against schemas/ (a subset of the operator's CRD schema, kept by hand: no package here serves it).
// The API schemas let unknown fields through (a misspelled probe setting is silently ignored by Kubernetes too), so every Kubernetes, KEDA and CloudNativePG object
// is also type-checked, with TypeScript, against the models' own types, which refuse unknown fields. With ACCOUNTABILITY_K8S_CRDS set
// to a folder of CRD files (*.yaml), custom resources are also checked against those CRDs' full schemas.
// Prints one line per problem and a summary; exit status 1 when anything is invalid.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parseAllDocuments } from "yaml";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url));
const k8sRoot = resolve(here, "..");
const repo = resolve(k8sRoot, "../..");
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
for (const keyword of ["x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string", "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-validations", "x-kubernetes-embedded-resource"])
  ajv.addKeyword(keyword);

// Hand-kept schemas, by "apiVersion/Kind".
const localSchemas = new Map();
for (const file of readdirSync(join(here, "schemas")).filter(f => f.endsWith(".json"))) {
  const schema = JSON.parse(readFileSync(join(here, "schemas", file), "utf8"));
  localSchemas.set(`${schema.properties.apiVersion.const}/${schema.properties.kind.const}`, ajv.compile(schema));
}

// The operators' own CRDs, when given: the full openAPIV3Schema of each served version.
const crdSchemas = new Map();
if (process.env.ACCOUNTABILITY_K8S_CRDS) {
  for (const file of readdirSync(process.env.ACCOUNTABILITY_K8S_CRDS).filter(f => /\.ya?ml$/.test(f))) {
    for (const doc of parseAllDocuments(readFileSync(join(process.env.ACCOUNTABILITY_K8S_CRDS, file), "utf8"))) {
      const crd = doc.toJS();
      if (crd?.kind !== "CustomResourceDefinition") continue;
      for (const version of crd.spec.versions)
        crdSchemas.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(version.schema.openAPIV3Schema));
    }
  }
}

/** The kubernetes-models module of an apiVersion and kind, or null for a group it does not know. */
function modelPath(apiVersion, kind) {
  if (apiVersion.startsWith("keda.sh/")) return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  if (apiVersion.startsWith("postgresql.cnpg.io/")) return `@kubernetes-models/cloudnative-pg/${apiVersion}/${kind}`;
  if (apiVersion.includes(".") && !apiVersion.includes(".k8s.io/")) return null;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

async function validateObject(object) {
  const problems = [];
  const { apiVersion, kind } = object ?? {};
  if (typeof apiVersion !== "string" || typeof kind !== "string") return ["no apiVersion or kind"];
  const key = `${apiVersion}/${kind}`;
  const local = localSchemas.get(key);
  const path = modelPath(apiVersion, kind);
  if (local) {
    if (!local(object)) problems.push(...local.errors.map(e => `${e.instancePath || "/"} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ""}`));
  } else if (path) {
    let model;
    try {
      model = (await import(path))[kind];
    } catch {
      return [`unknown kind ${key} (no schema in ${path})`];
    }
    try {
      new model(object).validate();
    } catch (error) {
      problems.push(...String(error.message).split("\n").filter(line => line.trim()));
    }
  } else {
    return [`unknown kind ${key}: no schema for it`];
  }
  const crd = crdSchemas.get(key);
  if (crd && !crd(object))
    problems.push(...crd.errors.map(e => `(operator CRD) ${e.instancePath || "/"} ${e.message}`));
  return problems;
}

const targets = process.argv.slice(2).length > 0
  ? process.argv.slice(2).map(d => resolve(d))
  : [join(k8sRoot, "base"), ...readdirSync(join(k8sRoot, "overlays")).map(d => join(k8sRoot, "overlays", d))];

let objects = 0, invalid = 0;
const typed = []; // [label, module path, kind, object] for the strict pass
for (const target of targets) {
  const name = relative(repo, target) || target;
  if (!existsSync(join(target, "kustomization.yaml"))) {
    console.log(`${name}: no kustomization.yaml`);
    invalid++;
    continue;
  }
  let built;
  try {
    built = execFileSync("kubectl", ["kustomize", target], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    console.log(`${name}: kustomize failed: ${(error.stderr || error.message).trim()}`);
    invalid++;
    continue;
  }
  for (const doc of parseAllDocuments(built)) {
    if (doc.errors.length > 0) {
      console.log(`${name}: YAML: ${doc.errors[0].message}`);
      invalid++;
      continue;
    }
    const object = doc.toJS();
    if (object === null) continue;
    objects++;
    const problems = await validateObject(object);
    if (problems.length > 0) {
      invalid++;
      for (const problem of problems) console.log(`${name}: ${object.kind}/${object.metadata?.name}: ${problem}`);
    } else if (modelPath(object.apiVersion, object.kind) && !localSchemas.has(`${object.apiVersion}/${object.kind}`)) {
      typed.push([`${name}: ${object.kind}/${object.metadata?.name}`, modelPath(object.apiVersion, object.kind), object.kind, object]);
    }
  }
}
// The strict pass: one typed constant per object, one object per line, so a diagnostic's line names its object.
if (typed.length > 0) {
  const dir = join(here, ".strict");
  mkdirSync(dir, { recursive: true });
  const imports = [...new Map(typed.map(([, path, kind]) => [path, `import type { I${kind} } from "${path}";`])).values()];
  const lines = [...imports, ...typed.map(([, , kind, object], i) => `export const o${i}: I${kind} = ${JSON.stringify(object)};`)];
  const file = join(dir, "objects.ts");
  writeFileSync(file, lines.join("\n") + "\n");
  const program = ts.createProgram([file], {
    noEmit: true, strict: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const failed = new Set();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
    const line = diagnostic.file ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line : -1;
    const index = line - imports.length;
    const label = index >= 0 && index < typed.length ? typed[index][0] : "(types)";
    console.log(`${label}: ${message}`);
    failed.add(label);
  }
  invalid += failed.size;
}

console.log(`k8s-check: ${objects} objects from ${targets.length} kustomization(s), ${invalid} invalid${crdSchemas.size > 0 ? ` (also against ${crdSchemas.size} operator CRD schemas)` : ""}`);
process.exit(invalid === 0 && objects > 0 ? 0 : 1);
