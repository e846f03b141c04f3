#!/usr/bin/env node
// Checks recorded HTTP responses against openapi.yaml.
//
//   node validate.mjs SPEC RECORDS.jsonl
//
// Each line of RECORDS is one response the server gave:
//   {"method":"GET","path":"/api/v1/units/5","status":200,
//    "content_type":"application/json; charset=utf-8","body":"<raw body text>",
//    "headers":{"x-request-id":"..."}}            <- "headers" is optional
// `path` carries no query string. When `headers` is present, every response header the spec
// marks `required: true` must be there and match its schema.
//
// Rules:
// - The operation is found by matching path templates; a literal segment beats a templated
//   one (/api/v1/units/{id}/tree over a hypothetical /api/v1/units/{id}/{x}); empty segments
//   are ignored, as the server routes (//api/v1/units/5/ is /api/v1/units/5).
// - Path or method not in the spec: the answer must be a Problem with status 404 or 405
//   (checked against components.responses.NotFound / MethodNotAllowed). An OPTIONS on a known
//   path may instead be a CORS answer: 204 with no body.
// - A 200 text/csv answer of an operation with an `x-csv-response` extension (the operations
//   that answer CSV too, with `format=csv` or `Accept: text/csv`) is checked against the
//   response that extension names, like any documented response.
// - Known operation: the response for the exact status, else its `4XX`/`5XX` range, else
//   `default` (for an error status, 400 and up, only), else a violation. The Content-Type
//   (parameters such as charset ignored) must be one of the documented media types; a
//   response documented without content must have an empty body. JSON bodies
//   (application/json, application/problem+json, any +json) are validated with Ajv (JSON
//   Schema 2020-12) against the schema, $refs resolved into the spec. A problem+json body's
//   `status` must equal the HTTP status.
// Prints every violation, then `contract: N responses checked, M violations`; exits 1 when
// M > 0 or N == 0, 2 on bad usage.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const SPEC_ID = 'openapi';

function usage(msg) {
  if (msg) console.error(`validate.mjs: ${msg}`);
  console.error('usage: node validate.mjs SPEC RECORDS.jsonl');
  process.exit(2);
}

const [specFile, recordsFile] = process.argv.slice(2);
if (!specFile || !recordsFile || process.argv.length > 4) usage();

let spec;
try {
  spec = parseYaml(readFileSync(specFile, 'utf8'));
} catch (e) {
  usage(`cannot read ${specFile}: ${e.message}`);
}
if (!spec || typeof spec !== 'object' || !spec.paths) usage(`${specFile} has no paths`);

let recordsText;
try {
  recordsText = readFileSync(recordsFile, 'utf8');
} catch (e) {
  usage(`cannot read ${recordsFile}: ${e.message}`);
}

// ---- JSON pointers into the spec (kept as arrays of raw tokens) ----

const escToken = (t) => String(t).replace(/~/g, '~0').replace(/\//g, '~1');
const unescToken = (t) => t.replace(/~1/g, '/').replace(/~0/g, '~');
const pointerText = (tokens) => '#' + tokens.map((t) => '/' + escToken(t)).join('');
// As a URI fragment for Ajv: each token percent-encoded ({, } and friends are not allowed raw).
const pointerUri = (tokens) => '#' + tokens.map((t) => '/' + encodeURIComponent(escToken(t))).join('');

function parseRef(ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#')) {
    throw new Error(`only local $refs are supported, not ${JSON.stringify(ref)}`);
  }
  const frag = decodeURIComponent(ref.slice(1));
  if (frag === '') return [];
  if (!frag.startsWith('/')) throw new Error(`bad $ref ${ref}`);
  return frag.slice(1).split('/').map(unescToken);
}

function at(tokens) {
  let node = spec;
  for (const t of tokens) {
    if (node === null || typeof node !== 'object' || !(t in node)) {
      throw new Error(`${pointerText(tokens)} does not exist in the spec`);
    }
    node = node[t];
  }
  return node;
}

// Follows $ref chains (for response, header and path-item objects). Returns {node, tokens}.
function deref(tokens) {
  let node = at(tokens);
  const seen = new Set();
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    const key = pointerText(tokens);
    if (seen.has(key)) throw new Error(`$ref loop at ${key}`);
    seen.add(key);
    tokens = parseRef(node.$ref);
    node = at(tokens);
  }
  return { node, tokens };
}

// ---- Ajv ----

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
// The whole spec is one schema resource: `openapi#/components/schemas/X` resolves, and so do
// the `#/...` refs inside it. The document is not a JSON Schema, so it is not meta-validated.
ajv.addSchema(spec, SPEC_ID, undefined, false);

const validators = new Map();
function validatorFor(tokens) {
  const key = pointerUri(tokens);
  if (!validators.has(key)) {
    validators.set(key, ajv.compile({ $ref: SPEC_ID + key }));
  }
  return validators.get(key);
}

function ajvErrors(errors) {
  return (errors || []).map((e) => {
    const where = e.instancePath === '' ? '(root)' : e.instancePath;
    let extra = '';
    if (e.params) {
      if (e.params.additionalProperty !== undefined) extra = ` "${e.params.additionalProperty}"`;
      else if (e.params.missingProperty !== undefined) extra = ` ("${e.params.missingProperty}")`;
      else if (e.params.allowedValues !== undefined) extra = ` (${JSON.stringify(e.params.allowedValues)})`;
    }
    return `${where}: ${e.message}${extra}   [schema ${e.schemaPath}]`;
  });
}

// ---- path matching ----

const routes = Object.keys(spec.paths).map((template) => {
  const segs = template.split('/').map((seg) => {
    if (!seg.includes('{')) return { literal: seg };
    const re = seg
      .split(/(\{[^}]+\})/)
      .map((part) => (/^\{[^}]+\}$/.test(part) ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    return { re: new RegExp(`^${re}$`) };
  });
  return { template, segs };
});

// Returns the template that matches path best: left to right, a literal segment beats a
// templated one.
function matchTemplate(path) {
  // Empty segments are ignored, as the server's routing ignores them (//api/v1/units/5/ is /api/v1/units/5).
  const parts = ('/' + path.split('/').filter((s) => s !== '').join('/')).split('/');
  let best = null;
  let bestScore = null;
  for (const r of routes) {
    if (r.segs.length !== parts.length) continue;
    const score = [];
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const s = r.segs[i];
      if (s.literal !== undefined) {
        ok = s.literal === parts[i];
        score.push(1);
      } else {
        ok = parts[i] !== '' && s.re.test(parts[i]);
        score.push(0);
      }
    }
    if (!ok) continue;
    if (best === null || compareScores(score, bestScore) > 0) {
      best = r.template;
      bestScore = score;
    }
  }
  return best;
}

function compareScores(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

// ---- checking one response ----

const mediaType = (ct) => (typeof ct === 'string' ? ct.split(';')[0].trim().toLowerCase() : '');
const isJson = (mt) => mt === 'application/json' || /^[a-z]+\/[a-z0-9.+-]*\+json$/.test(mt);

function findMedia(content, mt) {
  const keys = Object.keys(content);
  const norm = keys.map((k) => [k, mediaType(k)]);
  let hit = norm.find(([, m]) => m === mt);
  if (!hit) hit = norm.find(([, m]) => m.endsWith('/*') && mt.startsWith(m.slice(0, -1)));
  if (!hit) hit = norm.find(([, m]) => m === '*/*');
  return hit ? hit[0] : null;
}

function headerValue(headers, name) {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === want) return Array.isArray(v) ? v.join(', ') : String(v);
  }
  return undefined;
}

// Checks rec against the response object at respTokens; returns a list of problems.
function checkResponse(rec, respTokens) {
  const problems = [];
  const { node: resp, tokens } = deref(respTokens);
  const body = rec.body === undefined || rec.body === null ? '' : String(rec.body);
  const content = resp.content || {};
  const documented = Object.keys(content);

  if (documented.length === 0) {
    if (body !== '') problems.push(`expected no body, got ${body.length} bytes`);
  } else {
    const mt = mediaType(rec.content_type);
    const key = mt ? findMedia(content, mt) : null;
    if (!mt) {
      problems.push(`no Content-Type; documented: ${documented.join(', ')}`);
    } else if (key === null) {
      problems.push(`Content-Type ${mt} is not documented; documented: ${documented.join(', ')}`);
    } else if (isJson(mt)) {
      let parsed;
      try {
        parsed = JSON.parse(body);
      } catch (e) {
        problems.push(`body is not valid JSON: ${e.message}`);
      }
      if (parsed !== undefined && content[key].schema !== undefined) {
        const schemaTokens = [...tokens, 'content', key, 'schema'];
        let validate;
        try {
          validate = validatorFor(schemaTokens);
        } catch (e) {
          problems.push(`cannot compile the schema at ${pointerText(schemaTokens)}: ${e.message}`);
        }
        if (validate && !validate(parsed)) {
          problems.push(`body does not match ${describeSchema(content[key].schema, schemaTokens)}:`);
          for (const line of ajvErrors(validate.errors)) problems.push('    ' + line);
        }
      }
      if (parsed !== undefined && mt === 'application/problem+json' && parsed && typeof parsed === 'object' &&
          parsed.status !== rec.status) {
        problems.push(`problem "status" is ${JSON.stringify(parsed.status)} but the HTTP status is ${rec.status}`);
      }
    }
  }

  if (rec.headers && typeof rec.headers === 'object') {
    for (const [name, h] of Object.entries(resp.headers || {})) {
      if (name.toLowerCase() === 'content-type') continue;
      const { node: header, tokens: hTokens } = deref([...tokens, 'headers', name]);
      const value = headerValue(rec.headers, name);
      if (value === undefined) {
        if (header.required) problems.push(`header ${name} is missing`);
        continue;
      }
      if (header.schema === undefined) continue;
      const type = header.schema.type;
      const asValue = (type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value.trim())
        ? Number(value.trim())
        : value;
      const validate = validatorFor([...hTokens, 'schema']);
      if (!validate(asValue)) {
        problems.push(`header ${name}: ${JSON.stringify(value)} does not match its schema:`);
        for (const line of ajvErrors(validate.errors)) problems.push('    ' + line);
      }
    }
  }
  return problems;
}

function describeSchema(schema, tokens) {
  return schema && typeof schema.$ref === 'string' ? schema.$ref : pointerText(tokens);
}

// Checks one record; returns {problems, note}.
function checkRecord(rec) {
  for (const field of ['method', 'path', 'status']) {
    if (rec[field] === undefined || rec[field] === null) return { problems: [`record has no "${field}"`] };
  }
  if (!Number.isInteger(rec.status)) return { problems: [`"status" ${JSON.stringify(rec.status)} is not an integer`] };
  const method = String(rec.method).toLowerCase();
  const path = String(rec.path).split('?')[0];
  const template = matchTemplate(path);
  let op;
  if (template !== null) {
    const { node: item, tokens: itemTokens } = deref(['paths', template]);
    if (METHODS.includes(method) && item[method]) op = { tokens: [...itemTokens, method], node: item[method] };
  }

  if (!op) {
    // Not in the spec: a 404 or 405 problem, or a CORS preflight answer on a known path.
    if (method === 'options' && template !== null && rec.status === 204) {
      const body = rec.body === undefined || rec.body === null ? '' : String(rec.body);
      return { problems: body === '' ? [] : [`OPTIONS 204 should have no body, got ${body.length} bytes`] };
    }
    const where = template === null ? 'path is not in the spec' : `${method.toUpperCase()} is not documented for ${template}`;
    if (rec.status !== 404 && rec.status !== 405) {
      return { problems: [`${where}: expected a 404 or 405 problem, got ${rec.status}`] };
    }
    const name = rec.status === 404 ? 'NotFound' : 'MethodNotAllowed';
    if (!spec.components?.responses?.[name]) return { problems: [`components.responses.${name} is missing from the spec`] };
    return { problems: checkResponse(rec, ['components', 'responses', name]) };
  }

  // A CSV answer of an operation that also answers CSV (format=csv, Accept: text/csv) is checked
  // against the response its x-csv-response names: its 200 documents JSON only.
  const table = ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'];
  if (rec.status === 200 && table.includes(mediaType(rec.content_type)) && op.node['x-csv-response'] !== undefined) {
    return { problems: checkResponse(rec, [...op.tokens, 'x-csv-response']), op: `${method.toUpperCase()} ${template}` };
  }

  const responses = op.node.responses || {};
  const code = String(rec.status);
  const range = `${code[0]}XX`;
  let key = null;
  let note;
  if (responses[code] !== undefined) key = code;
  else if (responses[range] !== undefined || responses[range.toLowerCase()] !== undefined) {
    key = responses[range] !== undefined ? range : range.toLowerCase();
  } else if (responses.default !== undefined && rec.status >= 400) {
    key = 'default';
    note = `${rec.status} is not listed for ${rec.method.toUpperCase()} ${template}; checked against "default"`;
  }
  if (key === null) {
    const listed = Object.keys(responses).join(', ');
    return { problems: [`status ${rec.status} is not documented for ${method.toUpperCase()} ${template} (documented: ${listed})`] };
  }
  return { problems: checkResponse(rec, [...op.tokens, 'responses', key]), note, op: `${method.toUpperCase()} ${template}` };
}

// ---- main ----

let checked = 0;
let violations = 0;
const exercised = new Set();
const notes = new Map();
const lines = recordsText.split('\n');
for (let i = 0; i < lines.length; i++) {
  const line = lines[i].trim();
  if (line === '') continue;
  checked++;
  let rec;
  let result;
  try {
    rec = JSON.parse(line);
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw new Error('not a JSON object');
  } catch (e) {
    violations++;
    console.log(`VIOLATION ${recordsFile}:${i + 1}: the record is not valid: ${e.message}`);
    continue;
  }
  try {
    result = checkRecord(rec);
  } catch (e) {
    result = { problems: [`could not check: ${e.message}`] };
  }
  if (result.op) exercised.add(result.op);
  if (result.note) notes.set(result.note, (notes.get(result.note) || 0) + 1);
  if (result.problems.length > 0) {
    violations++;
    const ct = rec.content_type ? ` (${rec.content_type})` : '';
    console.log(`VIOLATION ${String(rec.method).toUpperCase()} ${rec.path} -> ${rec.status}${ct}  [${recordsFile}:${i + 1}]`);
    for (const p of result.problems) console.log(`  ${p}`);
    const body = rec.body === undefined || rec.body === null ? '' : String(rec.body);
    if (body !== '') console.log(`  body: ${body.length > 300 ? body.slice(0, 300) + '…' : body}`);
  }
}

for (const [note, n] of notes) console.log(`note: ${note}${n > 1 ? ` (${n} times)` : ''}`);
const allOps = [];
for (const [template, item] of Object.entries(spec.paths)) {
  for (const m of METHODS) if (item && item[m]) allOps.push(`${m.toUpperCase()} ${template}`);
}
const missed = allOps.filter((o) => !exercised.has(o));
console.log(`coverage: ${allOps.length - missed.length} of ${allOps.length} operations exercised` +
  (missed.length ? `; not exercised: ${missed.join(', ')}` : ''));
console.log(`contract: ${checked} responses checked, ${violations} violations`);
process.exit(violations > 0 || checked === 0 ? 1 : 0);
