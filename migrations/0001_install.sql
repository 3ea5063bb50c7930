-- One row per install: identity of this lessor deployment and when it was first bootstrapped.
CREATE TABLE install (
  id           smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  install_id   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  bootstrapped boolean NOT NULL DEFAULT false
);
