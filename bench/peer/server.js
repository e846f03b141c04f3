// The baseline a team would otherwise pick (issue 14, goal 1): one Node.js process, fastify + pg,
// answering GET /api/v1/units/:id with bdhvs's own statement (bench/unit_get.sql, with the
// caller's scope), behind an HS256 bearer check of a bdhvs access token. bench/run starts it on
// PEER_PORT against the bench database and measures it with the same wrk command as bdhvs.
// Environment: PEER_PORT, PEER_POOL (connections), BDHVS_JWT_SECRET, PGHOST, PGPORT, PGUSER,
// PGDATABASE.
import { createHmac, createHash, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const secret = process.env.BDHVS_JWT_SECRET;
if (!secret) throw new Error('BDHVS_JWT_SECRET is not set');
const pool = new pg.Pool({ max: Number(process.env.PEER_POOL || 16) });

// Same statement as src/api/units.c's units_get; a named query is prepared once per connection.
const UNIT_GET = {
  name: 'units_get',
  text: 'SELECT unit_json(u, p.code) AS j FROM units u LEFT JOIN units p ON p.id = u.parent_id' +
    ' WHERE u.id = $1 AND in_scope(u.path, $2)',
};

function problem(reply, status, title) {
  return reply.code(status).type('application/problem+json').send({ type: 'about:blank', title, status });
}

// The claims of a valid HS256 token, or null: signature, then expiry and not-before.
function verify(header) {
  if (!header || !header.startsWith('Bearer ')) return null;
  const parts = header.slice(7).split('.');
  if (parts.length !== 3) return null;
  const want = createHmac('sha256', secret).update(parts[0] + '.' + parts[1]).digest();
  const got = Buffer.from(parts[2], 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  let head, claims;
  try {
    head = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  } catch {
    return null;
  }
  const now = Math.floor(Date.now() / 1000);
  if (head.alg !== 'HS256' || !(claims.exp > now) || (claims.nbf && claims.nbf > now + 60)) return null;
  return claims;
}

const app = Fastify({ logger: false });
app.get('/api/v1/units/:id', async (req, reply) => {
  const claims = verify(req.headers.authorization);
  if (!claims) return problem(reply, 401, 'Unauthorized');
  if (!/^[1-9][0-9]{0,17}$/.test(req.params.id)) return problem(reply, 400, 'Bad Request');
  const scope = claims.role === 'admin' || claims.role === 'integration' ? null : claims.unit ?? -1;
  const r = await pool.query({ ...UNIT_GET, values: [req.params.id, scope] });
  if (r.rowCount === 0) return problem(reply, 404, 'Not Found');
  const body = JSON.stringify(r.rows[0].j);
  return reply.header('ETag', '"' + createHash('sha1').update(body).digest('hex').slice(0, 16) + '"')
    .type('application/json; charset=utf-8').send(body);
});

app.listen({ host: '127.0.0.1', port: Number(process.env.PEER_PORT || 18183) }).then((addr) => {
  console.log('peer listening on ' + addr);
});
