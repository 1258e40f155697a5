-- The assignment service: the single writer of custody.
create extension if not exists btree_gist;

-- Every decider event of every case, in order. The source of truth; the tables below are projections
-- written in the same transaction. (case_id, version) also stops two writers appending the same version.
create table case_events (
    case_id     uuid        not null,
    version     bigint      not null,
    type        text        not null,
    body        jsonb       not null,
    occurred_at timestamptz not null,
    primary key (case_id, version)
);

create table cases (
    case_id            uuid        primary key,
    status             text        not null check (status in ('open', 'resolved')),
    owner_kind         text        not null check (owner_kind in ('person', 'unit')),
    owner_id           text        not null,
    unit_id            text        not null,
    category           text        not null,
    district           text,
    acknowledged       boolean     not null default false,
    contacted          boolean     not null default false,
    pending_handoff_id uuid,
    received_at        timestamptz not null,
    updated_at         timestamptz not null,
    version            bigint      not null
);
create index cases_owner on cases (owner_kind, owner_id) where status = 'open';
create index cases_unit on cases (unit_id, status);

-- One row per interval of custody. The database itself holds the promise:
create table custody (
    case_id       uuid        not null,
    seq           int         not null,
    owner_kind    text        not null check (owner_kind in ('person', 'unit')),
    owner_id      text        not null,
    from_at       timestamptz not null,
    to_at         timestamptz,
    transfer_kind text        not null,
    reason        text        not null,
    actor         text        not null,
    primary key (case_id, seq),
    check (to_at is null or to_at >= from_at),
    -- no two intervals of a case overlap ('[)' ranges: a transfer closes one and opens the next at the same instant)
    constraint custody_no_overlap exclude using gist (case_id with =, tstzrange(from_at, to_at, '[)') with &&)
);
-- at most one open interval per case
create unique index custody_one_open_interval on custody (case_id) where to_at is null;

-- No gaps: each interval starts exactly where its predecessor ends, and ends exactly where its successor
-- starts. Deferred to commit, because a transfer closes one interval and opens the next in one transaction.
create function custody_no_gap() returns trigger language plpgsql as $$
declare
    neighbour custody%rowtype;
begin
    -- Deferred: NEW is the row as it was when the trigger was queued; check the row as it is now.
    select * into new from custody where case_id = new.case_id and seq = new.seq;
    if not found then
        return null;
    end if;
    if new.seq > 1 then
        select * into neighbour from custody where case_id = new.case_id and seq = new.seq - 1;
        if not found then
            raise exception 'custody interval % of case % has no predecessor', new.seq, new.case_id using errcode = '23514';
        end if;
        if neighbour.to_at is distinct from new.from_at then
            raise exception 'custody interval % of case % starts at %, but the previous one ends at %',
                new.seq, new.case_id, new.from_at, neighbour.to_at using errcode = '23514';
        end if;
    end if;
    select * into neighbour from custody where case_id = new.case_id and seq = new.seq + 1;
    if found and neighbour.from_at is distinct from new.to_at then
        raise exception 'custody interval % of case % ends at %, but the next one starts at %',
            new.seq, new.case_id, new.to_at, neighbour.from_at using errcode = '23514';
    end if;
    return new;
end $$;
create constraint trigger custody_no_gap after insert or update on custody
    deferrable initially deferred for each row execute function custody_no_gap();

create table handoffs (
    handoff_id    uuid        primary key,
    case_id       uuid        not null references cases (case_id),
    from_kind     text        not null,
    from_id       text        not null,
    to_kind       text        not null,
    to_id         text        not null,
    state         text        not null check (state in ('pending', 'accepted', 'declined', 'expired', 'cancelled')),
    reason        text        not null,
    requested_by  text        not null,
    requested_at  timestamptz not null,
    decided_by    text,
    decided_at    timestamptz,
    decision_reason text
);
create unique index handoffs_one_pending on handoffs (case_id) where state = 'pending';
create index handoffs_to on handoffs (to_kind, to_id) where state = 'pending';

-- Every version of the org directory; the newest is the one in force.
create table directory_versions (
    version      bigint      primary key,
    body         jsonb       not null,
    published_at timestamptz not null,
    actor        text        not null,
    reason       text        not null
);

-- The ledger is history: intervals are closed, never removed.
create function custody_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'custody intervals are never deleted (case %, interval %)', old.case_id, old.seq using errcode = '23514';
end $$;
create trigger custody_append_only before delete on custody for each row execute function custody_append_only();
