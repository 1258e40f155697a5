-- Need-to-know: who may read a case is decided in one query predicate (Features/Access/CaseReader.cs),
-- which needs the subject officers' badges on the case row. Upper-cased, as badges compare ignoring case.
alter table cases add column subject_badges text[] not null default '{}';

update cases c set subject_badges = coalesce((
    select array_agg(upper(badge))
    from case_events e, jsonb_array_elements_text(e.body -> 'subjectOfficerBadges') as badge
    where e.case_id = c.case_id and e.version = 1), '{}');

create index cases_subject_badges on cases using gin (subject_badges);
create index custody_person_owner on custody (owner_id, case_id) where owner_kind = 'person';
