-- understory-sync schema v1: what analysts query.
--
-- Every synced table is keyed by (company_id, id): the Understory account and the API id, both
-- text, so several accounts can share one database. `raw` holds each item exactly as the API sent
-- it; typed columns are derived from it for filtering and summing. Money is stored as exact
-- numeric in major units (value / 10^exponent) with its ISO 4217 currency, plus the integer in
-- minor units as the API sent it.

CREATE SCHEMA IF NOT EXISTS understory;
COMMENT ON SCHEMA understory IS 'Understory data kept in step by understory-sync (https://developer.understory.io). One row per API item; raw holds the item as received.';

-- ---------------------------------------------------------------------------------------------
-- Run log and sync position
-- ---------------------------------------------------------------------------------------------

CREATE TABLE understory.sync_runs (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id     text,
    command        text        NOT NULL,
    arguments      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    status         text        NOT NULL DEFAULT 'running'
                   CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted', 'abandoned')),
    counts         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error          text,
    host           text,
    pid            integer,
    version        text
);
COMMENT ON TABLE understory.sync_runs IS 'One row per understory-sync run (sync, backfill, scheduled sync). Never holds secrets.';
COMMENT ON COLUMN understory.sync_runs.id IS 'Run id; every synced row records the run that last wrote it in _run_id.';
COMMENT ON COLUMN understory.sync_runs.company_id IS 'Understory account (company) the run synced; NULL until the account is known.';
COMMENT ON COLUMN understory.sync_runs.command IS 'sync, backfill or schedule.';
COMMENT ON COLUMN understory.sync_runs.arguments IS 'Command-line arguments that shape the run (resources, --full, window); never credentials.';
COMMENT ON COLUMN understory.sync_runs.started_at IS 'When the run started.';
COMMENT ON COLUMN understory.sync_runs.finished_at IS 'When the run ended; NULL while running or if the process died.';
COMMENT ON COLUMN understory.sync_runs.status IS 'running, succeeded, failed, interrupted (stopped by a signal after committing its last page) or abandoned (the process died; found by a later run).';
COMMENT ON COLUMN understory.sync_runs.counts IS 'Per resource: {"orders": {"inserted": n, "updated": n, "unchanged": n, "deleted": n, "pages": n, "requests": n, "restarts": n, "child_rows": n}, …}, plus "http": {"requests", "retries", "rate_limited"} for the whole run.';
COMMENT ON COLUMN understory.sync_runs.error IS 'One-line reason the run failed, if it did.';
COMMENT ON COLUMN understory.sync_runs.host IS 'Host name of the machine that ran it.';
COMMENT ON COLUMN understory.sync_runs.pid IS 'Process id of the run, to tell a live run from a dead one.';
COMMENT ON COLUMN understory.sync_runs.version IS 'understory-sync version.';
CREATE INDEX sync_runs_started_at_idx ON understory.sync_runs (started_at DESC);

CREATE TABLE understory.sync_state (
    company_id        text        NOT NULL,
    resource          text        NOT NULL,
    watermark         timestamptz,
    last_full_pass_at timestamptz,
    last_success_at   timestamptz,
    last_run_id       bigint      REFERENCES understory.sync_runs (id),
    last_error        text,
    last_error_at     timestamptz,
    PRIMARY KEY (company_id, resource)
);
COMMENT ON TABLE understory.sync_state IS 'Sync position per account and resource. Written in the same transaction as the data it describes.';
COMMENT ON COLUMN understory.sync_state.company_id IS 'Understory account (company id from /v1/me).';
COMMENT ON COLUMN understory.sync_state.resource IS 'orders, bookings, events or experiences.';
COMMENT ON COLUMN understory.sync_state.watermark IS 'Newest updated_at committed for this resource; the next incremental run reads back to watermark minus the lookback.';
COMMENT ON COLUMN understory.sync_state.last_full_pass_at IS 'When a complete traversal of the resource (first run or --full) last finished.';
COMMENT ON COLUMN understory.sync_state.last_success_at IS 'When a run last finished this resource without error.';
COMMENT ON COLUMN understory.sync_state.last_run_id IS 'The run that last committed data for this resource.';
COMMENT ON COLUMN understory.sync_state.last_error IS 'Why the last failed run of this resource failed; cleared by a success.';
COMMENT ON COLUMN understory.sync_state.last_error_at IS 'When last_error happened.';

-- ---------------------------------------------------------------------------------------------
-- Orders and their children
-- ---------------------------------------------------------------------------------------------

CREATE TABLE understory.orders (
    company_id            text        NOT NULL,
    id                    text        NOT NULL,
    number                text,
    status                text        NOT NULL,
    payment_status        text,
    customer_type         text,
    customer_name         text,
    customer_company_name text,
    customer_email        text,
    customer_phone        text,
    customer_country      text,
    origin_type           text,
    origin_id             text,
    currency              text,
    total_amount          numeric,
    total_amount_minor    bigint,
    discount_amount       numeric,
    vat_amount            numeric,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    raw                   jsonb       NOT NULL,
    _synced_at            timestamptz NOT NULL DEFAULT now(),
    _run_id               bigint,
    _deleted_at           timestamptz,
    PRIMARY KEY (company_id, id)
);
COMMENT ON TABLE understory.orders IS 'Orders (GET /v1/orders): what customers bought and paid. Money columns are exact major units in currency.';
COMMENT ON COLUMN understory.orders.company_id IS 'Understory account (company) the order belongs to.';
COMMENT ON COLUMN understory.orders.id IS 'Order id from the API.';
COMMENT ON COLUMN understory.orders.number IS 'Sequential human-readable order number.';
COMMENT ON COLUMN understory.orders.status IS 'PENDING, COMPLETED or CANCELLED (other values are kept as sent).';
COMMENT ON COLUMN understory.orders.payment_status IS 'UNPAID, PAID, PARTIALLY_PAID, REFUNDED or PARTIALLY_REFUNDED.';
COMMENT ON COLUMN understory.orders.customer_type IS 'PRIVATE or COMPANY.';
COMMENT ON COLUMN understory.orders.customer_name IS 'Customer full name (private customers).';
COMMENT ON COLUMN understory.orders.customer_company_name IS 'Company name (company customers).';
COMMENT ON COLUMN understory.orders.customer_email IS 'Customer e-mail address.';
COMMENT ON COLUMN understory.orders.customer_phone IS 'Customer phone number.';
COMMENT ON COLUMN understory.orders.customer_country IS 'Country of the customer address.';
COMMENT ON COLUMN understory.orders.origin_type IS 'What created the order (origin.type), e.g. a booking or a gift card purchase.';
COMMENT ON COLUMN understory.orders.origin_id IS 'Id of the origin (origin.id), e.g. the booking id.';
COMMENT ON COLUMN understory.orders.currency IS 'ISO 4217 currency of totals.amount; discount_amount and vat_amount are in their own Money currency, which the API has always sent equal to it (see raw).';
COMMENT ON COLUMN understory.orders.total_amount IS 'totals.amount in major units (value / 10^exponent), exact.';
COMMENT ON COLUMN understory.orders.total_amount_minor IS 'totals.amount.value as sent: integer minor units.';
COMMENT ON COLUMN understory.orders.discount_amount IS 'totals.discount in major units, exact.';
COMMENT ON COLUMN understory.orders.vat_amount IS 'totals.vat_amount in major units, exact.';
COMMENT ON COLUMN understory.orders.created_at IS 'When the order was created (API created_at).';
COMMENT ON COLUMN understory.orders.updated_at IS 'When the order last changed (API updated_at).';
COMMENT ON COLUMN understory.orders.raw IS 'The order exactly as the API sent it.';
COMMENT ON COLUMN understory.orders._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.orders._run_id IS 'sync_runs.id of the run that last wrote this row.';
COMMENT ON COLUMN understory.orders._deleted_at IS 'Reserved for an order confirmed gone from the API (a GET answering 404); this version never sets it (the API has no order deletions or tombstones).';
CREATE INDEX orders_updated_at_idx ON understory.orders (company_id, updated_at);
CREATE INDEX orders_created_at_idx ON understory.orders (company_id, created_at);
CREATE INDEX orders_status_idx ON understory.orders (company_id, status, payment_status);
CREATE INDEX orders_origin_idx ON understory.orders (company_id, origin_id);

CREATE TABLE understory.order_line_items (
    company_id       text    NOT NULL,
    order_id         text    NOT NULL,
    line_number      integer NOT NULL,
    product_type     text,
    product_id       text,
    experience_id    text,
    quantity         integer NOT NULL,
    currency         text,
    unit_price       numeric,
    unit_price_minor bigint,
    unit_vat_amount  numeric,
    line_total       numeric GENERATED ALWAYS AS (quantity * unit_price) STORED,
    raw              jsonb   NOT NULL,
    _synced_at       timestamptz NOT NULL DEFAULT now(),
    _run_id          bigint,
    PRIMARY KEY (company_id, order_id, line_number)
);
COMMENT ON TABLE understory.order_line_items IS 'Line items of each order (GET /v1/orders/{id}/line-items). The API gives no line id, so rows are keyed by position; they are replaced whole whenever the order changes.';
COMMENT ON COLUMN understory.order_line_items.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.order_line_items.order_id IS 'The order (orders.id).';
COMMENT ON COLUMN understory.order_line_items.line_number IS 'Position of the line in the API response, from 1.';
COMMENT ON COLUMN understory.order_line_items.product_type IS 'TICKET, GIFTCARD or TICKET_ADDON.';
COMMENT ON COLUMN understory.order_line_items.product_id IS 'Id of the product sold (ticket variant, add-on or gift card).';
COMMENT ON COLUMN understory.order_line_items.experience_id IS 'Experience of a ticket line (details.experience_id), when given.';
COMMENT ON COLUMN understory.order_line_items.quantity IS 'Units sold.';
COMMENT ON COLUMN understory.order_line_items.currency IS 'ISO 4217 currency of unit_price.';
COMMENT ON COLUMN understory.order_line_items.unit_price IS 'Price per unit in major units, exact.';
COMMENT ON COLUMN understory.order_line_items.unit_price_minor IS 'unit_price.value as sent (minor units).';
COMMENT ON COLUMN understory.order_line_items.unit_vat_amount IS 'VAT per unit in major units, exact.';
COMMENT ON COLUMN understory.order_line_items.line_total IS 'quantity × unit_price in major units.';
COMMENT ON COLUMN understory.order_line_items.raw IS 'The line item exactly as the API sent it.';
COMMENT ON COLUMN understory.order_line_items._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.order_line_items._run_id IS 'sync_runs.id of the run that last wrote this row.';
CREATE INDEX order_line_items_product_idx ON understory.order_line_items (company_id, product_id);

CREATE TABLE understory.order_refunds (
    company_id     text        NOT NULL,
    order_id       text        NOT NULL,
    id             text        NOT NULL,
    status         text        NOT NULL,
    transaction_id text,
    currency       text,
    amount         numeric,
    amount_minor   bigint,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    raw            jsonb       NOT NULL,
    _synced_at     timestamptz NOT NULL DEFAULT now(),
    _run_id        bigint,
    PRIMARY KEY (company_id, order_id, id)
);
COMMENT ON TABLE understory.order_refunds IS 'Refunds of each order (GET /v1/orders/{id}/refunds), replaced whenever the order changes.';
COMMENT ON COLUMN understory.order_refunds.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.order_refunds.order_id IS 'The order (orders.id).';
COMMENT ON COLUMN understory.order_refunds.id IS 'Refund id.';
COMMENT ON COLUMN understory.order_refunds.status IS 'INITIATED, COMPLETED, FAILED or CANCELLED.';
COMMENT ON COLUMN understory.order_refunds.transaction_id IS 'The transaction refunded (order_transactions.id).';
COMMENT ON COLUMN understory.order_refunds.currency IS 'ISO 4217 currency of amount.';
COMMENT ON COLUMN understory.order_refunds.amount IS 'Refunded amount in major units, exact.';
COMMENT ON COLUMN understory.order_refunds.amount_minor IS 'amount.value as sent (minor units).';
COMMENT ON COLUMN understory.order_refunds.created_at IS 'When the refund was created.';
COMMENT ON COLUMN understory.order_refunds.updated_at IS 'The API sends no updated_at for refunds: equal to created_at.';
COMMENT ON COLUMN understory.order_refunds.raw IS 'The refund exactly as the API sent it.';
COMMENT ON COLUMN understory.order_refunds._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.order_refunds._run_id IS 'sync_runs.id of the run that last wrote this row.';

CREATE TABLE understory.order_transactions (
    company_id   text        NOT NULL,
    order_id     text        NOT NULL,
    id           text        NOT NULL,
    status       text,
    provider     text,
    currency     text,
    amount       numeric,
    amount_minor bigint,
    details_type text,
    gift_card_id text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    raw          jsonb       NOT NULL,
    _synced_at   timestamptz NOT NULL DEFAULT now(),
    _run_id      bigint,
    PRIMARY KEY (company_id, order_id, id)
);
COMMENT ON TABLE understory.order_transactions IS 'Payment transactions of each order (GET /v1/orders/{id}/transactions), replaced whenever the order changes.';
COMMENT ON COLUMN understory.order_transactions.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.order_transactions.order_id IS 'The order (orders.id).';
COMMENT ON COLUMN understory.order_transactions.id IS 'Transaction id.';
COMMENT ON COLUMN understory.order_transactions.status IS 'Transaction status as sent by the API.';
COMMENT ON COLUMN understory.order_transactions.provider IS 'Payment provider as sent by the API.';
COMMENT ON COLUMN understory.order_transactions.currency IS 'ISO 4217 currency of amount.';
COMMENT ON COLUMN understory.order_transactions.amount IS 'Amount in major units, exact.';
COMMENT ON COLUMN understory.order_transactions.amount_minor IS 'amount.value as sent (minor units).';
COMMENT ON COLUMN understory.order_transactions.details_type IS 'details.type, e.g. a card or gift card payment.';
COMMENT ON COLUMN understory.order_transactions.gift_card_id IS 'details.gift_card_id for gift card payments.';
COMMENT ON COLUMN understory.order_transactions.created_at IS 'When the transaction was created.';
COMMENT ON COLUMN understory.order_transactions.updated_at IS 'The API sends no updated_at for transactions: equal to created_at.';
COMMENT ON COLUMN understory.order_transactions.raw IS 'The transaction exactly as the API sent it.';
COMMENT ON COLUMN understory.order_transactions._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.order_transactions._run_id IS 'sync_runs.id of the run that last wrote this row.';

-- ---------------------------------------------------------------------------------------------
-- Bookings
-- ---------------------------------------------------------------------------------------------

CREATE TABLE understory.bookings (
    company_id            text        NOT NULL,
    id                    text        NOT NULL,
    status                text        NOT NULL,
    event_id              text,
    experience_id         text,
    customer_type         text,
    customer_name         text,
    customer_company_name text,
    customer_email        text,
    customer_phone        text,
    customer_country      text,
    source                text,
    locale                text,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    raw                   jsonb       NOT NULL,
    _synced_at            timestamptz NOT NULL DEFAULT now(),
    _run_id               bigint,
    _deleted_at           timestamptz,
    PRIMARY KEY (company_id, id)
);
COMMENT ON TABLE understory.bookings IS 'Bookings (GET /v1/bookings): a customer''s seats on an event. Prices are on orders; cancellations show as status CANCELLED.';
COMMENT ON COLUMN understory.bookings.company_id IS 'Understory account (company) the booking belongs to.';
COMMENT ON COLUMN understory.bookings.id IS 'Booking id from the API.';
COMMENT ON COLUMN understory.bookings.status IS 'ACTIVE, CANCELLED, MOVED, PROCESSING, CHECKED_IN or UNKNOWN (other values kept as sent).';
COMMENT ON COLUMN understory.bookings.event_id IS 'The event booked (events.id).';
COMMENT ON COLUMN understory.bookings.experience_id IS 'The experience booked (experiences.id).';
COMMENT ON COLUMN understory.bookings.customer_type IS 'PRIVATE or COMPANY.';
COMMENT ON COLUMN understory.bookings.customer_name IS 'Customer full name (private customers).';
COMMENT ON COLUMN understory.bookings.customer_company_name IS 'Company name (company customers).';
COMMENT ON COLUMN understory.bookings.customer_email IS 'Customer e-mail address.';
COMMENT ON COLUMN understory.bookings.customer_phone IS 'Customer phone number.';
COMMENT ON COLUMN understory.bookings.customer_country IS 'Country of the customer address.';
COMMENT ON COLUMN understory.bookings.source IS 'Booking channel as sent by the API.';
COMMENT ON COLUMN understory.bookings.locale IS 'Customer locale, e.g. da or en-US.';
COMMENT ON COLUMN understory.bookings.created_at IS 'When the booking was made.';
COMMENT ON COLUMN understory.bookings.updated_at IS 'When the booking last changed.';
COMMENT ON COLUMN understory.bookings.raw IS 'The booking exactly as the API sent it.';
COMMENT ON COLUMN understory.bookings._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.bookings._run_id IS 'sync_runs.id of the run that last wrote this row.';
COMMENT ON COLUMN understory.bookings._deleted_at IS 'Reserved for a booking confirmed gone from the API; this version never sets it (cancellations arrive as status CANCELLED).';
CREATE INDEX bookings_updated_at_idx ON understory.bookings (company_id, updated_at);
CREATE INDEX bookings_created_at_idx ON understory.bookings (company_id, created_at);
CREATE INDEX bookings_event_idx ON understory.bookings (company_id, event_id);
CREATE INDEX bookings_experience_idx ON understory.bookings (company_id, experience_id);
CREATE INDEX bookings_status_idx ON understory.bookings (company_id, status);

-- ---------------------------------------------------------------------------------------------
-- Events and sessions
-- ---------------------------------------------------------------------------------------------

CREATE TABLE understory.events (
    company_id         text        NOT NULL,
    id                 text        NOT NULL,
    state              text        NOT NULL,
    visibility         text,
    experience_id      text,
    capacity_total     integer,
    capacity_reserved  integer,
    capacity_available integer GENERATED ALWAYS AS (capacity_total - capacity_reserved) STORED,
    start_local        timestamp,
    timezone           text,
    starts_at          timestamptz,
    ends_at            timestamptz,
    session_count      integer,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    raw                jsonb       NOT NULL,
    _synced_at         timestamptz NOT NULL DEFAULT now(),
    _run_id            bigint,
    _deleted_at        timestamptz,
    PRIMARY KEY (company_id, id)
);
COMMENT ON TABLE understory.events IS 'Events (GET /v1/events): scheduled occurrences of an experience, with seat capacity. Times of the first session are copied here for convenience.';
COMMENT ON COLUMN understory.events.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.events.id IS 'Event id from the API.';
COMMENT ON COLUMN understory.events.state IS 'ACTIVE, INACTIVE, CANCELLED or COMPLETED (other values kept as sent).';
COMMENT ON COLUMN understory.events.visibility IS 'PUBLIC or PRIVATE.';
COMMENT ON COLUMN understory.events.experience_id IS 'The experience (experiences.id).';
COMMENT ON COLUMN understory.events.capacity_total IS 'Seats in total (capacity.total).';
COMMENT ON COLUMN understory.events.capacity_reserved IS 'Seats taken (capacity.reserved).';
COMMENT ON COLUMN understory.events.capacity_available IS 'Seats free: capacity_total − capacity_reserved.';
COMMENT ON COLUMN understory.events.start_local IS 'Local wall-clock start of the first session, as the API sends it (no time zone).';
COMMENT ON COLUMN understory.events.timezone IS 'IANA time zone of the first session, e.g. Europe/Copenhagen.';
COMMENT ON COLUMN understory.events.starts_at IS 'Start of the first session as an instant (start_local in timezone).';
COMMENT ON COLUMN understory.events.ends_at IS 'End of the last session as an instant.';
COMMENT ON COLUMN understory.events.session_count IS 'Number of sessions (1 for single-session events).';
COMMENT ON COLUMN understory.events.created_at IS 'When the event was created.';
COMMENT ON COLUMN understory.events.updated_at IS 'When the event last changed.';
COMMENT ON COLUMN understory.events.raw IS 'The event exactly as the API sent it.';
COMMENT ON COLUMN understory.events._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.events._run_id IS 'sync_runs.id of the run that last wrote this row.';
COMMENT ON COLUMN understory.events._deleted_at IS 'Reserved for an event confirmed deleted (GET /v1/events/{id} answering 404); this version does not check yet, so it stays NULL.';
CREATE INDEX events_starts_at_idx ON understory.events (company_id, starts_at);
CREATE INDEX events_experience_idx ON understory.events (company_id, experience_id);
CREATE INDEX events_updated_at_idx ON understory.events (company_id, updated_at);

CREATE TABLE understory.event_sessions (
    company_id  text      NOT NULL,
    event_id    text      NOT NULL,
    id          text      NOT NULL,
    position    integer   NOT NULL,
    start_local timestamp,
    end_local   timestamp,
    timezone    text,
    starts_at   timestamptz,
    ends_at     timestamptz,
    location_id text,
    languages   text[],
    raw         jsonb     NOT NULL,
    _synced_at  timestamptz NOT NULL DEFAULT now(),
    _run_id     bigint,
    PRIMARY KEY (company_id, event_id, id)
);
COMMENT ON TABLE understory.event_sessions IS 'Sessions of each event (events.raw->sessions), replaced whenever the event changes.';
COMMENT ON COLUMN understory.event_sessions.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.event_sessions.event_id IS 'The event (events.id).';
COMMENT ON COLUMN understory.event_sessions.id IS 'Session id.';
COMMENT ON COLUMN understory.event_sessions.position IS 'Position of the session in the event, from 1.';
COMMENT ON COLUMN understory.event_sessions.start_local IS 'Local wall-clock start as sent (no time zone).';
COMMENT ON COLUMN understory.event_sessions.end_local IS 'Local wall-clock end as sent (no time zone).';
COMMENT ON COLUMN understory.event_sessions.timezone IS 'IANA time zone of the session.';
COMMENT ON COLUMN understory.event_sessions.starts_at IS 'Start as an instant (start_local in timezone).';
COMMENT ON COLUMN understory.event_sessions.ends_at IS 'End as an instant (end_local in timezone).';
COMMENT ON COLUMN understory.event_sessions.location_id IS 'Where the session takes place.';
COMMENT ON COLUMN understory.event_sessions.languages IS 'Languages of the session, e.g. {en,da}.';
COMMENT ON COLUMN understory.event_sessions.raw IS 'The session exactly as the API sent it.';
COMMENT ON COLUMN understory.event_sessions._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.event_sessions._run_id IS 'sync_runs.id of the run that last wrote this row.';
CREATE INDEX event_sessions_starts_at_idx ON understory.event_sessions (company_id, starts_at);

-- ---------------------------------------------------------------------------------------------
-- Experiences
-- ---------------------------------------------------------------------------------------------

CREATE TABLE understory.experiences (
    company_id  text        NOT NULL,
    id          text        NOT NULL,
    type        text,
    state       text        NOT NULL,
    name        text,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    raw         jsonb       NOT NULL,
    _synced_at  timestamptz NOT NULL DEFAULT now(),
    _run_id     bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (company_id, id)
);
COMMENT ON TABLE understory.experiences IS 'Experiences (GET /v1/experiences): the tours and activities sold. Fully refreshed every run.';
COMMENT ON COLUMN understory.experiences.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.experiences.id IS 'Experience id from the API.';
COMMENT ON COLUMN understory.experiences.type IS 'SINGLE_SESSION or MULTI_SESSION.';
COMMENT ON COLUMN understory.experiences.state IS 'ACTIVE, INACTIVE, ARCHIVED (other values kept as sent).';
COMMENT ON COLUMN understory.experiences.name IS 'Name in the language the sync requested (Accept-Language).';
COMMENT ON COLUMN understory.experiences.created_at IS 'When the experience was created.';
COMMENT ON COLUMN understory.experiences.updated_at IS 'When the experience last changed.';
COMMENT ON COLUMN understory.experiences.raw IS 'The experience exactly as the API sent it.';
COMMENT ON COLUMN understory.experiences._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.experiences._run_id IS 'sync_runs.id of the run that last wrote this row.';
COMMENT ON COLUMN understory.experiences._deleted_at IS 'Set when a complete pass of /v1/experiences no longer lists the experience (the API hides DELETED ones); NULL while it is listed.';

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------

CREATE FUNCTION understory.local_to_instant(local_time timestamp, zone text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    IF local_time IS NULL OR zone IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN local_time AT TIME ZONE zone;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN NULL;  -- unknown time zone name
END
$$;
COMMENT ON FUNCTION understory.local_to_instant(timestamp, text) IS 'A local wall-clock time in an IANA time zone as an instant; NULL when the zone is unknown.';

-- ---------------------------------------------------------------------------------------------
-- Backfill progress
-- ---------------------------------------------------------------------------------------------

CREATE TABLE understory.backfill_slices (
    company_id   text        NOT NULL,
    resource     text        NOT NULL,
    slice_from   timestamptz NOT NULL,
    slice_to     timestamptz NOT NULL,
    records      integer     NOT NULL DEFAULT 0,
    completed_at timestamptz NOT NULL DEFAULT now(),
    run_id       bigint      REFERENCES understory.sync_runs (id),
    PRIMARY KEY (company_id, resource, slice_from, slice_to)
);
COMMENT ON TABLE understory.backfill_slices IS 'Backfill slices already loaded, so a re-run of the same backfill resumes instead of starting over. Each row commits with the slice''s last page.';
COMMENT ON COLUMN understory.backfill_slices.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.backfill_slices.resource IS 'The resource backfilled (orders, bookings or events).';
COMMENT ON COLUMN understory.backfill_slices.slice_from IS 'Start of the slice (inclusive): creation time, or local start time for events (stored as if UTC).';
COMMENT ON COLUMN understory.backfill_slices.slice_to IS 'End of the slice (exclusive).';
COMMENT ON COLUMN understory.backfill_slices.records IS 'Items the slice returned.';
COMMENT ON COLUMN understory.backfill_slices.completed_at IS 'When the slice finished.';
COMMENT ON COLUMN understory.backfill_slices.run_id IS 'The backfill run that loaded it.';
