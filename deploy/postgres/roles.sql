-- parkdesk — what the services need from PostgreSQL: one login role and one
-- schema per service, nothing more. Idempotent; run it as a superuser (or the
-- database owner with CREATEROLE) in the parkdesk database, before the first
-- rollout and after adding a service:
--
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v dbname=parkdesk \
--        -v intake_password=... -v liaison_password=... -v approval_password=... \
--        -v policy_password=... -v sla_password=... -f deploy/postgres/roles.sql
--
-- Each service then connects as itself:
--   DATABASE_URL=postgres://sla:<sla_password>@pg-primary:5432/parkdesk?sslmode=verify-full
-- and, at start-up (or in its migration Job), migrates its own schema — the
-- schema named like the service (pkg/db) — with goose under an advisory lock.
--
-- Least privilege:
--   * a service's role owns its schema and nothing else; it has no USAGE on any
--     other service's schema, so "no service reads another service's tables"
--     is enforced by the database, not only by convention;
--   * PUBLIC loses every right on the database and on schema public;
--   * no role is superuser, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS.
-- One right is wider than it should be: CREATE on the database. pkg/db runs
-- `CREATE SCHEMA IF NOT EXISTS <service>` at every start, and PostgreSQL checks
-- the database CREATE right before it looks whether the schema exists. Once
-- pkg/db skips that statement when the schema is there, drop the GRANT CREATE
-- line below (a service could otherwise create new, empty schemas of its own;
-- it still cannot read or change anyone else's).
--
-- The cluster test (make chaos) applies this file with psql and runs every
-- service as its role.

\set ON_ERROR_STOP on

REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- intake
SELECT 'CREATE ROLE intake' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'intake') \gexec
ALTER ROLE intake LOGIN PASSWORD :'intake_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    CONNECTION LIMIT 250;
ALTER ROLE intake SET idle_in_transaction_session_timeout = '60s';
GRANT CONNECT, TEMPORARY ON DATABASE :"dbname" TO intake;
GRANT CREATE ON DATABASE :"dbname" TO intake; -- see above: until pkg/db stops re-creating its schema
CREATE SCHEMA IF NOT EXISTS intake AUTHORIZATION intake;
ALTER SCHEMA intake OWNER TO intake;
REVOKE ALL ON SCHEMA intake FROM PUBLIC;

-- liaison
SELECT 'CREATE ROLE liaison' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'liaison') \gexec
ALTER ROLE liaison LOGIN PASSWORD :'liaison_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    CONNECTION LIMIT 250;
ALTER ROLE liaison SET idle_in_transaction_session_timeout = '60s';
GRANT CONNECT, TEMPORARY ON DATABASE :"dbname" TO liaison;
GRANT CREATE ON DATABASE :"dbname" TO liaison; -- see above: until pkg/db stops re-creating its schema
CREATE SCHEMA IF NOT EXISTS liaison AUTHORIZATION liaison;
ALTER SCHEMA liaison OWNER TO liaison;
REVOKE ALL ON SCHEMA liaison FROM PUBLIC;

-- approval
SELECT 'CREATE ROLE approval' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'approval') \gexec
ALTER ROLE approval LOGIN PASSWORD :'approval_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    CONNECTION LIMIT 250;
ALTER ROLE approval SET idle_in_transaction_session_timeout = '60s';
GRANT CONNECT, TEMPORARY ON DATABASE :"dbname" TO approval;
GRANT CREATE ON DATABASE :"dbname" TO approval; -- see above: until pkg/db stops re-creating its schema
CREATE SCHEMA IF NOT EXISTS approval AUTHORIZATION approval;
ALTER SCHEMA approval OWNER TO approval;
REVOKE ALL ON SCHEMA approval FROM PUBLIC;

-- policy
SELECT 'CREATE ROLE policy' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'policy') \gexec
ALTER ROLE policy LOGIN PASSWORD :'policy_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    CONNECTION LIMIT 250;
ALTER ROLE policy SET idle_in_transaction_session_timeout = '60s';
GRANT CONNECT, TEMPORARY ON DATABASE :"dbname" TO policy;
GRANT CREATE ON DATABASE :"dbname" TO policy; -- see above: until pkg/db stops re-creating its schema
CREATE SCHEMA IF NOT EXISTS policy AUTHORIZATION policy;
ALTER SCHEMA policy OWNER TO policy;
REVOKE ALL ON SCHEMA policy FROM PUBLIC;

-- sla
SELECT 'CREATE ROLE sla' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sla') \gexec
ALTER ROLE sla LOGIN PASSWORD :'sla_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    CONNECTION LIMIT 250;
ALTER ROLE sla SET idle_in_transaction_session_timeout = '60s';
GRANT CONNECT, TEMPORARY ON DATABASE :"dbname" TO sla;
GRANT CREATE ON DATABASE :"dbname" TO sla; -- see above: until pkg/db stops re-creating its schema
CREATE SCHEMA IF NOT EXISTS sla AUTHORIZATION sla;
ALTER SCHEMA sla OWNER TO sla;
REVOKE ALL ON SCHEMA sla FROM PUBLIC;

-- Read-only monitoring (pg_stat_*, replication lag) for the metrics exporter.
SELECT 'CREATE ROLE parkdesk_monitor' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'parkdesk_monitor') \gexec
ALTER ROLE parkdesk_monitor NOLOGIN;
GRANT pg_monitor TO parkdesk_monitor;
