-- The board shows how a case's last handoff ended (declined or expired) until custody next changes (issue 12):
-- each row looks up its case's latest answered handoff, so that lookup needs an index of its own.
create index handoffs_answered on handoffs (case_id, decided_at desc) where decided_at is not null;
