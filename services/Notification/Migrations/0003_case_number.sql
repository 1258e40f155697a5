-- The number people use (IA-2026-00042), from ComplaintReceived: staff e-mails name a case by it.
alter table cases add column case_number text;
