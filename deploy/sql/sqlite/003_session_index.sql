-- OrleansShare migration 003 (SQLite): the session index, our relational read model for lists.
--
-- Maintained by triggers on OrleansStorage, inside the grain write's own statement: a committed session
-- write and its index row are never out of step, and there is no extra round trip.
-- Only rows whose state name (GrainTypeString) is 'session' and whose payload is not NULL are read. The
-- payload is the UTF-8 JSON of the session state with snake_case properties. deleted = true removes the
-- index row; anything else upserts it. A cleared state (payload NULL) leaves the index alone.
-- Uuids are stored as lower-case text, created_at as unix milliseconds. A payload the triggers cannot
-- read (not JSON, a required property missing, a bad date) fails the grain write.

CREATE TABLE IF NOT EXISTS session_index
(
    service_id     TEXT    NOT NULL,
    application_id TEXT    NOT NULL,
    session_id     TEXT    NOT NULL,
    session_number INTEGER NOT NULL,
    session_kind   TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    vendor_data    TEXT    NULL,
    workflow_id    TEXT    NULL,
    created_at_ms  INTEGER NOT NULL,
    CONSTRAINT PK_session_index PRIMARY KEY (service_id, session_id)
);

CREATE INDEX IF NOT EXISTS IX_session_index_list
    ON session_index (service_id, application_id, created_at_ms DESC, session_number DESC);

CREATE INDEX IF NOT EXISTS IX_session_index_entity
    ON session_index (service_id, application_id, session_kind, vendor_data);

-- SQLite has no "INSERT OR UPDATE" trigger and no trigger variables: the two triggers share one body, and
-- json_extract re-reads the payload per property (SQLite caches the parse).

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_SessionIndex_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
BEGIN
    DELETE FROM session_index
    WHERE service_id = NEW.ServiceId
      AND session_id = lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id'))
      AND COALESCE(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.deleted'), 0) = 1;

    INSERT INTO session_index
        (service_id, application_id, session_id, session_number, session_kind, status,
         vendor_data, workflow_id, created_at_ms)
    SELECT
        NEW.ServiceId,
        lower(json_extract(p, '$.application_id')),
        lower(json_extract(p, '$.session_id')),
        json_extract(p, '$.session_number'),
        json_extract(p, '$.session_kind'),
        json_extract(p, '$.status'),
        json_extract(p, '$.vendor_data'),
        lower(json_extract(p, '$.workflow_id')),
        strftime('%s', json_extract(p, '$.created_at')) * 1000
            + CAST(substr(strftime('%f', json_extract(p, '$.created_at')), 4) AS INTEGER)
    FROM (SELECT CAST(NEW.PayloadBinary AS TEXT) AS p)
    WHERE COALESCE(json_extract(p, '$.deleted'), 0) <> 1
    ON CONFLICT (service_id, session_id) DO UPDATE SET
        application_id = excluded.application_id,
        session_number = excluded.session_number,
        session_kind   = excluded.session_kind,
        status         = excluded.status,
        vendor_data    = excluded.vendor_data,
        workflow_id    = excluded.workflow_id,
        created_at_ms  = excluded.created_at_ms;
END;

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_SessionIndex_Update
AFTER UPDATE OF PayloadBinary ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
BEGIN
    DELETE FROM session_index
    WHERE service_id = NEW.ServiceId
      AND session_id = lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id'))
      AND COALESCE(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.deleted'), 0) = 1;

    INSERT INTO session_index
        (service_id, application_id, session_id, session_number, session_kind, status,
         vendor_data, workflow_id, created_at_ms)
    SELECT
        NEW.ServiceId,
        lower(json_extract(p, '$.application_id')),
        lower(json_extract(p, '$.session_id')),
        json_extract(p, '$.session_number'),
        json_extract(p, '$.session_kind'),
        json_extract(p, '$.status'),
        json_extract(p, '$.vendor_data'),
        lower(json_extract(p, '$.workflow_id')),
        strftime('%s', json_extract(p, '$.created_at')) * 1000
            + CAST(substr(strftime('%f', json_extract(p, '$.created_at')), 4) AS INTEGER)
    FROM (SELECT CAST(NEW.PayloadBinary AS TEXT) AS p)
    WHERE COALESCE(json_extract(p, '$.deleted'), 0) <> 1
    ON CONFLICT (service_id, session_id) DO UPDATE SET
        application_id = excluded.application_id,
        session_number = excluded.session_number,
        session_kind   = excluded.session_kind,
        status         = excluded.status,
        vendor_data    = excluded.vendor_data,
        workflow_id    = excluded.workflow_id,
        created_at_ms  = excluded.created_at_ms;
END;
