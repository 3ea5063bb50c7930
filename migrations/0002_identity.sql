-- Identity and trust: the data-key ring, per-install keys, ACL policies and auth-method config.
-- Tokens and AppRole secret IDs live in the lease/token store (Redis), not here.

-- AES-256-GCM data keys, one per term. Each key is itself sealed under LESSOR_MASTER_KEY, so a
-- dump of this database reveals nothing without the master key. The highest term seals new data.
CREATE TABLE keyring (
  term         integer PRIMARY KEY CHECK (term > 0),
  sealed_key   text NOT NULL,
  installed_at timestamptz NOT NULL DEFAULT now()
);

-- Per-install secret keys (the audit HMAC key, the AppRole secret-ID HMAC key), sealed by the
-- keyring. Created on first use; never returned by the API.
CREATE TABLE install_keys (
  name       text PRIMARY KEY,
  sealed     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Vault ACL policies: the text as the operator wrote it (JSON or HCL) and its parsed rules.
CREATE TABLE acl_policies (
  name       text PRIMARY KEY,
  policy     text NOT NULL,
  rules      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE approle_roles (
  name       text PRIMARY KEY,
  role_id    text NOT NULL UNIQUE,
  settings   jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jwt_auth_config (
  id         smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  settings   jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jwt_auth_roles (
  name       text PRIMARY KEY,
  settings   jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Human logins: password_hash is an argon2id PHC string (parameters travel inside it).
CREATE TABLE userpass_users (
  name          text PRIMARY KEY,
  password_hash text NOT NULL,
  settings      jsonb NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
