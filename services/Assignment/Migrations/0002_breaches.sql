-- SLA breaches reported by the escalation service, so that GET /api/cases?overdue=true can answer
-- without reading escalation's tables. A breach is cleared by the event that meets its clock.
create table case_breaches (
    case_id     uuid        not null,
    clock       text        not null,
    due_at      timestamptz not null,
    breached_at timestamptz not null,
    owner_kind  text        not null,
    owner_id    text        not null,
    cleared_at  timestamptz,
    primary key (case_id, clock, due_at)
);
create index case_breaches_open on case_breaches (case_id) where cleared_at is null;
