-- OrleansShare migration 009 (PostgreSQL): webhook events, recorded with the session write that causes them.
--
-- A session write that changes its status carries "events": [{"event_id", "sequence", "type", "status",
-- "occurred_at"}] in its payload (only that write: every other write has none). The session trigger copies them into
-- webhook_event in the grain write's own transaction, so a 2xx for the change means its event is stored, at the cost
-- of a row in the same transaction (group commit: the same batch), never an extra transaction. ON CONFLICT on the
-- event id makes a rewrite of the same payload add nothing.
--
-- Every silo's dispatcher fans an event out into one webhook_delivery row per enabled destination of the application
-- that subscribes to it (deleting the event in the same transaction), claims due deliveries with a lease
-- (lease_until_ms; a silo that dies mid-attempt leaves its lease to expire), posts them and records each attempt:
-- attempts, last HTTP status, next_attempt_at_ms, state (pending, delivered, failed). A session's events are kept in
-- order: an event is fanned out only once its session has no earlier event left, and a delivery is claimed only once
-- its destination has no earlier pending delivery of the same session.

CREATE TABLE IF NOT EXISTS webhook_event
(
    service_id     varchar(150) NOT NULL,
    event_id       uuid         NOT NULL,
    application_id uuid         NOT NULL,
    session_id     uuid         NOT NULL,
    sequence       bigint       NOT NULL,
    event_type     text         NOT NULL,
    status         text         NOT NULL,
    occurred_at_ms bigint       NOT NULL,
    recorded_at_ms bigint       NOT NULL,
    CONSTRAINT pk_webhook_event PRIMARY KEY (service_id, event_id)
);

CREATE INDEX IF NOT EXISTS ix_webhook_event_session ON webhook_event (service_id, session_id, sequence);

CREATE TABLE IF NOT EXISTS webhook_delivery
(
    service_id        varchar(150) NOT NULL,
    event_id          uuid         NOT NULL,
    destination_id    uuid         NOT NULL,
    application_id    uuid         NOT NULL,
    session_id        uuid         NOT NULL,
    sequence          bigint       NOT NULL,
    event_type        text         NOT NULL,
    status            text         NOT NULL,
    occurred_at_ms    bigint       NOT NULL,
    state             text         NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts          integer      NOT NULL DEFAULT 0,
    last_status_code  integer      NULL,
    last_error        text         NULL,
    next_attempt_at_ms bigint      NOT NULL,
    lease_until_ms    bigint       NOT NULL DEFAULT 0,
    created_at_ms     bigint       NOT NULL,
    updated_at_ms     bigint       NOT NULL,
    CONSTRAINT pk_webhook_delivery PRIMARY KEY (service_id, event_id, destination_id)
);

CREATE INDEX IF NOT EXISTS ix_webhook_delivery_due ON webhook_delivery (service_id, next_attempt_at_ms) WHERE state = 'pending';

CREATE INDEX IF NOT EXISTS ix_webhook_delivery_order
    ON webhook_delivery (service_id, destination_id, session_id, sequence) WHERE state = 'pending';

CREATE INDEX IF NOT EXISTS ix_webhook_delivery_log ON webhook_delivery (service_id, destination_id, created_at_ms DESC);

CREATE INDEX IF NOT EXISTS ix_webhook_delivery_settled ON webhook_delivery (service_id, updated_at_ms) WHERE state <> 'pending';

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
    -- The events this write produced (a status change) go to the outbox with it; a rewrite of the same payload adds nothing.
    IF jsonb_typeof(doc -> 'events') = 'array' AND jsonb_array_length(doc -> 'events') > 0 THEN
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
