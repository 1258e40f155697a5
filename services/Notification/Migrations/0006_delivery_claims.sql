-- A worker claims deliveries without holding a transaction across the send: the claim moves next_attempt_at to the end of
-- a lease and stamps claim_id; the outcome is recorded only while claim_id is still the worker's own. A claim that a worker
-- never records (it died) comes due again when its lease runs out.
alter table deliveries add column claim_id uuid;
