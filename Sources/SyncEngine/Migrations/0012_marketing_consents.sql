-- Marketing consents (GET /v1/marketing-consents, scope marketing.read): no timestamps, a full pass each run.

CREATE TABLE understory.marketing_consents (
    company_id  text        NOT NULL,
    id          text        NOT NULL,
    full_name   text,
    email       text,
    source      text,
    booking_id  text,
    raw         jsonb       NOT NULL,
    _synced_at  timestamptz NOT NULL DEFAULT now(),
    _run_id     bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (company_id, id)
);
COMMENT ON TABLE understory.marketing_consents IS 'Marketing consents (GET /v1/marketing-consents): who agreed to receive marketing, and where. The API sends no timestamps, so every run reads the whole list. Synced only when the key has the marketing.read scope (requested in UNDERSTORY_SCOPES); left out with sync --skip-resource marketing-consents. full_name and email are personal data.';
COMMENT ON COLUMN understory.marketing_consents.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.marketing_consents.id IS 'Consent id from the API.';
COMMENT ON COLUMN understory.marketing_consents.full_name IS 'Name of the person who consented (personal data).';
COMMENT ON COLUMN understory.marketing_consents.email IS 'E-mail address the consent covers (personal data).';
COMMENT ON COLUMN understory.marketing_consents.source IS 'Where the consent was given, as sent by the API (its values are not documented).';
COMMENT ON COLUMN understory.marketing_consents.booking_id IS 'The booking the consent was given with (bookings.id): the id of its reference of type BOOKING, whose shape is not documented. NULL without one (legacy rows have no references).';
COMMENT ON COLUMN understory.marketing_consents.raw IS 'The consent exactly as the API sent it, its references (raw->''references'') included.';
COMMENT ON COLUMN understory.marketing_consents._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.marketing_consents._run_id IS 'sync_runs.id of the run that last wrote this row.';
COMMENT ON COLUMN understory.marketing_consents._deleted_at IS 'When the consent was confirmed withdrawn: a complete pass of /v1/marketing-consents no longer listed it and GET /v1/marketing-consents/{id} answered 404. NULL while it exists; cleared if it is listed again.';
CREATE INDEX marketing_consents_booking_idx ON understory.marketing_consents (company_id, booking_id);
