#!/bin/sh
# Run once by the postgres image when the database is first created (as POSTGRES_USER, a
# superuser, in POSTGRES_DB): the two roles (docs/operations.md, "Two database roles"), the
# database owned by the owner role, and the extensions the migrations rely on.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_pw="${BDHVS_OWNER_PASSWORD:?}" -v app_pw="${BDHVS_APP_PASSWORD:?}" <<'SQL'
CREATE ROLE bdhvs_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_pw';
CREATE ROLE bdhvs_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_pw';
SELECT format('ALTER DATABASE %I OWNER TO bdhvs_owner', current_database()) \gexec
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS unaccent;
SQL
