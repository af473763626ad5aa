-- Written by `espresso new --preset auth-service`: the accounts, refresh tokens and failed-login
-- counts of the authentication service. Migrations are history: change the schema in a new file.

CREATE TABLE auth_users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Normalised (NFKC, trimmed, lower case) by the service, so one address is one account.
  email text NOT NULL,
  -- scrypt, with its parameters: $scrypt$ln=17,r=8,p=1$<salt>$<hash>
  password_hash text NOT NULL,
  roles text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT auth_users_email_key UNIQUE (email)
);

-- Only a SHA-256 of each refresh token is stored. Tokens descended from one login share a
-- family: presenting a token already used revokes the whole family.
CREATE TABLE auth_refresh_tokens (
  token_hash bytea PRIMARY KEY,
  family_id uuid NOT NULL,
  user_id uuid NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT auth_refresh_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth_users (id) ON DELETE CASCADE
);

CREATE INDEX auth_refresh_tokens_family_id_idx ON auth_refresh_tokens (family_id);
CREATE INDEX auth_refresh_tokens_user_id_idx ON auth_refresh_tokens (user_id);

-- Failed logins per key (`account:<email>`, `client:<address>`) in the current window.
CREATE TABLE auth_login_failures (
  key text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  failures integer NOT NULL
);
