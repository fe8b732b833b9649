-- OrleansShare migration 004 (SQLite): redemptions begun and not yet finished.
--
-- A redemption writes three grain rows: first the source session (which records the import and its plan), then
-- the clone and the share token ('redeemed') together. The source's write carries "pending_redemption": "<token
-- key>" in its payload and the clone's first write "completed_redemption": "<token key>" (only those writes do);
-- these triggers insert the pending_redemption row and mark the clone written; a write of the share token's row
-- marks the token written. Whichever of the two comes second deletes the row. A row that stays is a redemption
-- interrupted on the way: every silo's recovery sweep lists the old ones, has their token grain finish them (no
-- call for the token is needed) and removes what it settled.

CREATE TABLE IF NOT EXISTS pending_redemption
(
    service_id        TEXT    NOT NULL,
    token_key         TEXT    NOT NULL,
    source_session_id TEXT    NOT NULL,
    recorded_at_ms    INTEGER NOT NULL,
    clone_written     INTEGER NOT NULL DEFAULT 0,
    token_written     INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT PK_pending_redemption PRIMARY KEY (service_id, token_key)
);

CREATE INDEX IF NOT EXISTS IX_pending_redemption_age ON pending_redemption (service_id, recorded_at_ms);

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_PendingRedemption_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption') IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO pending_redemption (service_id, token_key, source_session_id, recorded_at_ms)
    VALUES (NEW.ServiceId,
            json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption'),
            lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id')),
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_PendingRedemption_Update
AFTER UPDATE OF PayloadBinary ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption') IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO pending_redemption (service_id, token_key, source_session_id, recorded_at_ms)
    VALUES (NEW.ServiceId,
            json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption'),
            lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id')),
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_CompletedRedemption_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.completed_redemption') IS NOT NULL
BEGIN
    UPDATE pending_redemption SET clone_written = 1
    WHERE service_id = NEW.ServiceId
      AND token_key = json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.completed_redemption');
    DELETE FROM pending_redemption
    WHERE service_id = NEW.ServiceId
      AND token_key = json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.completed_redemption')
      AND token_written = 1;
END;

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_TokenWritten_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'share-token'
BEGIN
    UPDATE pending_redemption SET token_written = 1 WHERE service_id = NEW.ServiceId AND token_key = NEW.GrainIdExtensionString;
    DELETE FROM pending_redemption WHERE service_id = NEW.ServiceId AND token_key = NEW.GrainIdExtensionString AND clone_written = 1;
END;

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_TokenWritten_Update
AFTER UPDATE OF PayloadBinary ON OrleansStorage
WHEN NEW.GrainTypeString = 'share-token'
BEGIN
    UPDATE pending_redemption SET token_written = 1 WHERE service_id = NEW.ServiceId AND token_key = NEW.GrainIdExtensionString;
    DELETE FROM pending_redemption WHERE service_id = NEW.ServiceId AND token_key = NEW.GrainIdExtensionString AND clone_written = 1;
END;
