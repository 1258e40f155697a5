-- The audit trail's signed heads, kept here, outside the audit schema: a trail cut after its last
-- checkpoint (checkpoints and all) still fails verification against the highest head seen here.
create table trail_witness (
    trail      text        not null,
    global_seq bigint      not null,
    hash       text        not null,
    key_id     text        not null,
    signed_at  timestamptz not null,
    signature  text        not null,
    seen_at    timestamptz not null default now(),
    primary key (trail, global_seq)
);
