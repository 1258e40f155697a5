-- Human case numbers (IA-2026-00042): unique, in sequence per year, given at filing. One counter row per year,
-- taken with the filing's transaction, so a number is never skipped by a filing that rolled back.
create table case_number_sequences (
    year int primary key,
    last int not null
);

alter table complaints add column case_number text unique;
