-- One login per service (docs/security.md, "Database roles"). The owner login, accountability, owns the
-- schemas and runs the migrations; the migrations grant each of these the rows of its own schema only.
-- Run by deploy/local/infra.sh at every start, and by the postgres container of docker-compose.yml on
-- its first start. The passwords are for local runs; a deployment sets its own.
DO $$
DECLARE login text;
BEGIN
    FOR login IN SELECT 'accountability_' || s FROM unnest(ARRAY['intake', 'assignment', 'escalation', 'notification', 'audit']) s LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
            EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', login, 'accountability');
        END IF;
    END LOOP;
END
$$;
