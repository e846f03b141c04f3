// Renders openapi.yaml into one self-contained HTML page (Redoc, prerendered by
// `redocly build-docs`): every operation gets a copyable curl line (x-codeSamples), the Redoc
// script is inlined instead of loaded from a CDN, no web fonts. The page records the SHA-256 of
// the openapi.yaml it was made from, so scripts/test can tell when it is stale.
// Usage (scripts/docs runs it): node build-docs.mjs ../../openapi.yaml OUT.html
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import YAML from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const [specPath, outPath] = process.argv.slice(2);
if (!specPath || !outPath) {
  console.error('usage: node build-docs.mjs openapi.yaml out.html');
  process.exit(2);
}
const specText = readFileSync(specPath);
const sha = createHash('sha256').update(specText).digest('hex');
const spec = YAML.parse(specText.toString('utf8'));

const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const shellPath = (p) => p.replace(/\{([a-z_]+)\}/g, (_, n) => '$' + n.toUpperCase());

function curlLine(path, method, op) {
  const pub = Array.isArray(op['x-roles']) && op['x-roles'].includes('public');
  const lines = [];
  const query = (op.parameters || [])
    .filter((p) => p.$ref && /parameters\//.test(p.$ref))
    .map((p) => spec.components.parameters[p.$ref.split('/').pop()])
    .concat((op.parameters || []).filter((p) => !p.$ref))
    .filter((p) => p && p.in === 'query' && p.required);
  let url = '$BASE' + shellPath(path);
  if (query.length) url += '?' + query.map((p) => `${p.name}=${p.example ?? ''}`).join('&');
  let first = `curl --fail-with-body -sS`;
  if (method !== 'get') first += ` -X ${method.toUpperCase()}`;
  first += ` "${url}"`;
  lines.push(first);
  if (!pub) lines.push(`-H "Authorization: Bearer $TOKEN"`);
  const content = op.requestBody && op.requestBody.content;
  if (content && content['application/json']) {
    const ex = content['application/json'].example;
    lines.push(`-H 'Content-Type: application/json'`);
    lines.push(`-d ${q(ex !== undefined ? JSON.stringify(ex) : '{}')}`);
  } else if (content && content['text/csv']) {
    lines.push(`-H 'Content-Type: text/csv' --data-binary @file.csv`);
  }
  return lines.join(' \\\n  ');
}

let n = 0;
for (const [path, item] of Object.entries(spec.paths || {})) {
  for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
    const op = item[method];
    if (!op) continue;
    op['x-codeSamples'] = [{ lang: 'Shell', label: 'curl', source: curlLine(path, method, op) }];
    n++;
  }
}
spec.info.description =
  'Every operation shows a curl line (BASE=http://127.0.0.1:8080; TOKEN from ' +
  '`POST /api/v1/auth/login`). The machine-readable contract is [/openapi.yaml](/openapi.yaml).\n\n' +
  spec.info.description;

const tmp = mkdtempSync(join(tmpdir(), 'bdhvs-docs-'));
try {
  const tmpSpec = join(tmp, 'openapi.json');
  const tmpHtml = join(tmp, 'api.html');
  writeFileSync(tmpSpec, JSON.stringify(spec));
  execFileSync(join(here, 'node_modules/.bin/redocly'),
    ['build-docs', tmpSpec, '-o', tmpHtml, '--disableGoogleFont', '--title', 'bdhvs API reference',
      '--lint-config', 'off'],
    { cwd: here, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, REDOCLY_TELEMETRY: 'off' } });
  let html = readFileSync(tmpHtml, 'utf8');
  const require = createRequire(join(here, 'package.json'));
  const redocDir = dirname(require.resolve('redoc/package.json'));
  const redocJs = readFileSync(join(redocDir, 'bundles/redoc.standalone.js'), 'utf8');
  const cdn = /<script src="https:\/\/cdn\.redocly\.com\/redoc\/[^"]*\/redoc\.standalone\.js"><\/script>/;
  if (!cdn.test(html)) throw new Error('the CDN script tag of build-docs was not found');
  if (/<\/script/i.test(redocJs)) throw new Error('redoc.standalone.js contains </script');
  // Redoc's own "API docs by Redocly" logo is fetched from its CDN: an empty image instead.
  const logo = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
  const offlineJs = redocJs.split(logo).join('data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27/%3E');
  html = html.replace(cdn, () => `<script>${offlineJs}</script>`);
  // Hydrating the prerendered page makes React report a mismatch for every operation (the
  // server side and the bundle render a few details differently): render it afresh in the
  // browser from the same state instead; the prerendered HTML stays for readers without scripts.
  const hydrate = 'Redoc.hydrate(__redoc_state, container);';
  if (!html.includes(hydrate)) throw new Error('the hydrate call of build-docs was not found');
  html = html.replace(hydrate, () => 'Redoc.init(__redoc_state.spec.data, __redoc_state.options, container);');
  html = html.replace('<head>', () =>
    `<head>\n  <meta name="bdhvs-openapi-sha256" content="${sha}">` +
    `\n  <!-- generated by scripts/docs from openapi.yaml; do not edit -->`);
  const remote = html.match(/<(script|link)[^>]+(src|href)="https?:[^"]*"/g);
  if (remote) throw new Error('the page still loads from the network: ' + remote.join(' '));
  writeFileSync(resolve(outPath), html);
  console.log(`${outPath}: ${n} operations, ${html.length} bytes, openapi.yaml sha256 ${sha}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
