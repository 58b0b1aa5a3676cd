// Every document of a Kubernetes manifest against the API's own schemas,
// as the package kubernetes-models generates them from Kubernetes'
// OpenAPI: a missing required field, a wrong type or a bad enum value
// fails. An unknown field does not: those schemas allow them, and only the
// API server's strict field validation refuses one.
//   node k8s-check.mjs MANIFEST.yaml...
// Exit 0 when every document validates, 1 with the errors otherwise.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

async function modelOf(apiVersion, kind) {
  // "batch/v1" -> kubernetes-models/batch/v1; "v1" -> kubernetes-models/v1
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind))
    throw new Error(`apiVersion ${apiVersion} / kind ${kind}: not a Kubernetes type`);
  const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
  return mod[kind];
}

let failed = 0, valid = 0;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [i, doc] of docs.entries()) {
    const where = `${file}: document ${i + 1}`;
    try {
      if (doc.errors.length) throw new Error(doc.errors.map((e) => e.message).join("; "));
      const data = doc.toJS();
      const Model = await modelOf(data.apiVersion, data.kind);
      new Model(data).validate();
      console.log(`${where}: ${data.kind} ${data.metadata?.name}: valid ${data.apiVersion}`);
      valid++;
    } catch (e) {
      console.error(`${where}: ${e.message}`);
      failed++;
    }
  }
}
if (!valid && !failed) console.error("no document to validate");
process.exit(failed || !valid ? 1 : 0);
