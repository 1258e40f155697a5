-- The trail. Runs as the schema owner; the service then works as <schema>_writer (see the end).

-- global_seq is assigned under the chain lock (never a sequence), so a gap always means a deletion.
create table audit_events (
    global_seq     bigint primary key,
    event_id       uuid not null unique,          -- the MassTransit MessageId: a redelivery cannot be recorded twice
    case_id        uuid,
    case_seq       bigint,                        -- arrival order within the case, 1, 2, ...
    type           text not null,
    source         text not null,
    occurred_at    timestamptz not null,
    recorded_at    timestamptz not null,
    body           jsonb not null,
    traceparent    text,
    prev_hash      bytea not null,                -- the global predecessor's hash (32 zero bytes for the first)
    case_prev_hash bytea,                         -- the case predecessor's hash (null for a case's first record)
    hash           bytea not null,
    constraint audit_events_case_seq unique (case_id, case_seq),
    constraint audit_events_case_fields check ((case_id is null) = (case_seq is null)),
    constraint audit_events_hash_length check (octet_length(hash) = 32 and octet_length(prev_hash) = 32)
);
create index audit_events_recorded_at on audit_events (recorded_at);

create table audit_checkpoints (
    global_seq bigint primary key,
    hash       bytea not null,
    key_id     text not null,
    signed_at  timestamptz not null,
    signature  bytea not null
);

-- Public keys of every key that ever signed, so old checkpoints stay verifiable after a rotation.
-- private_key_pkcs8 is filled only for a key generated in Development/Testing.
create table audit_signing_keys (
    key_id            text primary key,
    public_key_pem    text not null,
    private_key_pkcs8 bytea,
    generated         boolean not null,
    created_at        timestamptz not null default now()
);

-- Projections of audit's own, rebuilt from audit_events by POST /api/audit/projections/{name}/rebuild.
create table audit_case_state (
    case_id         uuid primary key,
    state           jsonb not null,
    event_count     integer not null,
    last_global_seq bigint not null
);

create table audit_custody (
    case_id        uuid not null,
    seq            integer not null,
    owner_kind     text not null,
    owner_id       text not null,
    from_at        timestamptz not null,
    to_at          timestamptz,
    transfer_kind  text not null,
    reason         text not null,
    actor          text not null,
    primary key (case_id, seq)
);

do $$
declare
    writer text := current_schema() || '_writer';
begin
    if not exists (select from pg_roles where rolname = writer) then
        execute format('create role %I nologin', writer);
    end if;
    execute format('grant usage on schema %I to %I', current_schema(), writer);
    execute format('grant select, insert on audit_events, audit_checkpoints, audit_signing_keys to %I', writer);
    execute format('grant select, insert, update, delete, truncate on audit_case_state, audit_custody to %I', writer);
    execute format('grant %I to %I', writer, current_user);
end
$$;
