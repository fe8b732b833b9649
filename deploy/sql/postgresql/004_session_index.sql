-- OrleansShare migration 004 (PostgreSQL): the session index, our relational read model for lists.
--
-- Maintained by a trigger on orleansstorage, inside the grain write's own transaction: a committed
-- session write and its index row are never out of step, and there is no extra round trip.
-- Only rows whose state name (graintypestring) is 'session' and whose payload is not NULL are read. The
-- payload is the UTF-8 JSON of the session state with snake_case properties. deleted = true removes the
-- index row; anything else upserts it. A cleared state (payload NULL) leaves the index alone.
-- A payload the trigger cannot read (not JSON, a required property missing, a bad uuid or date) fails the
-- grain write: the index never silently drifts from the state.

CREATE TABLE IF NOT EXISTS session_index
(
    service_id     varchar(150) NOT NULL,
    application_id uuid         NOT NULL,
    session_id     uuid         NOT NULL,
    session_number bigint       NOT NULL,
    session_kind   text         NOT NULL,
    status         text         NOT NULL,
    vendor_data    text         NULL,
    workflow_id    uuid         NULL,
    created_at_ms  bigint       NOT NULL,
    CONSTRAINT pk_session_index PRIMARY KEY (service_id, session_id)
);

CREATE INDEX IF NOT EXISTS ix_session_index_list
    ON session_index (service_id, application_id, created_at_ms DESC, session_number DESC);

CREATE INDEX IF NOT EXISTS ix_session_index_entity
    ON session_index (service_id, application_id, session_kind, vendor_data);

CREATE OR REPLACE FUNCTION orleansshare_session_index_sync() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    doc jsonb := convert_from(NEW.payloadbinary, 'UTF8')::jsonb;
BEGIN
    IF COALESCE((doc ->> 'deleted')::boolean, false) THEN
        DELETE FROM session_index
        WHERE service_id = NEW.serviceid AND session_id = (doc ->> 'session_id')::uuid;
    ELSE
        INSERT INTO session_index
            (service_id, application_id, session_id, session_number, session_kind, status,
             vendor_data, workflow_id, created_at_ms)
        VALUES
            (NEW.serviceid,
             (doc ->> 'application_id')::uuid,
             (doc ->> 'session_id')::uuid,
             (doc ->> 'session_number')::bigint,
             doc ->> 'session_kind',
             doc ->> 'status',
             doc ->> 'vendor_data',
             (doc ->> 'workflow_id')::uuid,
             round(extract(epoch FROM (doc ->> 'created_at')::timestamptz) * 1000)::bigint)
        ON CONFLICT (service_id, session_id) DO UPDATE SET
            application_id = EXCLUDED.application_id,
            session_number = EXCLUDED.session_number,
            session_kind   = EXCLUDED.session_kind,
            status         = EXCLUDED.status,
            vendor_data    = EXCLUDED.vendor_data,
            workflow_id    = EXCLUDED.workflow_id,
            created_at_ms  = EXCLUDED.created_at_ms;
    END IF;
    RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS trg_orleansstorage_session_index ON orleansstorage;

CREATE TRIGGER trg_orleansstorage_session_index
    AFTER INSERT OR UPDATE OF payloadbinary ON orleansstorage
    FOR EACH ROW
    WHEN (NEW.graintypestring = 'session' AND NEW.payloadbinary IS NOT NULL)
    EXECUTE FUNCTION orleansshare_session_index_sync();
