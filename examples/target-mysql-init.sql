-- Demo target database for the mysql engine: a table to read. MySQL 8 roles play the part of
-- PostgreSQL's group role: lessor's users are granted the role, not per-table privileges.
CREATE TABLE IF NOT EXISTS app.items (id int AUTO_INCREMENT PRIMARY KEY, name varchar(64) NOT NULL);
INSERT INTO app.items (name) VALUES ('first'), ('second');
CREATE ROLE IF NOT EXISTS app_read;
GRANT SELECT ON app.* TO app_read;
