-- The trace in which the case was received, so that every later operation on it (an HTTP handoff, a
-- timer's escalation) can link back to it and a trace viewer can walk the whole custody chain.
alter table cases add column first_traceparent text;
