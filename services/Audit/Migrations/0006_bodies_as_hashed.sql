-- Each body is kept as the exact canonical text its hash covers. jsonb kept neither the key order nor the
-- spacing that was hashed, so verify parsed and re-sorted every body, and PostgreSQL rebuilt its text for every
-- read: most of a verify's time (docs/bench.md, thirty-fourth round). The json type keeps its input verbatim,
-- checks that it is JSON, and still answers ->> for the lookups and the transparency figures.
--
-- Records written before this migration come out of jsonb in jsonb's own layout, not the canonical one; verify
-- recognises them by their hash not matching the stored text and canonicalises them as before.
alter table audit_events alter column body type json using body::json;

-- A rolling upgrade runs audit instances from before this migration beside those after it. An older one's COPY
-- writes jsonb's binary form, which json refuses as malformed: a permanent error, so its messages would go to
-- audit's _error queue after their retries. Instead, every append must say (in the chain lock's statement, see
-- ChainLock) that it writes the hashed text; one that does not is refused before any row is read, as a
-- serialization failure. Every audit treats that as transient: it holds the message, retrying with backoff, until
-- its instance is replaced and the broker hands the message to an upgraded one.
create function audit_events_written_as_hashed() returns trigger language plpgsql as $$
begin
    if current_setting('accountability.audit_body', true) is distinct from 'hashed-text' then
        raise exception 'This audit instance predates migration 0006 (audit_events.body holds the hashed text as json); it retries until an upgraded instance takes its messages.'
            using errcode = '40001';
    end if;
    return null;
end
$$;
create trigger audit_events_written_as_hashed before insert on audit_events
    for each statement execute function audit_events_written_as_hashed();
