-- OrleansShare migration 005 (PostgreSQL): redemptions begun and not yet finished.
--
-- A redemption writes three grain rows: first the source session (which records the import and its plan), then
-- the clone and the share token ('redeemed') together. The source's write carries "pending_redemption": "<token
-- key>" in its payload and the clone's first write "completed_redemption": "<token key>" (only those writes do);
-- the session index trigger, which parses the payload anyway, inserts the pending_redemption row and marks the
-- clone written; a write of the share token's row marks the token written. Whichever of the two comes second
-- deletes the row (one statement each: the first marks, the second deletes; in the rare race of two concurrent
-- transactions that both only mark, the row stays and the sweep removes it). A row that stays is a redemption
-- interrupted on the way, or settled in such a race: every silo's recovery sweep lists the old ones, has their token grain finish
-- them (no call for the token is needed) and removes what it settled. The string key of a share token grain is
-- its grainidextensionstring.
--
-- The session index function is replaced here with the same body plus those two statements, and an upsert that
-- leaves the index row alone when nothing it holds changed.

CREATE TABLE IF NOT EXISTS pending_redemption
(
    service_id        varchar(150) NOT NULL,
    token_key         text         NOT NULL,
    source_session_id uuid         NOT NULL,
    recorded_at_ms    bigint       NOT NULL,
    clone_written     boolean      NOT NULL DEFAULT false,
    token_written     boolean      NOT NULL DEFAULT false,
    CONSTRAINT pk_pending_redemption PRIMARY KEY (service_id, token_key)
);

CREATE INDEX IF NOT EXISTS ix_pending_redemption_age ON pending_redemption (service_id, recorded_at_ms);

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
            created_at_ms  = EXCLUDED.created_at_ms
        -- Most session writes (an audit entry, a review comment) change nothing the index holds: keep the row as it is.
        WHERE (session_index.application_id, session_index.session_number, session_index.session_kind, session_index.status,
               session_index.vendor_data, session_index.workflow_id, session_index.created_at_ms)
              IS DISTINCT FROM
              (EXCLUDED.application_id, EXCLUDED.session_number, EXCLUDED.session_kind, EXCLUDED.status,
               EXCLUDED.vendor_data, EXCLUDED.workflow_id, EXCLUDED.created_at_ms);
    END IF;

    IF doc ->> 'pending_redemption' IS NOT NULL THEN
        INSERT INTO pending_redemption (service_id, token_key, source_session_id, recorded_at_ms)
        VALUES (NEW.serviceid, doc ->> 'pending_redemption', (doc ->> 'session_id')::uuid,
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
        ON CONFLICT DO NOTHING;
    END IF;
    IF doc ->> 'completed_redemption' IS NOT NULL THEN
        DELETE FROM pending_redemption
        WHERE service_id = NEW.serviceid AND token_key = doc ->> 'completed_redemption' AND token_written;
        IF NOT FOUND THEN
            UPDATE pending_redemption SET clone_written = true
            WHERE service_id = NEW.serviceid AND token_key = doc ->> 'completed_redemption';
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION orleansshare_token_written() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM pending_redemption
    WHERE service_id = NEW.serviceid AND token_key = NEW.grainidextensionstring AND clone_written;
    IF NOT FOUND THEN
        UPDATE pending_redemption SET token_written = true
        WHERE service_id = NEW.serviceid AND token_key = NEW.grainidextensionstring;
    END IF;
    RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS trg_orleansstorage_token_written ON orleansstorage;

CREATE TRIGGER trg_orleansstorage_token_written
    AFTER INSERT OR UPDATE OF payloadbinary ON orleansstorage
    FOR EACH ROW
    WHEN (NEW.graintypestring = 'share-token')
    EXECUTE FUNCTION orleansshare_token_written();
