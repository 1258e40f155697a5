-- The case list's newest-first order, as an index: a page after a case (GET /api/cases?after=) starts where its cursor
-- sorts and reads only its own rows. Escalation's gap monitor pages through every open case each minute; with offsets,
-- each page sorted and projected every case before it too (docs/bench.md, twenty-ninth round).
create index cases_newest on cases (received_at desc, case_id);
