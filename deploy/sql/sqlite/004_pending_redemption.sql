-- OrleansShare migration 004 (SQLite): redemptions begun and not yet finished.
--
-- A redemption writes three grain rows in order: the source session (which records the import and its plan),
-- the clone, the share token ('redeemed'). The source's write carries "pending_redemption": "<token key>" in its
-- payload (only that write does); these triggers copy it into pending_redemption, and any write of that share
-- token's row removes it again. A row that stays is a redemption interrupted after its first step: every silo's
-- recovery sweep lists the old ones and has their token grain finish them, so no call for the token is needed.

CREATE TABLE IF NOT EXISTS pending_redemption
(
    service_id        TEXT    NOT NULL,
    token_key         TEXT    NOT NULL,
    source_session_id TEXT    NOT NULL,
    recorded_at_ms    INTEGER NOT NULL,
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

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_TokenWritten_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'share-token'
BEGIN
    DELETE FROM pending_redemption WHERE service_id = NEW.ServiceId AND token_key = NEW.GrainIdExtensionString;
END;

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_TokenWritten_Update
AFTER UPDATE OF PayloadBinary ON OrleansStorage
WHEN NEW.GrainTypeString = 'share-token'
BEGIN
    DELETE FROM pending_redemption WHERE service_id = NEW.ServiceId AND token_key = NEW.GrainIdExtensionString;
END;
