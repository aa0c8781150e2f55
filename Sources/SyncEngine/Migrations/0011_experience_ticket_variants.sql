-- Ticket variants of each experience (GET /v1/experiences/{id}/ticket-variants) with their catalog prices.

CREATE TABLE understory.experience_ticket_variants (
    company_id    text        NOT NULL,
    experience_id text        NOT NULL,
    id            text        NOT NULL,
    position      integer     NOT NULL,
    name          text,
    currency      text,
    price         numeric,
    price_minor   bigint,
    raw           jsonb       NOT NULL,
    _synced_at    timestamptz NOT NULL DEFAULT now(),
    _run_id       bigint,
    PRIMARY KEY (company_id, experience_id, id)
);
COMMENT ON TABLE understory.experience_ticket_variants IS 'Ticket variants of each experience with their catalog prices (GET /v1/experiences/{id}/ticket-variants): fetched for new or changed experiences only, replaced with the experience in one transaction and removed when the experience is confirmed deleted. Left out with sync --skip-resource ticket-variants.';
COMMENT ON COLUMN understory.experience_ticket_variants.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.experience_ticket_variants.experience_id IS 'The experience (experiences.id).';
COMMENT ON COLUMN understory.experience_ticket_variants.id IS 'Ticket variant id (booking_ticket_items.type_id of a VARIANT item).';
COMMENT ON COLUMN understory.experience_ticket_variants.position IS 'Position of the variant in the experience''s list, from 1.';
COMMENT ON COLUMN understory.experience_ticket_variants.name IS 'Variant name in the language the sync requested (Accept-Language); the field name is not documented.';
COMMENT ON COLUMN understory.experience_ticket_variants.currency IS 'ISO 4217 currency of price.';
COMMENT ON COLUMN understory.experience_ticket_variants.price IS 'Catalog price in major units, exact.';
COMMENT ON COLUMN understory.experience_ticket_variants.price_minor IS 'price.value as sent (minor units).';
COMMENT ON COLUMN understory.experience_ticket_variants.raw IS 'The variant exactly as the API sent it, its nested add-ons (raw->''addons'') included.';
COMMENT ON COLUMN understory.experience_ticket_variants._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.experience_ticket_variants._run_id IS 'sync_runs.id of the run that last wrote this row.';
-- Booking ticket items find their variant by (company_id, type_id).
CREATE INDEX experience_ticket_variants_id_idx ON understory.experience_ticket_variants (company_id, id);
