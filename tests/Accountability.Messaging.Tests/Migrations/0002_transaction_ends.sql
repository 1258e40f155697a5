-- What a grouped inbox's statement sent with the COMMIT saw: its transaction, and how many effects were applied by then.
create table transaction_ends (
    id      bigserial primary key,
    tx      bigint not null,
    effects int    not null
);
