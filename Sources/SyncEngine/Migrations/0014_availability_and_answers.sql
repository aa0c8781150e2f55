-- Event availability (GET /v1/event-availabilities, per experience) with a history of its changes,
-- and the checkout questions of experiences and the answers of bookings (personal data).

CREATE TABLE understory.event_availabilities (
    company_id        text        NOT NULL,
    event_id          text        NOT NULL,
    experience_id     text        NOT NULL,
    available         boolean     NOT NULL,
    booking_cutoff_at timestamptz,
    constraint_types  text[],
    constraints       jsonb       NOT NULL,
    raw               jsonb       NOT NULL,
    _synced_at        timestamptz NOT NULL DEFAULT now(),
    _run_id           bigint,
    PRIMARY KEY (company_id, event_id)
);
COMMENT ON TABLE understory.event_availabilities IS 'Whether each event can be booked now (GET /v1/event-availabilities?experienceId=…, scope event.read), read every run per experience for the events'' start-time window: available plus every constraint, passing and failing (seat capacity alone overstates what can still be sold). A row is rewritten only when the API''s answer changes, and kept as last seen when its event leaves the window; every change is in event_availability_history. Left out with sync --skip-resource availability.';
COMMENT ON COLUMN understory.event_availabilities.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.event_availabilities.event_id IS 'The event (events.id).';
COMMENT ON COLUMN understory.event_availabilities.experience_id IS 'The experience whose list named the event (experiences.id): the experienceId asked for, since the item carries none.';
COMMENT ON COLUMN understory.event_availabilities.available IS 'Whether the event can be booked: false when any constraint fails.';
COMMENT ON COLUMN understory.event_availabilities.booking_cutoff_at IS 'The booking cutoff (cutoff_time of the constraint carrying one): no booking after it. NULL without one.';
COMMENT ON COLUMN understory.event_availabilities.constraint_types IS 'The type of every constraint returned, passing and failing, in API order (e.g. {EVENT_STATE,…}); only EVENT_STATE is named by the docs, and which constraints fail is read from constraints.';
COMMENT ON COLUMN understory.event_availabilities.constraints IS 'Every constraint as sent (raw->''constraints''): its fields beyond type and cutoff_time are not documented.';
COMMENT ON COLUMN understory.event_availabilities.raw IS 'The availability exactly as the API sent it.';
COMMENT ON COLUMN understory.event_availabilities._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.event_availabilities._run_id IS 'sync_runs.id of the run that last wrote this row.';
CREATE INDEX event_availabilities_experience_idx ON understory.event_availabilities (company_id, experience_id);

CREATE TABLE understory.event_availability_history (
    company_id        text        NOT NULL,
    event_id          text        NOT NULL,
    observed_at       timestamptz NOT NULL,
    experience_id     text        NOT NULL,
    available         boolean     NOT NULL,
    booking_cutoff_at timestamptz,
    constraint_types  text[],
    constraints       jsonb       NOT NULL,
    _synced_at        timestamptz NOT NULL DEFAULT now(),
    _run_id           bigint,
    PRIMARY KEY (company_id, event_id, observed_at)
);
COMMENT ON TABLE understory.event_availability_history IS 'Every change of an event''s availability (event_availabilities): a row when available or the constraints differ from the event''s latest row here, written in the same transaction as the current row. The same answer seen again writes nothing, and an event that leaves the window is not a change. observed_at is the database''s clock at the sync that saw the change, never the API''s.';
COMMENT ON COLUMN understory.event_availability_history.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.event_availability_history.event_id IS 'The event (events.id).';
COMMENT ON COLUMN understory.event_availability_history.observed_at IS 'When a sync first saw this availability (the transaction''s time; always later than the event''s previous row, even if the database clock stepped back).';
COMMENT ON COLUMN understory.event_availability_history.experience_id IS 'The experience whose list named the event (experiences.id).';
COMMENT ON COLUMN understory.event_availability_history.available IS 'Whether the event could be booked from observed_at on.';
COMMENT ON COLUMN understory.event_availability_history.booking_cutoff_at IS 'The booking cutoff then (NULL without one).';
COMMENT ON COLUMN understory.event_availability_history.constraint_types IS 'The type of every constraint then, in API order.';
COMMENT ON COLUMN understory.event_availability_history.constraints IS 'Every constraint then, as sent.';
COMMENT ON COLUMN understory.event_availability_history._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.event_availability_history._run_id IS 'sync_runs.id of the run that last wrote this row.';
-- Availability over time per experience.
CREATE INDEX event_availability_history_experience_idx ON understory.event_availability_history (company_id, experience_id, observed_at);

CREATE TABLE understory.experience_information_requests (
    company_id    text        NOT NULL,
    experience_id text        NOT NULL,
    id            text        NOT NULL,
    position      integer     NOT NULL,
    question      text,
    type          text,
    required      boolean,
    raw           jsonb       NOT NULL,
    _synced_at    timestamptz NOT NULL DEFAULT now(),
    _run_id       bigint,
    PRIMARY KEY (company_id, experience_id, id)
);
COMMENT ON TABLE understory.experience_information_requests IS 'Questions each experience asks at checkout (GET /v1/experiences/{id}/information-requests): fetched for new or changed experiences only, replaced with the experience in one transaction and removed when the experience is confirmed deleted. No field but id is documented. Left out with sync --skip-resource information-requests.';
COMMENT ON COLUMN understory.experience_information_requests.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.experience_information_requests.experience_id IS 'The experience (experiences.id).';
COMMENT ON COLUMN understory.experience_information_requests.id IS 'Information request id (booking_information_answers.information_request_id).';
COMMENT ON COLUMN understory.experience_information_requests.position IS 'Position of the question in the experience''s list, from 1.';
COMMENT ON COLUMN understory.experience_information_requests.question IS 'The question in the language the sync requested (Accept-Language); the field name is not documented.';
COMMENT ON COLUMN understory.experience_information_requests.type IS 'Kind of answer expected, as sent (the field and its values are not documented).';
COMMENT ON COLUMN understory.experience_information_requests.required IS 'Whether an answer is required, as sent (the field is not documented).';
COMMENT ON COLUMN understory.experience_information_requests.raw IS 'The question exactly as the API sent it.';
COMMENT ON COLUMN understory.experience_information_requests._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.experience_information_requests._run_id IS 'sync_runs.id of the run that last wrote this row.';
-- Answers find their question by (company_id, id).
CREATE INDEX experience_information_requests_id_idx ON understory.experience_information_requests (company_id, id);

CREATE TABLE understory.booking_information_answers (
    company_id             text        NOT NULL,
    booking_id             text        NOT NULL,
    position               integer     NOT NULL,
    information_request_id text,
    answer                 text,
    raw                    jsonb       NOT NULL,
    _synced_at             timestamptz NOT NULL DEFAULT now(),
    _run_id                bigint,
    PRIMARY KEY (company_id, booking_id, position)
);
COMMENT ON TABLE understory.booking_information_answers IS 'What customers answered at checkout (GET /v1/bookings/{id}/information-request-answers): personal data, kept apart from bookings so it can be left out with sync --skip-resource information-answers. Fetched for new or changed bookings only, replaced with the booking in one transaction and removed when the booking is confirmed deleted. No field is documented and answers have no id: rows are numbered per booking.';
COMMENT ON COLUMN understory.booking_information_answers.company_id IS 'Understory account.';
COMMENT ON COLUMN understory.booking_information_answers.booking_id IS 'The booking (bookings.id).';
COMMENT ON COLUMN understory.booking_information_answers.position IS 'Position of the answer in the booking''s list, from 1.';
COMMENT ON COLUMN understory.booking_information_answers.information_request_id IS 'The question answered (experience_information_requests.id); the field name is not documented.';
COMMENT ON COLUMN understory.booking_information_answers.answer IS 'The answer (raw->>''answer'': text as sent, a number or boolean as its JSON text); personal data.';
COMMENT ON COLUMN understory.booking_information_answers.raw IS 'The answer exactly as the API sent it (personal data).';
COMMENT ON COLUMN understory.booking_information_answers._synced_at IS 'When understory-sync last wrote this row.';
COMMENT ON COLUMN understory.booking_information_answers._run_id IS 'sync_runs.id of the run that last wrote this row.';
CREATE INDEX booking_information_answers_request_idx ON understory.booking_information_answers (company_id, information_request_id);
