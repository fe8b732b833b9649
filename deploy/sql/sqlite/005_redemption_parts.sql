-- OrleansShare migration 005 (SQLite): a redemption's three writes leave together.
--
-- A redemption now sends the source's record (its payload carries "pending_redemption": "<token key>"), the clone
-- ("completed_redemption": "<token key>" on its first write) and the share token's row ('redeemed') at the same
-- time, so any of the three can land first, and a crash can keep any subset. Each of the three marks its part on the
-- pending_redemption row of the token, creating the row when it is the first; the one that finds all three parts
-- marked deletes it (SQLite has one writer, so the marks never race). A row that stays is a redemption with a part
-- missing: the recovery sweep has its token grain finish it from whichever part holds the plan (the token's row, the
-- source's export plans, or the clone, whose id the row keeps) and removes the row.
--
-- Rows written by migration 004's triggers were created by the source's write: they keep source_written = 1.

ALTER TABLE pending_redemption ADD COLUMN source_written INTEGER NOT NULL DEFAULT 1;
ALTER TABLE pending_redemption ADD COLUMN clone_session_id TEXT;

DROP TRIGGER IF EXISTS TR_OrleansStorage_PendingRedemption_Insert;
DROP TRIGGER IF EXISTS TR_OrleansStorage_PendingRedemption_Update;
DROP TRIGGER IF EXISTS TR_OrleansStorage_CompletedRedemption_Insert;
DROP TRIGGER IF EXISTS TR_OrleansStorage_TokenWritten_Insert;
DROP TRIGGER IF EXISTS TR_OrleansStorage_TokenWritten_Update;

CREATE TRIGGER TR_OrleansStorage_SourcePart_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption') IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO pending_redemption
        (service_id, token_key, source_session_id, clone_session_id, recorded_at_ms, source_written, clone_written, token_written)
    VALUES (NEW.ServiceId, json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption'), lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id')), NULL, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 0, 0, 0);
    UPDATE pending_redemption SET source_written = 1
    WHERE service_id = NEW.ServiceId AND token_key = json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption');
    DELETE FROM pending_redemption
    WHERE service_id = NEW.ServiceId AND token_key = json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption')
      AND source_written = 1 AND clone_written = 1 AND token_written = 1;
END;

CREATE TRIGGER TR_OrleansStorage_SourcePart_Update
AFTER UPDATE OF PayloadBinary ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption') IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO pending_redemption
        (service_id, token_key, source_session_id, clone_session_id, recorded_at_ms, source_written, clone_written, token_written)
    VALUES (NEW.ServiceId, json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption'), lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id')), NULL, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 0, 0, 0);
    UPDATE pending_redemption SET source_written = 1
    WHERE service_id = NEW.ServiceId AND token_key = json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption');
    DELETE FROM pending_redemption
    WHERE service_id = NEW.ServiceId AND token_key = json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption')
      AND source_written = 1 AND clone_written = 1 AND token_written = 1;
END;

CREATE TRIGGER TR_OrleansStorage_ClonePart_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.completed_redemption') IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO pending_redemption
        (service_id, token_key, source_session_id, clone_session_id, recorded_at_ms, source_written, clone_written, token_written)
    VALUES (NEW.ServiceId, json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.completed_redemption'), lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.shared_from_session')), lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id')), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 0, 0, 0);
    UPDATE pending_redemption SET clone_written = 1, clone_session_id = COALESCE(clone_session_id, lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id')))
    WHERE service_id = NEW.ServiceId AND token_key = json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.completed_redemption');
    DELETE FROM pending_redemption
    WHERE service_id = NEW.ServiceId AND token_key = json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.completed_redemption')
      AND source_written = 1 AND clone_written = 1 AND token_written = 1;
END;

CREATE TRIGGER TR_OrleansStorage_TokenPart_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'share-token' AND NEW.PayloadBinary IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO pending_redemption
        (service_id, token_key, source_session_id, clone_session_id, recorded_at_ms, source_written, clone_written, token_written)
    VALUES (NEW.ServiceId, NEW.GrainIdExtensionString, COALESCE(lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.plan.source_session_id')), '00000000-0000-0000-0000-000000000000'), lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.plan.new_session_id')), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 0, 0, 0);
    UPDATE pending_redemption SET token_written = 1, clone_session_id = COALESCE(clone_session_id, lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.plan.new_session_id')))
    WHERE service_id = NEW.ServiceId AND token_key = NEW.GrainIdExtensionString;
    DELETE FROM pending_redemption
    WHERE service_id = NEW.ServiceId AND token_key = NEW.GrainIdExtensionString
      AND source_written = 1 AND clone_written = 1 AND token_written = 1;
END;

CREATE TRIGGER TR_OrleansStorage_TokenPart_Update
AFTER UPDATE OF PayloadBinary ON OrleansStorage
WHEN NEW.GrainTypeString = 'share-token' AND NEW.PayloadBinary IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO pending_redemption
        (service_id, token_key, source_session_id, clone_session_id, recorded_at_ms, source_written, clone_written, token_written)
    VALUES (NEW.ServiceId, NEW.GrainIdExtensionString, COALESCE(lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.plan.source_session_id')), '00000000-0000-0000-0000-000000000000'), lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.plan.new_session_id')), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 0, 0, 0);
    UPDATE pending_redemption SET token_written = 1, clone_session_id = COALESCE(clone_session_id, lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.plan.new_session_id')))
    WHERE service_id = NEW.ServiceId AND token_key = NEW.GrainIdExtensionString;
    DELETE FROM pending_redemption
    WHERE service_id = NEW.ServiceId AND token_key = NEW.GrainIdExtensionString
      AND source_written = 1 AND clone_written = 1 AND token_written = 1;
END;
