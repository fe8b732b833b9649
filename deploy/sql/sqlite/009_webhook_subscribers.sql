-- OrleansShare migration 009 (SQLite): webhook events only for applications that have a destination, and the
-- dispatcher's outbox read in recording order.
--
-- webhook_subscriber holds the applications that have at least one webhook destination, kept by triggers on the
-- application's own write (same transaction). An event whose application is not in it is not recorded: the outbox
-- trigger's insert is ignored (RAISE(IGNORE) in a BEFORE trigger drops that row alone), so an application with no
-- destination adds no outbox row that the dispatcher would read, fan out to nobody and delete. Uuids are lower-case text.

CREATE TABLE IF NOT EXISTS webhook_subscriber
(
    service_id     TEXT NOT NULL,
    application_id TEXT NOT NULL,
    CONSTRAINT PK_webhook_subscriber PRIMARY KEY (service_id, application_id)
);

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_WebhookSubscriber_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'application' AND NEW.PayloadBinary IS NOT NULL
BEGIN
    DELETE FROM webhook_subscriber
    WHERE service_id = NEW.ServiceId AND application_id = lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.application_id'));
    INSERT OR IGNORE INTO webhook_subscriber (service_id, application_id)
    SELECT NEW.ServiceId, lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.application_id'))
    WHERE json_type(CAST(NEW.PayloadBinary AS TEXT), '$.webhook_destinations') = 'object'
      AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.webhook_destinations') <> '{}'
      AND NOT COALESCE(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.deleted'), 0);
END;

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_WebhookSubscriber_Update
AFTER UPDATE OF PayloadBinary ON OrleansStorage
WHEN NEW.GrainTypeString = 'application' AND NEW.PayloadBinary IS NOT NULL
BEGIN
    DELETE FROM webhook_subscriber
    WHERE service_id = NEW.ServiceId AND application_id = lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.application_id'));
    INSERT OR IGNORE INTO webhook_subscriber (service_id, application_id)
    SELECT NEW.ServiceId, lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.application_id'))
    WHERE json_type(CAST(NEW.PayloadBinary AS TEXT), '$.webhook_destinations') = 'object'
      AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.webhook_destinations') <> '{}'
      AND NOT COALESCE(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.deleted'), 0);
END;

CREATE TRIGGER IF NOT EXISTS TR_WebhookEvent_OnlyForSubscribers
BEFORE INSERT ON webhook_event
WHEN NOT EXISTS (SELECT 1 FROM webhook_subscriber s WHERE s.service_id = NEW.service_id AND s.application_id = NEW.application_id)
BEGIN
    SELECT RAISE(IGNORE);
END;

-- Applications that had destinations before this migration.
INSERT OR IGNORE INTO webhook_subscriber (service_id, application_id)
SELECT ServiceId, lower(json_extract(CAST(PayloadBinary AS TEXT), '$.application_id'))
FROM OrleansStorage
WHERE GrainTypeString = 'application' AND PayloadBinary IS NOT NULL
  AND json_type(CAST(PayloadBinary AS TEXT), '$.webhook_destinations') = 'object'
  AND json_extract(CAST(PayloadBinary AS TEXT), '$.webhook_destinations') <> '{}'
  AND NOT COALESCE(json_extract(CAST(PayloadBinary AS TEXT), '$.deleted'), 0);

CREATE INDEX IF NOT EXISTS IX_webhook_event_recorded ON webhook_event (service_id, recorded_at_ms);
