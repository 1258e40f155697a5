-- The notification service's own tables. Applied into its schema (search_path), next to the
-- shared outbox and inbox.

-- The newest org chart this service has seen (from DirectoryPublished); recipients come from here.
create table directory_copy (
    singleton   boolean     primary key default true check (singleton),
    version     bigint      not null,
    body        jsonb       not null,
    received_at timestamptz not null default now()
);

-- What this service knows of each case. The complainant contact stays sealed (AES-GCM, key id):
-- it is opened in memory only at the moment a message is sent.
create table cases (
    case_id            uuid        primary key,
    tracking_code      text        not null,
    anonymous          boolean     not null,
    contact_key_id     text,
    contact_ciphertext text,
    -- The secret in the complainant's opt-out link.
    opt_out_token      text        not null unique,
    opted_out_at       timestamptz,
    -- The investigating unit chosen by routing (never a person: that is what the public hears).
    unit_id            text,
    received_at        timestamptz not null
);

-- A person's chosen channels; without a row, every channel the directory gives them.
create table person_preferences (
    person_id  text        primary key,
    channels   text[]      not null,
    updated_at timestamptz not null default now(),
    updated_by text        not null
);

-- One row per notification to send. The unique key is the idempotency key: the same event, to the
-- same recipient, on the same channel, with the same template is recorded (and so sent) once.
create table deliveries (
    id              uuid        primary key,
    source_key      text        not null,
    recipient_key   text        not null,
    channel         text        not null check (channel in ('email', 'webhook')),
    template        text        not null,
    case_id         uuid,
    recipient_role  text        not null check (recipient_role in ('complainant', 'owner', 'supervisor')),
    -- The person id for staff; null for the complainant (whose address lives only in cases, sealed).
    recipient_id    text,
    parameters      jsonb       not null default '{}'::jsonb,
    status          text        not null check (status in ('pending', 'sent', 'failed', 'skipped')),
    attempts        int         not null default 0,
    -- Attempts since the last (re-)drive: the retry budget.
    round_attempts  int         not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error      text,
    traceparent     text,
    created_at      timestamptz not null default now(),
    sent_at         timestamptz,
    failed_at       timestamptz,
    unique (source_key, recipient_key, channel, template)
);

create index deliveries_due on deliveries (next_attempt_at) where status = 'pending';
create index deliveries_by_case on deliveries (case_id, created_at);
create index deliveries_failed on deliveries (failed_at) where status = 'failed';

-- The delivery log proper: one row per attempt, with its outcome.
create table delivery_attempts (
    delivery_id uuid        not null references deliveries (id),
    attempt     int         not null,
    started_at  timestamptz not null,
    finished_at timestamptz not null,
    outcome     text        not null check (outcome in ('sent', 'retry', 'failed', 'skipped')),
    detail      text,
    primary key (delivery_id, attempt)
);

-- The satisfaction question asked at resolution, and its answer (at most one per case).
create table satisfaction (
    token       text        primary key,
    case_id     uuid        not null unique,
    unit_id     text,
    asked_at    timestamptz not null,
    answer      smallint    check (answer between 1 and 5),
    answered_at timestamptz
);
