-- Routing gives a complaint to the candidate with the fewest open cases. Counting each candidate's open cases on
-- every complaint cost as much as their caseload was long (0.9 ms a complaint once 4,000 cases were open, the
-- dearest statement of a bench run, and slower the more a department is behind). The count is kept here instead,
-- by a trigger on cases, so it changes in the same transaction as the case row, whoever writes it.
create table person_open_cases (
    person_id  text primary key,
    -- No check (open_cases >= 0): PostgreSQL checks the row an upsert proposes before it finds the conflict, and a
    -- decrement proposes -1. A case leaving a person always follows the case arriving, which counted it.
    open_cases int not null
);

insert into person_open_cases (person_id, open_cases)
select owner_id, count(*) from cases where status = 'open' and owner_kind = 'person' group by owner_id;

create function count_person_open_cases() returns trigger language plpgsql as $$
begin
    -- One statement for both sides of a transfer, in person order: two transfers crossing between the same two
    -- people lock their rows in the same order and cannot deadlock.
    insert into person_open_cases as counted (person_id, open_cases)
    select person_id, sum(delta)::int
    from (select old.owner_id, -1 where tg_op <> 'INSERT' and old.status = 'open' and old.owner_kind = 'person'
          union all
          select new.owner_id, 1 where tg_op <> 'DELETE' and new.status = 'open' and new.owner_kind = 'person') as change (person_id, delta)
    group by person_id
    having sum(delta) <> 0
    order by person_id
    on conflict (person_id) do update set open_cases = counted.open_cases + excluded.open_cases;
    return null;
end $$;

create trigger person_open_cases_on_insert_or_delete after insert or delete on cases
    for each row execute function count_person_open_cases();

-- Most updates of a case change neither its status nor its owner: they do not call the function at all.
create trigger person_open_cases_on_update after update on cases
    for each row when (old.status is distinct from new.status or old.owner_kind is distinct from new.owner_kind
                       or old.owner_id is distinct from new.owner_id)
    execute function count_person_open_cases();
