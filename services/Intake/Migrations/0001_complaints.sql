-- Complaints as filed. The intake desk owns each one from the transaction that stores it;
-- owner_* and status then follow the custody events, for the public status view.
create table complaints (
    case_id                uuid        primary key,
    tracking_code          text        not null unique,
    -- Look-ups go by this hash, so a guess never walks the code itself.
    tracking_hash          bytea       not null unique,
    category               text        not null,
    channel                text        not null,
    district               text,
    occurred_at            timestamptz,
    location               jsonb,
    narrative              text        not null,
    subject_officer_badges text[]      not null,
    allegations            jsonb       not null,
    anonymous              boolean     not null,
    -- {keyId, ciphertext} (AES-256-GCM); plaintext contact details are never stored.
    complainant_sealed     jsonb,
    owner_kind             text        not null check (owner_kind in ('unit', 'person')),
    owner_id               text        not null,
    status                 text        not null check (status in ('received', 'assigned', 'resolved')),
    -- The assignment service's CaseVersion last applied; older events do not roll the view back.
    status_version         bigint      not null default 0,
    received_at            timestamptz not null,
    updated_at             timestamptz not null,
    filed_by               text        not null,
    constraint complainant_sealed_exactly_when_identified
        check ((anonymous and complainant_sealed is null) or (not anonymous and complainant_sealed is not null))
);

create index complaints_received_at on complaints (received_at);

-- A retry with the same key gets the stored reply; the same key with another body is refused.
create table idempotency_keys (
    scope        text        not null,
    key          text        not null,
    request_hash bytea       not null,
    case_id      uuid        not null references complaints (case_id),
    response     jsonb       not null,
    created_at   timestamptz not null default now(),
    primary key (scope, key)
);

-- Public milestones of a case, one per event; version 0 is the receipt itself.
create table milestones (
    case_id      uuid        not null references complaints (case_id),
    case_version bigint      not null,
    milestone    text        not null,
    at           timestamptz not null,
    primary key (case_id, case_version)
);

-- Intake's own copy of the org chart, from DirectoryPublished: only what the public view needs.
create table directory_units (
    unit_id text primary key,
    name    text not null
);

create table directory_people (
    person_id text primary key,
    unit_id   text not null
);

create table directory_version (
    singleton boolean primary key default true check (singleton),
    version   bigint  not null
);
