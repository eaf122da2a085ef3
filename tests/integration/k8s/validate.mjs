// validate.mjs - Kubernetes manifests (YAML, on stdin) checked against the
// API's schemas by kubernetes-models; prints the documents as a JSON list,
// exits 1 when any is invalid.  argv[2]: the node_modules directory holding
// kubernetes-models and js-yaml (test_k8s.py installs them under build/npm).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const load = (p) => import(pathToFileURL(path.join(modules, p)).href);
const yaml = (await load("js-yaml/index.js")).default;

const docs = yaml.loadAll(fs.readFileSync(0, "utf8")).filter((d) => d !== null);
let failed = false;
for (const [i, doc] of docs.entries()) {
  const [group, version] = doc.apiVersion.includes("/")
    ? doc.apiVersion.split("/") : [null, doc.apiVersion];
  const dir = ["kubernetes-models", group, version].filter(Boolean).join("/");
  const name = `document ${i} (${doc.apiVersion} ${doc.kind} ${doc.metadata && doc.metadata.name})`;
  let Model;
  try {
    Model = (await load(`${dir}/index.js`))[doc.kind];
  } catch (e) {
    Model = undefined;
  }
  if (!Model) {
    console.error(`${name}: no such kind in the Kubernetes API`);
    failed = true;
    continue;
  }
  try {
    new Model(doc).validate();
  } catch (e) {
    console.error(`${name}: ${e.message}`);
    failed = true;
  }
}
process.stdout.write(JSON.stringify(docs));
process.exit(failed ? 1 : 0);
