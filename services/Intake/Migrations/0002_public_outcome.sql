-- The outcome a complainant may see once the case is resolved: each allegation's finding, never a name.
-- Null while the case is open (and again after a reopen).
alter table complaints add column findings jsonb;
alter table complaints add column findings_version bigint not null default 0;
