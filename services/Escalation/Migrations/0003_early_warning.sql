-- Early intervention (issue 16): every allegation against an identified officer, as the threshold policies count
-- it, and the warnings raised. Built only from events (ComplaintReceived, AllegationAmended, FindingsRecorded).
create table early_warning_allegations (
    case_id        uuid        not null,
    allegation_id  text        not null,
    officer_badge  text        not null,
    allegation_type text       not null,
    case_number    text,
    -- Every subject officer of the case: none of them hears of a warning this allegation counts towards.
    subject_badges text[]      not null default '{}',
    -- The complaint's receipt, or the instant the allegation was added: what a window counts from.
    counted_at     timestamptz not null,
    finding        text,
    finding_at     timestamptz,
    primary key (case_id, allegation_id)
);
create index early_warning_allegations_officer on early_warning_allegations (upper(officer_badge), counted_at);

-- One row per warning raised. The id is derived from (badge, policy, version, instant), so a replay names the same one.
create table early_warnings (
    warning_id        uuid        primary key,
    officer_badge     text        not null,
    officer_person_id text,
    policy_id         text        not null,
    policy_version    int         not null,
    policy_kind       text        not null,
    reason            text        not null,
    occurred_at       timestamptz not null,
    window_start      timestamptz not null,
    cases             jsonb       not null,
    allegation_keys   text[]      not null,
    supervisor_chain  text[]      not null,
    ia_command        text[]      not null,
    raised_at         timestamptz not null,
    intervention      text        check (intervention in ('training', 'counselling', 'none')),
    acknowledged_by   text,
    acknowledged_at   timestamptz,
    acknowledgement   text,
    check ((intervention is null) = (acknowledged_at is null))
);
create index early_warnings_officer on early_warnings (upper(officer_badge), policy_id, occurred_at);
create index early_warnings_recent on early_warnings (occurred_at desc);
