-- A case's projection is folded forward from its stored state when new records come after the last one
-- applied in causal order (occurred_at, then case version), instead of re-reading the whole case on every
-- append. These two columns say where that order stands; null (rows from before) means "re-fold once".
alter table audit_case_state add column last_occurred_at timestamptz;
alter table audit_case_state add column last_case_version bigint;
