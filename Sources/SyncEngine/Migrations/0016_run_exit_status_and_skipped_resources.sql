-- Each run's exit status, and resources a run left out because the key lacks their scope, so
-- `status`, the status page and /metrics show both without reading logs.

ALTER TABLE understory.sync_runs ADD COLUMN exit_status smallint;
COMMENT ON COLUMN understory.sync_runs.exit_status IS 'The exit status the run ended with (0 succeeded or interrupted, 65 items rejected, 69 unreachable, 75 temporary, 77 authentication or scope, 78 configuration, 1 unexpected; see the README). NULL while running, for an abandoned run, and for runs finished before this column existed.';

ALTER TABLE understory.sync_state ADD COLUMN skipped_scope text;
ALTER TABLE understory.sync_state ADD COLUMN skipped_reason text;
ALTER TABLE understory.sync_state ADD COLUMN skipped_at timestamptz;
COMMENT ON COLUMN understory.sync_state.skipped_scope IS 'The scope the integration key lacks, when the last run that chose this resource skipped it (tick it on the key and add it to UNDERSTORY_SCOPES); cleared by a success.';
COMMENT ON COLUMN understory.sync_state.skipped_reason IS 'Why the resource was skipped (the token endpoint refused the scope, the token did not list it, or the API answered 403 or 401); cleared by a success.';
COMMENT ON COLUMN understory.sync_state.skipped_at IS 'When the resource was last skipped for a missing scope.';
