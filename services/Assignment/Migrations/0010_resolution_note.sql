-- The note a case was resolved with (CaseResolved.Reason), so the case page can show what was found and done.
-- Null while the case is open; a reopen clears it (the earlier note stays in the trail).
alter table cases
    add column resolution_note text,
    add column resolved_by     text,
    add column resolved_at     timestamptz;

-- Cases resolved before this column existed, from their latest CaseResolved event.
update cases c
set resolution_note = e.body->>'reason', resolved_by = e.body->>'actor', resolved_at = e.occurred_at
from (select distinct on (case_id) case_id, body, occurred_at
      from case_events
      where type like 'Accountability.Contracts.Custody.CaseResolved,%'
      order by case_id, version desc) e
where e.case_id = c.case_id and c.status = 'resolved';
