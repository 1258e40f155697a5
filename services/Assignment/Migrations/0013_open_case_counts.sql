-- Routing gives a complaint to the candidate with the fewest open cases. It used to count them on every routing
-- (select owner_id, count(*) from cases where status = 'open' ... group by owner_id), which reads every open case the
-- candidates hold: in make bench's burst, with 15,000 cases open, 9.6 ms a group on custody's path (docs/bench.md,
-- thirty-second round). The counts are kept here instead, by the triggers below, so that every statement that writes
-- a case row keeps them exact, and routing reads one row a candidate however many cases are open.
-- No case row changes between the counting below and the triggers taking over (an instance of the version before may
-- still be writing during a rolling start): writers wait for this migration's commit.
lock table cases in share row exclusive mode;

create table open_case_counts (
    owner_kind text not null,
    owner_id   text not null,
    open_cases integer not null,
    primary key (owner_kind, owner_id)
);

insert into open_case_counts (owner_kind, owner_id, open_cases)
select owner_kind, owner_id, count(*) from cases
where status = 'open'
group by owner_kind, owner_id;

-- Changes to the counts, summed per owner and applied in one order (owner_kind, owner_id): two transactions that
-- change the same owners' counts take those rows' locks in the same order, so they wait for each other and never
-- deadlock. Each writer of a case row writes it in one statement per transaction (a routing group's insert, or a
-- decision's update of its one case), so no transaction takes them in two orders.
create function open_case_counts_add(kinds text[], ids text[], changes int[]) returns void language plpgsql as $$
begin
    insert into open_case_counts as counts (owner_kind, owner_id, open_cases)
    select kind, id, sum(change)::int from unnest(kinds, ids, changes) as c(kind, id, change)
    group by kind, id
    having sum(change) <> 0
    order by kind, id
    on conflict (owner_kind, owner_id) do update set open_cases = counts.open_cases + excluded.open_cases;
end $$;

-- One statement's open cases out (old rows) and in (new rows). An insert has no old rows and a delete no new ones, so
-- each branch names only the tables its statement has. An update that changes neither the status nor the owner (most
-- decisions) sums to nothing and touches no count. It runs as the schema's owner: the run-time login is granted the new
-- table only after the migrations, and an instance of the version before may write a case in between.
create function open_case_counts_apply() returns trigger language plpgsql security definer set search_path from current as $$
begin
    if tg_op = 'INSERT' then
        perform open_case_counts_add(array_agg(owner_kind), array_agg(owner_id), array_agg(1))
        from new_rows where status = 'open';
    elsif tg_op = 'DELETE' then
        perform open_case_counts_add(array_agg(owner_kind), array_agg(owner_id), array_agg(-1))
        from old_rows where status = 'open';
    else
        perform open_case_counts_add(array_agg(owner_kind), array_agg(owner_id), array_agg(change))
        from (select owner_kind, owner_id, -1 as change from old_rows where status = 'open'
              union all
              select owner_kind, owner_id, 1 from new_rows where status = 'open') as changes;
    end if;
    return null;
end $$;

create trigger open_case_counts_on_insert after insert on cases
    referencing new table as new_rows for each statement execute function open_case_counts_apply();
create trigger open_case_counts_on_update after update on cases
    referencing old table as old_rows new table as new_rows for each statement execute function open_case_counts_apply();
create trigger open_case_counts_on_delete after delete on cases
    referencing old table as old_rows for each statement execute function open_case_counts_apply();
