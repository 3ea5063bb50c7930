-- Vault's token roles (auth/token/roles/:name): what auth/token/create/:name may hand out.
CREATE TABLE token_roles (
  name       text PRIMARY KEY,
  settings   jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
