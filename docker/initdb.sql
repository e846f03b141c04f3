-- Run once by the postgres image when the database is first created (as POSTGRES_USER, a
-- superuser, in POSTGRES_DB): the extensions the migrations rely on.
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS unaccent;
