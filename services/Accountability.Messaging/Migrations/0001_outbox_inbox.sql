-- Outbox and inbox shared by every service. Applied into the service's own schema
-- (the runner sets search_path), so each service drains only its own outbox.

create table outbox (
    seq          bigserial   primary key,
    message_id   uuid        not null unique,
    message_type text        not null,
    body         jsonb       not null,
    headers      jsonb       not null default '{}'::jsonb,
    created_at   timestamptz not null default now(),
    published_at timestamptz,
    attempts     int         not null default 0,
    last_error   text,
    -- Set only when a row can never be published (its type no longer exists); it stays visible here.
    failed_at    timestamptz
);

-- The relay only ever looks at unpublished rows, in seq order.
create index outbox_pending on outbox (seq) where published_at is null and failed_at is null;

create table inbox (
    consumer     text        not null,
    message_id   uuid        not null,
    processed_at timestamptz not null default now(),
    primary key (consumer, message_id)
);

-- NOTIFY is transactional: the relay is woken only when the writing transaction commits.
create function outbox_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify(tg_table_schema || '_outbox', '');
    return null;
end $$;

create trigger outbox_notify after insert on outbox
    for each statement execute function outbox_notify();
