-- Items the API sent that cannot be stored (no id, an unparseable updated_at, a value too large
-- for its column): set aside here so the rest of their batch and resource still load and the
-- watermark still moves. Each later run fetches the unresolved ones again by id; when one stores,
-- its row gets resolved_at.

CREATE TABLE understory.rejected_items (
    company_id    text        NOT NULL,
    resource      text        NOT NULL,
    item_key      text        NOT NULL,
    item_id       text,
    reason        text        NOT NULL,
    raw_text      text        NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    first_run_id  bigint      REFERENCES understory.sync_runs (id),
    last_run_id   bigint      REFERENCES understory.sync_runs (id),
    resolved_at   timestamptz,
    PRIMARY KEY (company_id, resource, item_key)
);
COMMENT ON TABLE understory.rejected_items IS 'API items understory-sync could not store (no id, unparseable or missing timestamps or required fields, values out of range for their column). The rest of the data loaded normally. Each run re-fetches unresolved rows by id and resolves them once they store; a row without item_id cannot be re-fetched: set resolved_at yourself once dealt with.';
COMMENT ON COLUMN understory.rejected_items.company_id IS 'Understory account (company) the item came from.';
COMMENT ON COLUMN understory.rejected_items.resource IS 'Resource as --resource names it: bookings, orders, events or experiences (an order whose line items, refunds or transactions cannot be stored is an orders row; reason names the child).';
COMMENT ON COLUMN understory.rejected_items.item_key IS 'Key of the row within its resource: item_id, or for an item without an id ''sha256:'' and the hex SHA-256 of raw_text (so the same id-less item seen again is one row).';
COMMENT ON COLUMN understory.rejected_items.item_id IS 'The item''s API id; NULL when the item had none.';
COMMENT ON COLUMN understory.rejected_items.reason IS 'Why it could not be stored: the field and what is wrong with it (from the last time it was seen).';
COMMENT ON COLUMN understory.rejected_items.raw_text IS 'The item''s JSON as the API last sent it (\u0000 escapes replaced by \ufffd); may hold customer data, like the raw columns.';
COMMENT ON COLUMN understory.rejected_items.first_seen_at IS 'When a run first rejected it.';
COMMENT ON COLUMN understory.rejected_items.last_seen_at IS 'When a run last rejected it.';
COMMENT ON COLUMN understory.rejected_items.first_run_id IS 'sync_runs.id of the run that first rejected it.';
COMMENT ON COLUMN understory.rejected_items.last_run_id IS 'sync_runs.id of the run that last rejected it (or resolved it).';
COMMENT ON COLUMN understory.rejected_items.resolved_at IS 'When it was stored after all, or found gone (404 on re-fetch); NULL while unresolved. A later rejection of the same item clears it again.';
CREATE INDEX rejected_items_unresolved_idx ON understory.rejected_items (company_id, resource) WHERE resolved_at IS NULL;

COMMENT ON COLUMN understory.sync_runs.counts IS 'Per resource: {"orders": {"inserted": n, "updated": n, "unchanged": n, "deleted": n, "pages": n, "requests": n, "restarts": n, "child_rows": n, "sanitized": n (items stored with U+FFFD for U+0000), "rejected": n (items set aside in rejected_items), "resolved": n (earlier rejected items stored or gone)}, …}, plus "http": {"requests", "retries", "rate_limited"} for the whole run.';
