-- OrleansShare migration 005 (SQLite): a redemption's three writes leave together; each records its part.
--
-- A redemption sends the source's record (its payload carries "pending_redemption": "<token key>"), the clone
-- ("completed_redemption": "<token key>" on its first write) and the share token's row ('redeemed') at the same
-- time, so any of the three can land first, and a crash can keep any subset. Each of the three inserts its own
-- redemption_part row (source, clone or token). Every silo's recovery sweep deletes the redemptions whose three parts
-- are all recorded and, for those older than a few seconds that have a part missing, has their token grain finish
-- them from whichever part holds the plan (the token's row, the source's export plans, or the clone, whose id its
-- part keeps), then deletes their parts.
--
-- Replaces migration 004's pending_redemption (one row per redemption with a flag per part): its rows become the
-- parts they had marked.

CREATE TABLE IF NOT EXISTS redemption_part
(
    service_id        TEXT    NOT NULL,
    token_key         TEXT    NOT NULL,
    part              TEXT    NOT NULL CHECK (part IN ('source', 'clone', 'token')),
    source_session_id TEXT    NOT NULL,
    clone_session_id  TEXT    NULL,
    recorded_at_ms    INTEGER NOT NULL,
    CONSTRAINT PK_redemption_part PRIMARY KEY (service_id, token_key, part)
);

CREATE INDEX IF NOT EXISTS IX_redemption_part_age ON redemption_part (service_id, recorded_at_ms);

INSERT OR IGNORE INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
SELECT service_id, token_key, 'source', source_session_id, NULL, recorded_at_ms FROM pending_redemption
UNION ALL
SELECT service_id, token_key, 'clone', source_session_id, NULL, recorded_at_ms FROM pending_redemption WHERE clone_written = 1
UNION ALL
SELECT service_id, token_key, 'token', source_session_id, NULL, recorded_at_ms FROM pending_redemption WHERE token_written = 1;

DROP TRIGGER IF EXISTS TR_OrleansStorage_PendingRedemption_Insert;
DROP TRIGGER IF EXISTS TR_OrleansStorage_PendingRedemption_Update;
DROP TRIGGER IF EXISTS TR_OrleansStorage_CompletedRedemption_Insert;
DROP TRIGGER IF EXISTS TR_OrleansStorage_TokenWritten_Insert;
DROP TRIGGER IF EXISTS TR_OrleansStorage_TokenWritten_Update;
DROP TABLE IF EXISTS pending_redemption;

CREATE TRIGGER TR_OrleansStorage_SourcePart_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption') IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
    VALUES (NEW.ServiceId, json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption'), 'source', lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id')), NULL, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER TR_OrleansStorage_SourcePart_Update
AFTER UPDATE OF PayloadBinary ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption') IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
    VALUES (NEW.ServiceId, json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.pending_redemption'), 'source', lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id')), NULL, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER TR_OrleansStorage_ClonePart_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.completed_redemption') IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
    VALUES (NEW.ServiceId, json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.completed_redemption'), 'clone', lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.shared_from_session')), lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.session_id')), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER TR_OrleansStorage_TokenPart_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'share-token' AND NEW.PayloadBinary IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
    VALUES (NEW.ServiceId, NEW.GrainIdExtensionString, 'token', COALESCE(lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.plan.source_session_id')), '00000000-0000-0000-0000-000000000000'), lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.plan.new_session_id')), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER TR_OrleansStorage_TokenPart_Update
AFTER UPDATE OF PayloadBinary ON OrleansStorage
WHEN NEW.GrainTypeString = 'share-token' AND NEW.PayloadBinary IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO redemption_part (service_id, token_key, part, source_session_id, clone_session_id, recorded_at_ms)
    VALUES (NEW.ServiceId, NEW.GrainIdExtensionString, 'token', COALESCE(lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.plan.source_session_id')), '00000000-0000-0000-0000-000000000000'), lower(json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.plan.new_session_id')), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
