-- The escalation service: SLA policies, each case's clocks, durable timers, and what was escalated.

-- Our own copy of the org chart, from DirectoryPublished; the newest version is the one in force.
create table org_directory (
    version      bigint      primary key,
    body         jsonb       not null,
    published_at timestamptz not null,
    received_at  timestamptz not null default now()
);

-- Every version of every policy. A version is never changed or removed: cases point at it for life.
create table policies (
    category       text        not null,
    priority       text        not null,
    version        int         not null check (version >= 1),
    effective_from timestamptz not null,
    clocks         jsonb       not null,
    warn_at        int[]       not null,
    reason         text        not null,
    created_by     text        not null,
    created_at     timestamptz not null,
    primary key (category, priority, version),
    unique (category, priority, effective_from)
);

-- What escalation knows about a case, built from events. Versions: the assignment service's CaseVersion.
create table cases (
    case_id          uuid        primary key,
    category         text,
    allegation_types text[]      not null default '{}',
    anonymous        boolean,
    received_at      timestamptz,
    -- The policy version the case started under, pinned once the category is known; never changed after.
    policy_category  text,
    policy_priority  text,
    policy_version   int,
    owner_kind       text,
    owner_id         text,
    owner_version    bigint      not null default -1,
    escalation_level int         not null default 0,
    status           text        not null default 'open' check (status in ('open', 'resolved')),
    status_version   bigint      not null default -1,
    -- Our own counter for the events we say about this case (SlaWarning.CaseVersion, ...).
    event_seq        bigint      not null default 0,
    created_at       timestamptz not null default now()
);

create table clocks (
    case_id            uuid        not null references cases (case_id),
    clock              text        not null,
    state              text        not null check (state in ('running', 'paused', 'stopped')),
    -- A run is one start of the clock (a new owner's acknowledge clock is a new run); the generation
    -- changes whenever its deadline may have moved, and timers of an older generation never fire.
    run                int         not null default 1,
    generation         int         not null default 1,
    started_at         timestamptz not null,
    stopped_at         timestamptz,
    pauses             jsonb       not null default '[]'::jsonb,
    owner_kind         text,
    owner_id           text,
    handoff_id         uuid,
    fired_percents     int[]       not null default '{}',
    breached_at        timestamptz,
    version            bigint      not null,
    primary key (case_id, clock)
);

-- Durable timers. Consumers only insert them; the poller claims due rows with SKIP LOCKED and marks
-- each fired or superseded in the same transaction as the outbox rows it writes.
create table timers (
    timer_id   bigserial   primary key,
    case_id    uuid        not null,
    clock      text        not null,
    run        int         not null,
    generation int         not null,
    percent    int         not null check (percent between 1 and 100),
    fire_at    timestamptz not null,
    state      text        not null default 'pending' check (state in ('pending', 'fired', 'superseded')),
    fired_at   timestamptz,
    late       boolean,
    lateness   interval,
    fired_by   text,
    unique (case_id, clock, run, generation, percent)
);
create index timers_due on timers (fire_at) where state = 'pending';

create table escalations (
    escalation_id uuid        primary key,
    case_id       uuid        not null,
    clock         text        not null,
    level         int         not null,
    owner_kind    text        not null,
    owner_id      text        not null,
    to_person_id  text,
    outcome       text        not null check (outcome in ('custody-requested', 'supervisor-notified', 'top-of-chain')),
    source        text        not null check (source in ('timer', 'gap-monitor')),
    reason        text        not null,
    raised_at     timestamptz not null
);
create index escalations_case on escalations (case_id, raised_at);
create index escalations_raised on escalations (raised_at desc);

-- What the gap monitor found, once per problem: a problem already here is counted but not escalated again.
create table gap_findings (
    case_id       uuid        not null,
    problem       text        not null check (problem in ('owner-unknown', 'owner-inactive', 'acknowledge-overdue', 'handoff-overdue')),
    problem_key   text        not null,
    found_at      timestamptz not null,
    escalation_id uuid,
    primary key (case_id, problem, problem_key)
);
