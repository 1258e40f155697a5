-- The "domain" of the messaging tests: how often each work item's effect was applied.
-- Deliberately no uniqueness trick: a duplicate application shows up as applied = 2.
create table effects (
    work_id uuid primary key,
    applied int  not null
);

-- A domain row written in the same transaction as an outbox row.
create table work_items (
    work_id uuid primary key,
    created_at timestamptz not null default now()
);
