-- Booking tickets (GET /v1/bookings/{id}/tickets) and their items, and the guests of a booking.

CREATE TABLE understory.booking_tickets (
    company_id      text        NOT NULL,
    booking_id      text        NOT NULL,
    id              text        NOT NULL,
    status          text,
    checked_in_at   timestamptz,
    checked_in_by   text,
    check_in_method text,
    raw             jsonb       NOT NULL,
    _synced_at      timestamptz NOT NULL DEFAULT now(),
    _run_id         bigint,
    PRIMARY KEY (company_id, booking_id, id)
);
COMMENT ON TABLE understory.booking_tickets IS 'Tickets of each booking (GET /v1/bookings/{id}/tickets): fetched for new or changed bookings only, replaced with the booking in one transaction and removed when the booking is confirmed deleted. Left out with sync --skip-resource tickets.';
COMMENT ON COLUMN understory.booking_tickets.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.booking_tickets.booking_id IS 'The booking (bookings.id).';
COMMENT ON COLUMN understory.booking_tickets.id IS 'Ticket id.';
COMMENT ON COLUMN understory.booking_tickets.status IS 'Ticket status as sent by the API (its values are not documented).';
COMMENT ON COLUMN understory.booking_tickets.checked_in_at IS 'When the ticket was checked in (check_in.check_in_time); NULL until then.';
COMMENT ON COLUMN understory.booking_tickets.checked_in_by IS 'Who checked the ticket in (check_in.checked_in_by).';
COMMENT ON COLUMN understory.booking_tickets.check_in_method IS 'How the ticket was checked in (check_in.method), as sent.';
COMMENT ON COLUMN understory.booking_tickets.raw IS 'The ticket exactly as the API sent it.';
COMMENT ON COLUMN understory.booking_tickets._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.booking_tickets._run_id IS 'sync_runs.id of the run that last wrote this row.';

CREATE TABLE understory.booking_ticket_items (
    company_id text    NOT NULL,
    booking_id text    NOT NULL,
    ticket_id  text    NOT NULL,
    position   integer NOT NULL,
    item_type  text,
    type_id    text,
    quantity   integer,
    raw        jsonb   NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _run_id    bigint,
    PRIMARY KEY (company_id, booking_id, ticket_id, position)
);
COMMENT ON TABLE understory.booking_ticket_items IS 'Items of each booking ticket (booking_tickets.raw->items): the ticket variants (guests) and add-ons on it, rebuilt whenever the booking''s tickets are replaced.';
COMMENT ON COLUMN understory.booking_ticket_items.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.booking_ticket_items.booking_id IS 'The booking (bookings.id).';
COMMENT ON COLUMN understory.booking_ticket_items.ticket_id IS 'The ticket (booking_tickets.id).';
COMMENT ON COLUMN understory.booking_ticket_items.position IS 'Position of the item on the ticket, from 1 (items have no id).';
COMMENT ON COLUMN understory.booking_ticket_items.item_type IS 'VARIANT (a ticket variant: guests) or ADDON, as sent.';
COMMENT ON COLUMN understory.booking_ticket_items.type_id IS 'The ticket variant or add-on (experience_ticket_variants.id for a VARIANT).';
COMMENT ON COLUMN understory.booking_ticket_items.quantity IS 'How many of it: for a VARIANT, guests.';
COMMENT ON COLUMN understory.booking_ticket_items.raw IS 'The item exactly as the API sent it.';
COMMENT ON COLUMN understory.booking_ticket_items._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.booking_ticket_items._run_id IS 'sync_runs.id of the run that last wrote this row.';
CREATE INDEX booking_ticket_items_type_idx ON understory.booking_ticket_items (company_id, type_id);

-- bookings keeps its columns; the guests of each booking are derived from its ticket items.
CREATE VIEW understory.booking_guests AS
SELECT b.company_id, b.id AS booking_id,
       coalesce(sum(i.quantity) FILTER (WHERE coalesce(i.item_type, 'VARIANT') = 'VARIANT'), 0)::integer AS guests
FROM understory.bookings AS b
LEFT JOIN understory.booking_ticket_items AS i ON i.company_id = b.company_id AND i.booking_id = b.id
GROUP BY b.company_id, b.id;
COMMENT ON VIEW understory.booking_guests IS 'Guests of each booking: the quantities of the ticket variants on its tickets (0 while its tickets are not synced). Join on (company_id, booking_id) = bookings (company_id, id).';
COMMENT ON COLUMN understory.booking_guests.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.booking_guests.booking_id IS 'The booking (bookings.id).';
COMMENT ON COLUMN understory.booking_guests.guests IS 'Sum of the VARIANT item quantities on the booking''s tickets.';
