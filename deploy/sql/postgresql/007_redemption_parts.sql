-- OrleansShare migration 007 (PostgreSQL): a redemption's three writes leave together; each records its part.
--
-- A redemption sends the source's record (its payload carries "pending_redemption": "<token key>"), the clone
-- ("completed_redemption": "<token key>" on its first write) and the share token's row ('redeemed') at the same
-- time, so any of the three can land first, in one transaction or in several, and a crash can keep any subset. Each
-- of the three inserts its own redemption_part row (source, clone or token), in its own transaction. The parts are
-- never updated and the triggers never look at each other's rows: two transactions that carry parts of the same
-- redemptions never wait on each other, so group-committed batches in flight side by side cannot deadlock.
--
-- Every silo's recovery sweep deletes the redemptions whose three parts are all recorded and, for those older than
-- a few seconds that have a part missing, has their token grain finish them from whichever part holds the plan (the
-- token's row, the source's export plans, or the clone, whose id its part keeps), then deletes their parts.
--
-- Replaces migration 005's pending_redemption (one row per redemption with a flag per part, which the three writes
-- updated in turn): its rows become the parts they had marked.

CREATE TABLE IF NOT EXISTS redemption_part
(
    service_id        varchar(150) NOT NULL,
    token_key         text         NOT NULL,
    part              text         NOT NULL CHECK (part IN ('source', 'clone', 'token')),
    source_session_id uuid         NOT NULL,
    clone_session_id  uuid         NULL,
    recorded_at_ms    bigint       NOT NULL,
    CONSTRAINT pk_redemption_part PRIMARY KEY (service_id, token_key, part)
);

CREATE INDEX IF NOT EXISTS ix_redemption_part_age ON redemption_part (service_id, recorded_at_ms);

INSERT INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
SELECT service_id, token_key, 'source', source_session_id, NULL::uuid, recorded_at_ms FROM pending_redemption
UNION ALL
SELECT service_id, token_key, 'clone', source_session_id, NULL::uuid, recorded_at_ms FROM pending_redemption WHERE clone_written
UNION ALL
SELECT service_id, token_key, 'token', source_session_id, NULL::uuid, recorded_at_ms FROM pending_redemption WHERE token_written
ON CONFLICT DO NOTHING;

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
    RETURN NULL;
END
$fn$;

-- The token's part: its row is written once, 'redeemed', with the plan (source and clone) it was redeemed under.
CREATE OR REPLACE FUNCTION orleansshare_token_written() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    plan jsonb;
BEGIN
    IF NEW.payloadbinary IS NULL THEN
        RETURN NULL;
    END IF;
    plan := convert_from(NEW.payloadbinary, 'UTF8')::jsonb -> 'plan';
    INSERT INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
    VALUES (NEW.serviceid, NEW.grainidextensionstring, 'token',
            COALESCE((plan ->> 'source_session_id')::uuid, '00000000-0000-0000-0000-000000000000'::uuid),
            (plan ->> 'new_session_id')::uuid, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$fn$;

DROP TABLE IF EXISTS pending_redemption;
