-- Fleet of workers (understory-sync worker, sync --all-accounts --claim): each connected account
-- carries its own schedule and lease, so any number of worker processes on any number of machines
-- split the accounts through this table alone (claimed with FOR UPDATE SKIP LOCKED).

ALTER TABLE understory.accounts
    ADD COLUMN next_sync_at         timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN sync_interval        interval,
    ADD COLUMN lease_owner          text,
    ADD COLUMN lease_expires_at     timestamptz,
    ADD COLUMN heartbeat_at         timestamptz,
    ADD COLUMN consecutive_failures integer     NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    ADD COLUMN last_success_at      timestamptz,
    ADD COLUMN last_failure_at      timestamptz,
    ADD COLUMN last_failure         text,
    ADD CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL));

COMMENT ON COLUMN understory.accounts.next_sync_at IS 'When a worker should sync this account next: now() + --every (jittered) after a success, later and later (exponential backoff) after failures. Due when <= now().';
COMMENT ON COLUMN understory.accounts.sync_interval IS 'The --every of the worker that last synced the account (to tell how overdue it is); NULL until a worker synced it.';
COMMENT ON COLUMN understory.accounts.lease_owner IS 'Worker holding the account (host:pid:random) while it syncs it; NULL when free. Another worker takes it only after lease_expires_at.';
COMMENT ON COLUMN understory.accounts.lease_expires_at IS 'When the lease ends unless its owner renews it (heartbeat); a worker killed with -9 loses the account at this time.';
COMMENT ON COLUMN understory.accounts.heartbeat_at IS 'When the lease owner last claimed or renewed the lease.';
COMMENT ON COLUMN understory.accounts.consecutive_failures IS 'Failed worker syncs in a row (0 after a success); drives the backoff of next_sync_at.';
COMMENT ON COLUMN understory.accounts.last_success_at IS 'When a worker last synced the account without error.';
COMMENT ON COLUMN understory.accounts.last_failure_at IS 'When a worker last failed to sync the account.';
COMMENT ON COLUMN understory.accounts.last_failure IS 'One line: why that sync failed (never a token).';

-- Claiming reads the due active accounts, most overdue first.
CREATE INDEX accounts_due ON understory.accounts (next_sync_at, company_id) WHERE status = 'active';
