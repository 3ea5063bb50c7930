-- A version per engine document, so writers that read, change and write one (a static role's
-- settings, its rotation's phases) go over the version they read instead of undoing each other.
ALTER TABLE engine_docs ADD COLUMN version bigint NOT NULL DEFAULT 0;
