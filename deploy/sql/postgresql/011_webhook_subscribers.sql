-- OrleansShare migration 011 (PostgreSQL): webhook events only for applications that have a destination, the
-- dispatcher's outbox read in recording order, session state kept in its row, and session writes whose rows beside
-- grain state the writer sends itself.
--
-- webhook_subscriber holds the applications that have at least one webhook destination. The application's storage
-- trigger keeps it, in the same transaction as the application write that adds or removes a destination, so an event
-- of a status change that commits after a destination's creation is recorded, and one of an application with no
-- destination costs an index probe instead of an outbox row that the dispatcher would read, fan out to nobody and
-- delete.
--
-- webhook_event gets an index in recording order, so the dispatcher reads its oldest events without sorting the outbox.
--
-- A session's compressed state (3-4 KiB) no longer goes to the TOAST table: STORAGE MAIN keeps a compressed value in
-- the row unless the row would not fit a page, so a write is one heap tuple instead of a tuple, two or three TOAST
-- chunks and their index entries (and an update no longer deletes the old chunks). Rows already written keep their
-- layout until they are next written.
--
-- The group-commit writer sends a session write's rows (session_index, redemption_part, share_ledger, webhook_event)
-- as statements of the write itself, computed from the state it serializes, and skips the index row when it has not
-- changed. It says so first in its transaction (set_config('orleansshare.session_rows', 'writer', true)), and the
-- trigger's WHEN clause then leaves those writes alone: the function below, which parses the whole session document,
-- runs only for other writers (the stock ADO.NET provider, a manual UPDATE).

CREATE TABLE IF NOT EXISTS webhook_subscriber
(
    service_id     varchar(150) NOT NULL,
    application_id uuid         NOT NULL,
    CONSTRAINT pk_webhook_subscriber PRIMARY KEY (service_id, application_id)
);

CREATE OR REPLACE FUNCTION orleansshare_application_written() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    doc jsonb := convert_from(NEW.payloadbinary, 'UTF8')::jsonb;
BEGIN
    IF jsonb_typeof(doc -> 'webhook_destinations') = 'object' AND doc -> 'webhook_destinations' <> '{}'::jsonb
       AND NOT COALESCE((doc ->> 'deleted')::boolean, false) THEN
        INSERT INTO webhook_subscriber (service_id, application_id)
        VALUES (NEW.serviceid, (doc ->> 'application_id')::uuid)
        ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM webhook_subscriber
        WHERE service_id = NEW.serviceid AND application_id = (doc ->> 'application_id')::uuid;
    END IF;
    RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS trg_orleansstorage_application_written ON orleansstorage;
CREATE TRIGGER trg_orleansstorage_application_written
    AFTER INSERT OR UPDATE OF payloadbinary ON orleansstorage
    FOR EACH ROW
    WHEN (NEW.graintypestring = 'application' AND NEW.payloadbinary IS NOT NULL)
    EXECUTE FUNCTION orleansshare_application_written();

-- Applications that had destinations before this migration.
INSERT INTO webhook_subscriber (service_id, application_id)
SELECT s.serviceid, (d ->> 'application_id')::uuid
FROM orleansstorage s
CROSS JOIN LATERAL (SELECT convert_from(s.payloadbinary, 'UTF8')::jsonb AS d) p
WHERE s.graintypestring = 'application' AND s.payloadbinary IS NOT NULL
  AND jsonb_typeof(d -> 'webhook_destinations') = 'object' AND d -> 'webhook_destinations' <> '{}'::jsonb
  AND NOT COALESCE((d ->> 'deleted')::boolean, false)
ON CONFLICT DO NOTHING;

CREATE INDEX IF NOT EXISTS ix_webhook_event_recorded ON webhook_event (service_id, recorded_at_ms);

ALTER TABLE orleansstorage ALTER COLUMN payloadbinary SET STORAGE MAIN;

DROP TRIGGER IF EXISTS trg_orleansstorage_session_index ON orleansstorage;

CREATE TRIGGER trg_orleansstorage_session_index
    AFTER INSERT OR UPDATE OF payloadbinary ON orleansstorage
    FOR EACH ROW
    WHEN (NEW.graintypestring = 'session' AND NEW.payloadbinary IS NOT NULL
          AND current_setting('orleansshare.session_rows', true) IS DISTINCT FROM 'writer')
    EXECUTE FUNCTION orleansshare_session_index_sync();

CREATE OR REPLACE FUNCTION orleansshare_session_index_sync() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    doc    jsonb := convert_from(NEW.payloadbinary, 'UTF8')::jsonb;
    ledger jsonb := doc -> 'ledger';
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
            created_at_ms  = EXCLUDED.created_at_ms
        -- Most session writes (an audit entry, a review comment) change nothing the index holds: keep the row as it is.
        WHERE (session_index.application_id, session_index.session_number, session_index.session_kind, session_index.status,
               session_index.vendor_data, session_index.workflow_id, session_index.created_at_ms)
              IS DISTINCT FROM
              (EXCLUDED.application_id, EXCLUDED.session_number, EXCLUDED.session_kind, EXCLUDED.status,
               EXCLUDED.vendor_data, EXCLUDED.workflow_id, EXCLUDED.created_at_ms);
    END IF;

    IF doc ->> 'pending_redemption' IS NOT NULL THEN
        INSERT INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
        VALUES (NEW.serviceid, doc ->> 'pending_redemption', 'source', (doc ->> 'session_id')::uuid, NULL,
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
        ON CONFLICT DO NOTHING;
    END IF;
    IF doc ->> 'completed_redemption' IS NOT NULL THEN
        INSERT INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
        VALUES (NEW.serviceid, doc ->> 'completed_redemption', 'clone', (doc ->> 'shared_from_session')::uuid,
                (doc ->> 'session_id')::uuid, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
        ON CONFLICT DO NOTHING;
    END IF;
    -- The events this write produced (a status change) go to the outbox with it, if its application has a webhook
    -- destination (an index probe; most applications have none, and their events would only be fanned out to nobody);
    -- a rewrite of the same payload adds nothing.
    IF jsonb_typeof(doc -> 'events') = 'array' AND jsonb_array_length(doc -> 'events') > 0
       AND EXISTS (SELECT 1 FROM webhook_subscriber s
                   WHERE s.service_id = NEW.serviceid AND s.application_id = (doc ->> 'application_id')::uuid) THEN
        INSERT INTO webhook_event
            (service_id, event_id, application_id, session_id, sequence, event_type, status, occurred_at_ms, recorded_at_ms)
        SELECT NEW.serviceid, (e ->> 'event_id')::uuid, (doc ->> 'application_id')::uuid, (doc ->> 'session_id')::uuid,
               (e ->> 'sequence')::bigint, e ->> 'type', e ->> 'status',
               round(extract(epoch FROM (e ->> 'occurred_at')::timestamptz) * 1000)::bigint,
               (extract(epoch FROM clock_timestamp()) * 1000)::bigint
        FROM jsonb_array_elements(doc -> 'events') AS e
        ON CONFLICT DO NOTHING;
    END IF;
    -- The share ledger's change of this write (migration 008).
    IF jsonb_typeof(ledger) = 'object' THEN
        PERFORM orleansshare_share_ledger_apply(NEW.serviceid, doc, ledger);
    END IF;
    RETURN NULL;
END
$fn$;
