-- Each body is kept as the exact canonical text its hash covers. jsonb kept neither the key order nor the
-- spacing that was hashed, so verify parsed and re-sorted every body, and PostgreSQL rebuilt its text for every
-- read: most of a verify's time (docs/bench.md, thirty-fourth round). The json type keeps its input verbatim,
-- checks that it is JSON, and still answers ->> for the lookups and the transparency figures.
--
-- Records written before this migration come out of jsonb in jsonb's own layout, not the canonical one; verify
-- recognises them by their hash not matching the stored text and canonicalises them as before.
alter table audit_events alter column body type json using body::json;
