-- The subject officers of each case: escalation never takes a case up to a subject or anyone above one,
-- and none of them may pause its statutory clock (conflict of interest, as in assignment).
alter table cases add column subject_badges text[] not null default '{}';
