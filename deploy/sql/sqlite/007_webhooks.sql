-- OrleansShare migration 007 (SQLite): webhook events, recorded with the session write that causes them.
--
-- A session write that changes its status carries "events": [{"event_id", "sequence", "type", "status",
-- "occurred_at"}] in its payload (only that write). These triggers copy them into webhook_event in the grain write's
-- own statement (a plain text search skips the writes without events, most of them, without parsing their JSON again);
-- INSERT OR IGNORE on the event id makes a rewrite of the same payload add nothing. The dispatcher fans
-- each event out into webhook_delivery rows (one per enabled, subscribed destination), claims due deliveries with a
-- lease, posts them and records each attempt. See the PostgreSQL migration 009 for the rules; the tables are the same.

CREATE TABLE IF NOT EXISTS webhook_event
(
    service_id     TEXT    NOT NULL,
    event_id       TEXT    NOT NULL,
    application_id TEXT    NOT NULL,
    session_id     TEXT    NOT NULL,
    sequence       INTEGER NOT NULL,
    event_type     TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    occurred_at_ms INTEGER NOT NULL,
    recorded_at_ms INTEGER NOT NULL,
    CONSTRAINT PK_webhook_event PRIMARY KEY (service_id, event_id)
);

CREATE INDEX IF NOT EXISTS IX_webhook_event_session ON webhook_event (service_id, session_id, sequence);

CREATE TABLE IF NOT EXISTS webhook_delivery
(
    service_id         TEXT    NOT NULL,
    event_id           TEXT    NOT NULL,
    destination_id     TEXT    NOT NULL,
    application_id     TEXT    NOT NULL,
    session_id         TEXT    NOT NULL,
    sequence           INTEGER NOT NULL,
    event_type         TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    occurred_at_ms     INTEGER NOT NULL,
    state              TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    last_status_code   INTEGER NULL,
    last_error         TEXT    NULL,
    next_attempt_at_ms INTEGER NOT NULL,
    lease_until_ms     INTEGER NOT NULL DEFAULT 0,
    created_at_ms      INTEGER NOT NULL,
    updated_at_ms      INTEGER NOT NULL,
    CONSTRAINT PK_webhook_delivery PRIMARY KEY (service_id, event_id, destination_id)
);

CREATE INDEX IF NOT EXISTS IX_webhook_delivery_due ON webhook_delivery (service_id, next_attempt_at_ms) WHERE state = 'pending';

CREATE INDEX IF NOT EXISTS IX_webhook_delivery_order
    ON webhook_delivery (service_id, destination_id, session_id, sequence) WHERE state = 'pending';

CREATE INDEX IF NOT EXISTS IX_webhook_delivery_log ON webhook_delivery (service_id, destination_id, created_at_ms DESC);

CREATE INDEX IF NOT EXISTS IX_webhook_delivery_settled ON webhook_delivery (service_id, updated_at_ms) WHERE state <> 'pending';

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_WebhookEvents_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND instr(CAST(NEW.PayloadBinary AS TEXT), '"events":[{') > 0
BEGIN
    INSERT OR IGNORE INTO webhook_event
        (service_id, event_id, application_id, session_id, sequence, event_type, status, occurred_at_ms, recorded_at_ms)
    SELECT NEW.ServiceId,
           lower(json_extract(e.value, '$.event_id')),
           lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.application_id')),
           lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id')),
           json_extract(e.value, '$.sequence'),
           json_extract(e.value, '$.type'),
           json_extract(e.value, '$.status'),
           strftime('%s', json_extract(e.value, '$.occurred_at')) * 1000
               + CAST(substr(strftime('%f', json_extract(e.value, '$.occurred_at')), 4) AS INTEGER),
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM json_each(CAST(NEW.PayloadBinary AS TEXT), '$.events') AS e;
END;

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_WebhookEvents_Update
AFTER UPDATE OF PayloadBinary ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND instr(CAST(NEW.PayloadBinary AS TEXT), '"events":[{') > 0
BEGIN
    INSERT OR IGNORE INTO webhook_event
        (service_id, event_id, application_id, session_id, sequence, event_type, status, occurred_at_ms, recorded_at_ms)
    SELECT NEW.ServiceId,
           lower(json_extract(e.value, '$.event_id')),
           lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.application_id')),
           lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id')),
           json_extract(e.value, '$.sequence'),
           json_extract(e.value, '$.type'),
           json_extract(e.value, '$.status'),
           strftime('%s', json_extract(e.value, '$.occurred_at')) * 1000
               + CAST(substr(strftime('%f', json_extract(e.value, '$.occurred_at')), 4) AS INTEGER),
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM json_each(CAST(NEW.PayloadBinary AS TEXT), '$.events') AS e;
END;
