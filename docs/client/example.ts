// A typed client for bdhvs, for frontend developers: the types come from openapi.yaml
// (openapi-typescript, `npm run generate` writes api.d.ts), the requests go through openapi-fetch.
// scripts/test generates the types and checks this file with `tsc --strict --noEmit`, so it
// stays true to the contract.
//
//   cd docs/client && npm ci && npm run generate && npm run check
//
// Lists and the rollup are typed as JSON with no media-type filter: their 200 documents JSON
// only. The CSV of the same operation is asked for with `format: "csv"` and read as text.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./api";

type Schemas = components["schemas"];

// Compile-time equality: the build fails when a type is not exactly what is expected.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

// ---- a client that signs in, sends the access token, and refreshes it from the cookie ----

const baseUrl = "http://127.0.0.1:8080";
let accessToken: string | undefined;

const auth: Middleware = {
  onRequest({ request }) {
    if (accessToken !== undefined) request.headers.set("Authorization", `Bearer ${accessToken}`);
    return request;
  },
};

// credentials: "include" sends the HttpOnly refresh cookie (BDHVS_REFRESH_COOKIE) to
// /api/v1/auth/*; the page's script never sees the refresh token itself.
export const api = createClient<paths>({ baseUrl, credentials: "include" });
api.use(auth);

export async function signIn(username: string, password: string): Promise<boolean> {
  const { data, error } = await api.POST("/api/v1/auth/login", {
    body: { username, password, refresh_cookie: true },
  });
  if (error !== undefined) {
    console.error(`sign-in refused: ${error.title} (${error.status}): ${error.detail}`);
    return false;
  }
  assertType<Equals<typeof data, Schemas["TokenPair"]>>();
  accessToken = data.access_token;
  return true;
}

// A new access token from the refresh cookie: no body; the browser sends the cookie and Origin.
export async function refresh(): Promise<boolean> {
  const { data } = await api.POST("/api/v1/auth/refresh", {});
  accessToken = data?.access_token;
  return data !== undefined;
}

export async function signOut(): Promise<void> {
  await api.POST("/api/v1/auth/logout", {});
  accessToken = undefined;
}

// ---- lists are JSON ----

export async function unitNames(q: string): Promise<string[]> {
  const { data, error } = await api.GET("/api/v1/units", { params: { query: { q, limit: 100 } } });
  if (error !== undefined) throw new Error(error.detail);
  // Exactly the list type: not `UnitList | string`.
  assertType<Equals<typeof data, Schemas["UnitList"]>>();
  return data.items.map((u) => `${u.code} ${u.name}`);
}

export async function staffWithoutCourse(unitId: number): Promise<Schemas["Staff"][]> {
  const { data } = await api.GET("/api/v1/staff", {
    params: { query: { under: unitId, has_completion: false, active: true } },
  });
  // JSON only; `?missing=` answers the other shape (the staff who do not count yet, and why).
  assertType<Equals<typeof data, Schemas["StaffList"] | Schemas["StaffMissingList"] | undefined>>();
  return data?.items ?? [];
}

// ---- the rollup is JSON ----

export async function rollupBars(unitId: number, period: string): Promise<string[]> {
  const { data, error } = await api.GET("/api/v1/indicators/rollup", {
    params: { query: { unit_id: unitId, period, depth: 1 } },
  });
  if (error !== undefined) throw new Error(`${error.status}: ${error.detail}`);
  assertType<Equals<typeof data, Schemas["IndicatorRollup"]>>();
  const lines: string[] = [];
  for (const unit of data.units) {
    for (const ind of unit.indicators) {
      const value = ind.value === null ? "–" : `${ind.value}%`;
      lines.push(`${unit.unit_code} ${ind.code}: ${ind.numerator}/${ind.denominator} = ${value}`);
    }
  }
  return lines;
}

// ---- the CSV of the same operation: format=csv, read as text ----

export async function unitsCsv(): Promise<string> {
  const { data, response } = await api.GET("/api/v1/units", {
    params: { query: { format: "csv", bom: true } },
    parseAs: "text",
  });
  assertType<Equals<typeof data, string | undefined>>();
  // attachment; filename="units-2026-11-28.csv"
  console.log(response.headers.get("Content-Disposition"));
  return data ?? "";
}

// ---- conditional reads: If-None-Match answers 304 without a body ----

const etags = new Map<string, { etag: string; body: Schemas["Unit"] }>();

export async function unitCached(id: number): Promise<Schemas["Unit"] | undefined> {
  const key = `unit:${id}`;
  const kept = etags.get(key);
  const { data, response } = await api.GET("/api/v1/units/{id}", {
    params: { path: { id } },
    headers: kept ? { "If-None-Match": kept.etag } : {},
  });
  if (response.status === 304 && kept) return kept.body;
  const etag = response.headers.get("ETag");
  if (data !== undefined && etag !== null) etags.set(key, { etag, body: data });
  return data;
}
