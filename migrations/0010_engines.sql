-- Secrets engines: named configs (one engine instance each), roles, plugin documents and
-- per-mount secret keys. Secret values are sealed by the keyring (text columns of sealed strings,
-- rewrapped in the background after sys/rotate); everything else is plain JSON.

CREATE TABLE engine_configs (
  mount      text NOT NULL,
  name       text NOT NULL,
  plugin     text NOT NULL,
  -- The config without its secret paths.
  config     jsonb NOT NULL,
  -- JSON object {dotted path: value} of the secret paths, sealed whole; NULL when there are none.
  secrets    text,
  -- Bumped on every write: replicas compare it to their cached engine instance.
  version    bigint NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mount, name)
);

CREATE TABLE engine_roles (
  mount      text NOT NULL,
  name       text NOT NULL,
  role       jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mount, name)
);

-- Plugin-owned documents (static roles, key versions): JSON sealed whole.
CREATE TABLE engine_docs (
  mount      text NOT NULL,
  kind       text NOT NULL,
  name       text NOT NULL,
  sealed     text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mount, kind, name)
);

-- EngineContext.secretKey: 32 random bytes per mount and name, made once (first writer wins).
CREATE TABLE engine_secret_keys (
  mount      text NOT NULL,
  name       text NOT NULL,
  sealed     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mount, name)
);
