-- The allegations and their findings, so a client can name the allegation it records a finding for.
alter table cases add column allegations jsonb not null default '[]'::jsonb;
