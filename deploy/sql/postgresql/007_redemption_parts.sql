-- OrleansShare migration 007 (PostgreSQL): a redemption's three writes leave together.
--
-- A redemption now sends the source's record (its payload carries "pending_redemption": "<token key>"), the clone
-- ("completed_redemption": "<token key>" on its first write) and the share token's row ('redeemed') at the same
-- time, so any of the three can land first, and a crash can keep any subset. Each of the three marks its part on the
-- pending_redemption row of the token, creating the row when it is the first; the one that finds all three parts
-- marked deletes it. The marks are one upsert, which waits for a concurrent transaction holding the row and then sees
-- its marks, so the last of three writes in different transactions still sees the other two. A row that stays is a
-- redemption with a part missing: the recovery sweep has its token grain finish it from whichever part holds the
-- plan (the token's row, the source's export plans, or the clone, whose id the row keeps) and removes the row.
--
-- Rows written by migration 005's triggers were created by the source's write: they keep source_written = true.

ALTER TABLE pending_redemption ADD COLUMN IF NOT EXISTS source_written boolean NOT NULL DEFAULT true;
ALTER TABLE pending_redemption ALTER COLUMN source_written SET DEFAULT false;
ALTER TABLE pending_redemption ADD COLUMN IF NOT EXISTS clone_session_id uuid;

CREATE OR REPLACE FUNCTION orleansshare_redemption_part_written(
    p_service_id varchar, p_token_key text, p_source_session_id uuid, p_clone_session_id uuid, p_part text) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    finished boolean;
BEGIN
    INSERT INTO pending_redemption AS p
        (service_id, token_key, source_session_id, clone_session_id, recorded_at_ms, source_written, clone_written, token_written)
    VALUES
        (p_service_id, p_token_key, p_source_session_id, p_clone_session_id,
         (extract(epoch FROM clock_timestamp()) * 1000)::bigint, p_part = 'source', p_part = 'clone', p_part = 'token')
    ON CONFLICT (service_id, token_key) DO UPDATE SET
        source_written   = p.source_written OR EXCLUDED.source_written,
        clone_written    = p.clone_written OR EXCLUDED.clone_written,
        token_written    = p.token_written OR EXCLUDED.token_written,
        clone_session_id = COALESCE(p.clone_session_id, EXCLUDED.clone_session_id)
    RETURNING p.source_written AND p.clone_written AND p.token_written INTO finished;

    IF finished THEN
        DELETE FROM pending_redemption WHERE service_id = p_service_id AND token_key = p_token_key;
    END IF;
END
$fn$;

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
        PERFORM orleansshare_redemption_part_written(
            NEW.serviceid, doc ->> 'pending_redemption', (doc ->> 'session_id')::uuid, NULL, 'source');
    END IF;
    IF doc ->> 'completed_redemption' IS NOT NULL THEN
        PERFORM orleansshare_redemption_part_written(
            NEW.serviceid, doc ->> 'completed_redemption', (doc ->> 'shared_from_session')::uuid, (doc ->> 'session_id')::uuid, 'clone');
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION orleansshare_token_written() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    plan jsonb;
BEGIN
    IF NEW.payloadbinary IS NULL THEN
        RETURN NULL;
    END IF;
    plan := convert_from(NEW.payloadbinary, 'UTF8')::jsonb -> 'plan';
    PERFORM orleansshare_redemption_part_written(
        NEW.serviceid, NEW.grainidextensionstring,
        COALESCE((plan ->> 'source_session_id')::uuid, '00000000-0000-0000-0000-000000000000'::uuid),
        (plan ->> 'new_session_id')::uuid, 'token');
    RETURN NULL;
END
$fn$;
