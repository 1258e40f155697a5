-- Every recorded contact with the complainant (ComplainantContacted), so the case page can show how and
-- what was said. method is null for contacts recorded before the method was asked for.
create table case_contacts (
    case_id      uuid        not null,
    case_version bigint      not null,
    method       text,
    note         text,
    actor        text        not null,
    occurred_at  timestamptz not null,
    primary key (case_id, case_version)
);

-- The contacts recorded before this table existed, from the case's own events.
insert into case_contacts (case_id, case_version, method, note, actor, occurred_at)
select case_id, version, body->>'method', body->>'note', body->>'actor', occurred_at
from case_events
where type like 'Accountability.Contracts.Custody.ComplainantContacted,%';
