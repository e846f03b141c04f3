// The baseline a team would otherwise pick (issue 14, goal 1): one Node.js process, fastify + pg,
// answering GET /api/v1/units/:id with bdhvs's own statement (bench/unit_get.sql, with the
// caller's scope), and GET /api/v1/staff?limit=N&under=ID with bdhvs's own page statement and
// audit entry (src/api/staff.c: staff_list_code, then audit_read), behind an HS256 bearer check
// of a bdhvs access token. bench/run starts it on
// PEER_PORT against the bench database and measures it with the same wrk command as bdhvs.
// Environment: PEER_PORT, PEER_POOL (connections), BDHVS_JWT_SECRET, PGHOST, PGPORT, PGUSER,
// PGDATABASE.
import { createHmac, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
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

// Same statement as src/api/staff.c's staff_list_code (STAFF_LIST_SQL over STAFF_LISTED_UNITS,
// ordered by code): $1 scope, $2 unit_id, $3 under, $4-$11 the other filters, $12 the order's
// name, $13/$14 limit and offset, $15 whether party membership shows, $16 the keyset cursor.
const LISTED = ' FROM staff s JOIN units u ON u.id = s.unit_id WHERE in_scope(u.path, $1)' +
  '   AND ($3::bigint IS NULL OR u.path <@ (SELECT x.path FROM units x WHERE x.id = $3))' +
  '   AND ($2::bigint IS NULL OR s.unit_id = $2)' +
  '   AND ($4::text IS NULL OR s.job_group = $4) AND ($5::text IS NULL OR s.employment = $5)' +
  '   AND ($6::bool IS NULL OR $6 = (s.joined_on <= coalesce($7::date, current_date)' +
  '        AND (s.left_on IS NULL OR s.left_on >= coalesce($7::date, current_date))))' +
  '   AND ($8::bool IS NULL OR $8 = EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id' +
  '        WHERE c.staff_id = s.id AND k.counts_for_campaign))' +
  '   AND ($9::bool IS NULL OR $9 = (s.vneid_confirmed_on IS NOT NULL))' +
  '   AND ($10::text IS NULL OR name_match(s.full_name, $10) > 0' +
  '        OR strpos(lower(s.code), lower($10)) > 0)' +
  '   AND ($11::timestamptz IS NULL OR s.updated_at >= $11)';
const ORDER = 's.code, s.id';
const STAFF_LIST = {
  name: 'staff_list_code',
  text: 'WITH p AS (SELECT s.id' + LISTED + ' AND ($16::bigint IS NULL OR s.id > $16) AND $12::text IS NOT NULL' +
    '   ORDER BY ' + ORDER + ' LIMIT $13 OFFSET $14),' +
    ' t AS (SELECT count(*) AS n' + LISTED + ')' +
    " SELECT json_build_object('items', coalesce((SELECT json_agg(staff_page_json(s, u.code, $15) ORDER BY " + ORDER + ')' +
    "   FROM p JOIN staff s ON s.id = p.id JOIN units u ON u.id = s.unit_id), '[]')," +
    " 'total', t.n, 'limit', $13::int, 'offset', $14::int) AS j, (SELECT count(*) FROM p) AS returned, t.n AS total FROM t",
};
// Same statement as src/api/common.c's audit_read: every read of personal data leaves an entry.
const AUDIT_READ = {
  name: 'audit_read',
  text: 'INSERT INTO audit_log (user_id, username, request_id, client_request_id, action, entity, entity_id, after)' +
    " VALUES ($1, $2, $3, $4, 'read', $5, $6, $7::jsonb)",
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

app.get('/api/v1/staff', async (req, reply) => {
  const claims = verify(req.headers.authorization);
  if (!claims) return problem(reply, 401, 'Unauthorized');
  const q = req.query;
  for (const k of Object.keys(q)) if (k !== 'limit' && k !== 'under') return problem(reply, 400, 'Bad Request');
  const limit = q.limit === undefined ? 50 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) return problem(reply, 400, 'Bad Request');
  if (q.under !== undefined && !/^[1-9][0-9]{0,17}$/.test(q.under)) return problem(reply, 400, 'Bad Request');
  const all = claims.role === 'admin' || claims.role === 'integration';
  const scope = all ? null : claims.unit ?? -1;
  const party = all || claims.role === 'manager';
  const client = await pool.connect();
  try {
    const r = await client.query({ ...STAFF_LIST, values: [scope, null, q.under ?? null, null, null, null, null,
      null, null, null, null, 'code', limit, 0, party, null] });
    const row = r.rows[0];
    const what = { query: q, returned: Number(row.returned), total: Number(row.total), format: 'json' };
    await client.query({ ...AUDIT_READ, values: [claims.sub, claims.name, randomBytes(16).toString('hex'), null,
      'staff', null, JSON.stringify(what)] });
    const body = JSON.stringify(row.j);
    return reply.header('ETag', '"' + createHash('sha1').update(body).digest('hex').slice(0, 16) + '"')
      .type('application/json; charset=utf-8').send(body);
  } finally {
    client.release();
  }
});

app.listen({ host: '127.0.0.1', port: Number(process.env.PEER_PORT || 18183) }).then((addr) => {
  console.log('peer listening on ' + addr);
});
