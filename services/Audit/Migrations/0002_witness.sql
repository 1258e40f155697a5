-- Each signed checkpoint is announced (TrailCheckpointSigned) in the same transaction as it is stored,
-- so the writer role may add to the outbox; it still cannot change or remove anything there or in the trail.
do $$
declare writer text := current_schema() || '_writer';
begin
    execute format('grant insert on outbox to %I', writer);
    execute format('grant usage on sequence outbox_seq_seq to %I', writer);
end $$;
