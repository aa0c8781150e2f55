-- Webhooks: subscriptions made by `understory-sync webhooks subscribe` (secret sealed) and the
-- inbox that `understory-sync serve` writes every verified delivery to before acknowledging it.

CREATE TABLE understory.webhook_subscriptions (
    company_id     text        NOT NULL,
    id             text        NOT NULL,
    url            text        NOT NULL,
    event_types    text[]      NOT NULL DEFAULT ARRAY[]::text[],
    state          text,
    secret_sealed  bytea       NOT NULL,
    token_key_id   text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id)
);
COMMENT ON TABLE understory.webhook_subscriptions IS 'Webhook subscriptions created with understory-sync webhooks subscribe; serve verifies deliveries with their secrets.';
COMMENT ON COLUMN understory.webhook_subscriptions.company_id IS 'The Understory company (account) the subscription belongs to.';
COMMENT ON COLUMN understory.webhook_subscriptions.id IS 'Subscription id from POST /v1/webhook-subscriptions.';
COMMENT ON COLUMN understory.webhook_subscriptions.url IS 'The public URL Understory delivers to.';
COMMENT ON COLUMN understory.webhook_subscriptions.event_types IS 'Event types subscribed to (v1.booking.created, …).';
COMMENT ON COLUMN understory.webhook_subscriptions.state IS 'ENABLED or DISABLED, as the API answered.';
COMMENT ON COLUMN understory.webhook_subscriptions.secret_sealed IS 'The signing secret (returned once by the API), AES-256-GCM sealed with UNDERSTORY_TOKEN_KEY (nonce ‖ ciphertext ‖ tag; company id and subscription id authenticated). Unreadable without the key.';
COMMENT ON COLUMN understory.webhook_subscriptions.token_key_id IS 'First 16 hex digits of SHA-256 of the key that sealed the secret, to name a wrong key. Not secret.';
COMMENT ON COLUMN understory.webhook_subscriptions.created_at IS 'When the subscription was stored here.';

CREATE TABLE understory.webhook_inbox (
    id               bigserial   PRIMARY KEY,
    company_id       text        NOT NULL,
    webhook_id       text        NOT NULL,
    event_type       text        NOT NULL,
    resource         text,
    resource_id      text,
    body             text        NOT NULL,
    sent_at          timestamptz,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'parked')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    received_at      timestamptz NOT NULL DEFAULT now(),
    processed_at     timestamptz,
    UNIQUE (company_id, webhook_id)
);
CREATE INDEX webhook_inbox_pending ON understory.webhook_inbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_inbox_processed ON understory.webhook_inbox (processed_at) WHERE status = 'processed';
COMMENT ON TABLE understory.webhook_inbox IS 'Every verified webhook delivery, stored before serve acknowledges it; a worker fetches the named item and upserts it. Processed rows are pruned after 7 days. Rows written by the worker carry _run_id = -(inbox id).';
COMMENT ON COLUMN understory.webhook_inbox.id IS 'Inbox row id; the rows the worker writes record -id in their _run_id.';
COMMENT ON COLUMN understory.webhook_inbox.company_id IS 'The account whose secret verified the delivery.';
COMMENT ON COLUMN understory.webhook_inbox.webhook_id IS 'The webhook-id header: the same on every retry or duplicate of a message, so each is stored once.';
COMMENT ON COLUMN understory.webhook_inbox.event_type IS 'The message type (v1.booking.updated, …).';
COMMENT ON COLUMN understory.webhook_inbox.resource IS 'bookings, events or experiences; NULL for a type this tool does not sync.';
COMMENT ON COLUMN understory.webhook_inbox.resource_id IS 'The id of the item the message is about (payload booking_id, event_id or experience_id).';
COMMENT ON COLUMN understory.webhook_inbox.body IS 'The delivery body exactly as received (thin: ids only).';
COMMENT ON COLUMN understory.webhook_inbox.sent_at IS 'The webhook-timestamp header.';
COMMENT ON COLUMN understory.webhook_inbox.status IS 'pending (to process), processed (item stored), parked (gave up after 10 attempts; see last_error).';
COMMENT ON COLUMN understory.webhook_inbox.attempts IS 'Processing attempts that failed so far.';
COMMENT ON COLUMN understory.webhook_inbox.last_error IS 'Why the last attempt failed (one line, never a secret).';
COMMENT ON COLUMN understory.webhook_inbox.next_attempt_at IS 'When a pending row is due (later after each failure: back-off).';
COMMENT ON COLUMN understory.webhook_inbox.received_at IS 'When serve stored the delivery.';
COMMENT ON COLUMN understory.webhook_inbox.processed_at IS 'When the item was stored (or the row parked).';
