-- Citus: spread understory-sync's tables over a cluster when one PostgreSQL is not enough (many
-- thousands of connected accounts). Run once on the coordinator, after `understory-sync migrate`
-- against the coordinator and before the first sync:
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/citus/distribute.sql
--
-- Every data table is distributed by company_id and co-located with understory.orders, so all of
-- one account's rows (orders with their line items, bookings, events with sessions, sync state)
-- live on the same worker node, and every statement the engine sends for one account routes to
-- one shard. Small bookkeeping tables that every run reads or writes across accounts are reference
-- tables (a copy on every node).
--
-- Checked on plain PostgreSQL by Tests/SyncEngineTests/CitusLayoutTests.swift, which runs this
-- script against stand-ins for Citus's two functions and its catalog (pg_dist_partition): every
-- table ends up laid out once; every primary key and unique constraint of a distributed table
-- includes company_id; foreign keys between distributed tables include it. A migration that adds
-- a data table needs no edit here; one that adds a small cross-account table names it below.

CREATE EXTENSION IF NOT EXISTS citus;

-- Reference tables first (distributed tables may reference them).
SELECT create_reference_table('understory.schema_migrations');
SELECT create_reference_table('understory.sync_runs');
SELECT create_reference_table('understory.scheduler_heartbeats');
-- The fleet's claim (FOR UPDATE SKIP LOCKED over every due account) spans all accounts.
SELECT create_reference_table('understory.accounts');
-- The webhook inbox is keyed by its own id (the worker drains it across accounts, oldest first).
SELECT create_reference_table('understory.webhook_inbox');

-- Data: every other table of the schema, by company_id, co-located with understory.orders. The
-- tables are found in the catalog, so a table a migration adds is distributed with no edit here;
-- each is distributed after the tables its foreign keys point at (Citus requires that order).
SELECT create_distributed_table('understory.orders', 'company_id');
DO $$
DECLARE
  next_table regclass;
BEGIN
  LOOP
    SELECT c.oid::regclass INTO next_table
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'understory' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_dist_partition d WHERE d.logicalrelid = c.oid)
      AND NOT EXISTS (
        SELECT 1 FROM pg_constraint f
        WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid
          AND NOT EXISTS (SELECT 1 FROM pg_dist_partition d WHERE d.logicalrelid = f.confrelid))
    ORDER BY c.relname
    LIMIT 1;
    EXIT WHEN next_table IS NULL;
    PERFORM create_distributed_table(next_table::text, 'company_id', colocate_with => 'understory.orders');
  END LOOP;
  -- A table left over points (by a foreign key) at a table that cannot be distributed first.
  SELECT c.oid::regclass INTO next_table
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'understory' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND NOT EXISTS (SELECT 1 FROM pg_dist_partition d WHERE d.logicalrelid = c.oid)
  LIMIT 1;
  IF next_table IS NOT NULL THEN
    RAISE EXCEPTION 'understory-sync: % was not distributed: its foreign keys form a cycle or point at a table outside the layout', next_table;
  END IF;
END $$;
