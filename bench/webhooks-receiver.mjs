// The receiver of bench/webhooks: answers 200 at once, checks each signature and appends
// "event id <TAB> receipt time in ms since the epoch <TAB> ok|bad" to the output file.
// usage: node bench/webhooks-receiver.mjs PORT SECRET OUTFILE
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

const [port, secret, out] = process.argv.slice(2);
createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = performance.timeOrigin + performance.now();
    const body = Buffer.concat(chunks);
    const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    const got = Buffer.from(String(req.headers['x-bdhvs-signature'] ?? ''));
    const ok = got.length === want.length && timingSafeEqual(got, want);
    let id = '?';
    try {
      id = JSON.parse(body.toString('utf8')).id;
    } catch {
      /* recorded as ? */
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    appendFileSync(out, `${id}\t${at.toFixed(3)}\t${ok ? 'ok' : 'bad'}\n`);
  });
}).listen(Number(port), '127.0.0.1');
