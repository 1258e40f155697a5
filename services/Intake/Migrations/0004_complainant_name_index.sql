-- A blind index of the complainant's name (HMAC-SHA256 of the normalised name under a key derived from the privacy
-- key named in name_index_key_id), so staff who may see a case in full can find it by the complainant's name without
-- the name ever being stored in the clear. Complaints filed before this migration have none: the name is sealed.
alter table complaints add column complainant_name_index bytea;
alter table complaints add column name_index_key_id text;
create index complaints_complainant_name_index on complaints (complainant_name_index) where complainant_name_index is not null;
