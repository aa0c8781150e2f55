-- Running schedulers announce themselves, so `status` can show when the next run is due.

CREATE TABLE understory.scheduler_heartbeats (
    host         text        NOT NULL,
    pid          integer     NOT NULL,
    cron         text        NOT NULL,
    timezone     text        NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    beat_at      timestamptz NOT NULL DEFAULT now(),
    next_fire_at timestamptz,
    PRIMARY KEY (host, pid)
);
COMMENT ON TABLE understory.scheduler_heartbeats IS 'One row per running `understory-sync schedule` process; removed when it stops. A row whose process died is removed by the next status or scheduler.';
COMMENT ON COLUMN understory.scheduler_heartbeats.host IS 'Host name of the scheduler.';
COMMENT ON COLUMN understory.scheduler_heartbeats.pid IS 'Process id of the scheduler.';
COMMENT ON COLUMN understory.scheduler_heartbeats.cron IS 'Its cron expression.';
COMMENT ON COLUMN understory.scheduler_heartbeats.timezone IS 'The time zone the expression is read in.';
COMMENT ON COLUMN understory.scheduler_heartbeats.started_at IS 'When the scheduler started.';
COMMENT ON COLUMN understory.scheduler_heartbeats.beat_at IS 'When it last reported.';
COMMENT ON COLUMN understory.scheduler_heartbeats.next_fire_at IS 'When its next run is due.';
