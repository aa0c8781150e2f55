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
-- Preconditions, checked on plain PostgreSQL by Tests/SyncEngineTests/CitusLayoutTests.swift:
-- every table of the schema is named below exactly once; every primary key and unique constraint
-- of a distributed table includes company_id; foreign keys between distributed tables include it.
-- A migration that adds a table must add it here.

CREATE EXTENSION IF NOT EXISTS citus;

-- Reference tables first (distributed tables may reference them).
SELECT create_reference_table('understory.schema_migrations');
SELECT create_reference_table('understory.sync_runs');
SELECT create_reference_table('understory.scheduler_heartbeats');
-- The fleet's claim (FOR UPDATE SKIP LOCKED over every due account) spans all accounts.
SELECT create_reference_table('understory.accounts');
-- The webhook inbox is keyed by its own id (the worker drains it across accounts, oldest first).
SELECT create_reference_table('understory.webhook_inbox');

-- Data: by company_id, co-located.
SELECT create_distributed_table('understory.orders', 'company_id');
SELECT create_distributed_table('understory.order_line_items', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.order_refunds', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.order_transactions', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.bookings', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.events', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.event_sessions', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.booking_tickets', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.booking_ticket_items', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.experiences', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.experience_ticket_variants', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.marketing_consents', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.event_availabilities', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.event_availability_history', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.experience_information_requests', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.booking_information_answers', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.sync_state', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.backfill_slices', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.rejected_items', 'company_id', colocate_with => 'understory.orders');
SELECT create_distributed_table('understory.webhook_subscriptions', 'company_id', colocate_with => 'understory.orders');
