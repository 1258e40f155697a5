-- The human case number intake gives at filing (IA-2026-00042), so every page and list can show it and find by it.
alter table cases add column case_number text;
create unique index cases_case_number on cases (case_number) where case_number is not null;
