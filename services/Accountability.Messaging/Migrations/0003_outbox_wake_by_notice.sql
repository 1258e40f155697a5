-- A NOTIFY wakes every session of the database that listens on any channel (five relays' listeners for each commit
-- that wrote to an outbox), and a notifying commit holds a lock that serialises every notifying commit of the
-- server until its WAL is flushed (PostgreSQL's async.c). A session of a process that runs this schema's relay
-- logs in with accountability.outbox_wake = 'notice' (ServiceDatabase): the trigger then raises a NOTICE, which
-- reaches that session's own client alone, and the client wakes its relay once the connection is closed after
-- the commit (OutboxWriteWatch). Every other session (a process without a relay, a tool, psql) notifies as before.
create or replace function outbox_notify() returns trigger language plpgsql as $$
begin
    if current_setting('accountability.outbox_wake', true) = 'notice' then
        raise notice 'accountability: outbox written' using detail = tg_table_schema;
    else
        perform pg_notify(tg_table_schema || '_outbox', '');
    end if;
    return null;
end $$;
