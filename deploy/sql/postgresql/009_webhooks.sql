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

-- The session trigger function copies a write's events into webhook_event: it is replaced, with that step, by migration
-- 011 (which records events only for applications that have a destination). The migrations are applied together,
-- before any grain writes.
