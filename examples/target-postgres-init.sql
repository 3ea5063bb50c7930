-- Demo target database: a table to read and a group role that holds the grants. lessor creates
-- each short-lived user IN ROLE app_read, so creating and dropping users never rewrites table
-- ACLs (per-table GRANTs slow down as live users grow and fail at ~2,445 grantees per table).
CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO items (name) VALUES ('first'), ('second');
CREATE ROLE app_read NOLOGIN;
GRANT USAGE ON SCHEMA public TO app_read;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO app_read;
