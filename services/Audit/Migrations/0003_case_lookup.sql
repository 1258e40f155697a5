-- The auditor opens a case by its number, by the complainant's tracking code, or from the newest cases:
-- all three read only the ComplaintReceived records, which carry both.
create index audit_events_received on audit_events (occurred_at, global_seq) where type = 'ComplaintReceived';
create index audit_events_case_number on audit_events (upper(body->>'caseNumber')) where type = 'ComplaintReceived';
-- A code's 16 symbols, whatever its prefix: people type codes with or without it.
create index audit_events_tracking_code on audit_events (right(replace(upper(body->>'trackingCode'), '-', ''), 16)) where type = 'ComplaintReceived';
