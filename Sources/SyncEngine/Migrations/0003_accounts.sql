-- Accounts connected by a third-party app (authorization_code + refresh tokens). An internal
-- integration key needs no row here: its one company comes from /v1/me.

CREATE TABLE understory.accounts (
    company_id               text        PRIMARY KEY,
    company_name             text,
    user_id                  text,
    email                    text,
    client_id                text        NOT NULL,
    scopes                   text[]      NOT NULL DEFAULT ARRAY[]::text[],
    status                   text        NOT NULL DEFAULT 'active'
                                         CHECK (status IN ('active', 'needs_reconnect', 'disconnected')),
    status_reason            text,
    status_changed_at        timestamptz NOT NULL DEFAULT now(),
    refresh_token_sealed     bytea,
    token_key_id             text,
    token_generation         bigint      NOT NULL DEFAULT 0,
    refresh_token_rotated_at timestamptz,
    connected_at             timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'disconnected') = (refresh_token_sealed IS NULL))
);
COMMENT ON TABLE understory.accounts IS 'Understory companies that granted this third-party app access (understory-sync accounts connect). Their data is in the resource tables under the same company_id.';
COMMENT ON COLUMN understory.accounts.company_id IS 'Understory company id, from /v1/me at connect time; keys every synced row of this account.';
COMMENT ON COLUMN understory.accounts.company_name IS 'Company name from /v1/me at connect time.';
COMMENT ON COLUMN understory.accounts.user_id IS 'The Understory user who granted access.';
COMMENT ON COLUMN understory.accounts.email IS 'That user''s e-mail, if /v1/me gave one.';
COMMENT ON COLUMN understory.accounts.client_id IS 'Client id of the third-party app the grant belongs to (refreshing needs the same app).';
COMMENT ON COLUMN understory.accounts.scopes IS 'Scopes granted (from the token response).';
COMMENT ON COLUMN understory.accounts.status IS 'active; needs_reconnect (the refresh token was rejected: consent revoked — run accounts connect again); disconnected (accounts disconnect; token deleted, data kept).';
COMMENT ON COLUMN understory.accounts.status_reason IS 'Why the status last changed (one line, never a token).';
COMMENT ON COLUMN understory.accounts.status_changed_at IS 'When the status last changed.';
COMMENT ON COLUMN understory.accounts.refresh_token_sealed IS 'The refresh token, AES-256-GCM sealed with UNDERSTORY_TOKEN_KEY (nonce ‖ ciphertext ‖ tag; the company id is authenticated data). NULL once disconnected. Unreadable without the key.';
COMMENT ON COLUMN understory.accounts.token_key_id IS 'First 16 hex digits of SHA-256 of the key that sealed the token, to name a wrong key. Not secret.';
COMMENT ON COLUMN understory.accounts.token_generation IS 'Counts refresh-token rotations; each rotation is committed before its access token is used.';
COMMENT ON COLUMN understory.accounts.refresh_token_rotated_at IS 'When the refresh token last rotated (last successful refresh).';
COMMENT ON COLUMN understory.accounts.connected_at IS 'When the account was (last) connected.';
