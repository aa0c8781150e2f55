-- The webhook inbox shared by several `serve` processes, and deletions confirmed by a second 404.
-- A worker claims due rows (FOR UPDATE SKIP LOCKED) by writing a fresh token into `claim` and
-- moving `next_attempt_at` past a lease; it records the outcome only while its token is still
-- there, so a row is processed by one worker at a time and each failed attempt counts once. All
-- due times are the database's now(), never a worker's clock.

ALTER TABLE understory.webhook_inbox ADD COLUMN claim text;
ALTER TABLE understory.webhook_inbox ADD COLUMN gone_since timestamptz;
COMMENT ON COLUMN understory.webhook_inbox.claim IS 'Token of the worker that last claimed the row; its outcome is recorded only while the token is still there (a row whose lease ran out and was claimed again is not counted twice).';
COMMENT ON COLUMN understory.webhook_inbox.gone_since IS 'When the item was first seen gone (a deletion message, or a 404 on its GET). It is marked deleted only after another 404 at least the confirmation delay later; meanwhile the row stays pending.';
COMMENT ON COLUMN understory.webhook_inbox.next_attempt_at IS 'When a pending row is due (later after each failure: back-off; while claimed, the end of the lease; after a first 404, the deletion re-check). Always computed with the database''s now().';
COMMENT ON COLUMN understory.webhook_inbox.attempts IS 'Processing attempts that failed so far (any API error on the item or its children, a value PostgreSQL refuses, an undecodable item).';
COMMENT ON COLUMN understory.rejected_items.first_run_id IS 'sync_runs.id of the run that first rejected it; NULL when the webhook inbox worker did.';
COMMENT ON COLUMN understory.rejected_items.last_run_id IS 'sync_runs.id of the run that last rejected it (or resolved it); NULL when the webhook inbox worker did.';
