-- Confidential cases (issue 12): the team is null on an ordinary case. Mirrors the case's state after each event,
-- so the need-to-know predicate (CaseReaderSql) can decide in SQL, for lists and single reads alike.
alter table cases
    add column confidential_team   text[],
    add column confidential_reason text,
    add column confidential_by     text,
    add column confidential_at     timestamptz;
