-- OrleansShare migration 006 (SQLite): the share ledger (API.md, Share governance).
--
-- One row per share token: who minted it for whom, why (purpose), what (scope), with what consent, until when, and
-- whether and when it was redeemed (and into which session) or revoked. GET /v3/session/{id}/shares/ and
-- GET /v3/share-ledger/ read it; no grain state holds a growing list of shares.
--
-- Kept by triggers on OrleansStorage, inside the grain write's own transaction: the write that mints, redeems or
-- revokes a token carries "ledger": {"change": "shared" | "redeemed" | "revoked", ...} in its payload (every other
-- session write carries null), and the triggers apply it here. Each change is an upsert, so a write repeated changes
-- nothing twice. Rows hold no personal data of the session and outlive it; rows older than Retention__LedgerDays are
-- purged by the retention job. Uuids are lower-case text, times unix milliseconds.
--
-- Existing sessions' shares, imports and revocations are copied in from their activity logs.

CREATE TABLE IF NOT EXISTS share_ledger
(
    service_id              TEXT    NOT NULL,
    token_id                TEXT    NOT NULL,
    source_application_id   TEXT    NOT NULL,
    partner_application_id  TEXT    NOT NULL,
    session_id              TEXT    NOT NULL,
    session_kind            TEXT    NOT NULL,
    purpose                 TEXT    NULL,
    scope                   TEXT    NULL,
    consent_obtained_at_ms  INTEGER NULL,
    consent_method          TEXT    NULL,
    consent_reference       TEXT    NULL,
    created_at_ms           INTEGER NOT NULL,
    expires_at_ms           INTEGER NULL,
    redeemed_at_ms          INTEGER NULL,
    imported_session_id     TEXT    NULL,
    revoked_at_ms           INTEGER NULL,
    CONSTRAINT PK_share_ledger PRIMARY KEY (service_id, token_id)
);

CREATE INDEX IF NOT EXISTS IX_share_ledger_outgoing ON share_ledger (service_id, source_application_id, created_at_ms DESC);
CREATE INDEX IF NOT EXISTS IX_share_ledger_incoming ON share_ledger (service_id, partner_application_id, created_at_ms DESC);
CREATE INDEX IF NOT EXISTS IX_share_ledger_session ON share_ledger (service_id, session_id, created_at_ms DESC);
CREATE INDEX IF NOT EXISTS IX_share_ledger_age ON share_ledger (service_id, created_at_ms);

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_ShareLedger_Insert
AFTER INSERT ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.ledger.change') IS NOT NULL
BEGIN
    INSERT INTO share_ledger
        (service_id, token_id, source_application_id, partner_application_id, session_id, session_kind,
         purpose, scope, consent_obtained_at_ms, consent_method, consent_reference, created_at_ms, expires_at_ms,
         redeemed_at_ms, imported_session_id, revoked_at_ms)
    SELECT
        NEW.ServiceId,
        json_extract(p, '$.ledger.token_id'),
        lower(json_extract(p, '$.application_id')),
        lower(json_extract(p, '$.ledger.partner_application_id')),
        lower(json_extract(p, '$.session_id')),
        json_extract(p, '$.session_kind'),
        json_extract(p, '$.ledger.purpose'),
        json_extract(p, '$.ledger.scope'),
        (strftime('%s', json_extract(p, '$.ledger.consent.obtained_at')) * 1000 + CAST(substr(strftime('%f', json_extract(p, '$.ledger.consent.obtained_at')), 4) AS INTEGER)),
        json_extract(p, '$.ledger.consent.method'),
        json_extract(p, '$.ledger.consent.reference'),
        (strftime('%s', json_extract(p, '$.ledger.at')) * 1000 + CAST(substr(strftime('%f', json_extract(p, '$.ledger.at')), 4) AS INTEGER)),
        (strftime('%s', json_extract(p, '$.ledger.expires_at')) * 1000 + CAST(substr(strftime('%f', json_extract(p, '$.ledger.expires_at')), 4) AS INTEGER)),
        CASE WHEN json_extract(p, '$.ledger.change') = 'redeemed' THEN (strftime('%s', json_extract(p, '$.ledger.at')) * 1000 + CAST(substr(strftime('%f', json_extract(p, '$.ledger.at')), 4) AS INTEGER)) END,
        lower(json_extract(p, '$.ledger.imported_session_id')),
        CASE WHEN json_extract(p, '$.ledger.change') = 'revoked' THEN (strftime('%s', json_extract(p, '$.ledger.at')) * 1000 + CAST(substr(strftime('%f', json_extract(p, '$.ledger.at')), 4) AS INTEGER)) END
    FROM (SELECT CAST(NEW.PayloadBinary AS TEXT) AS p)
    WHERE json_extract(p, '$.ledger.change') IS NOT NULL
    ON CONFLICT (service_id, token_id) DO UPDATE SET
        redeemed_at_ms      = COALESCE(share_ledger.redeemed_at_ms, excluded.redeemed_at_ms),
        imported_session_id = COALESCE(share_ledger.imported_session_id, excluded.imported_session_id),
        revoked_at_ms       = CASE WHEN excluded.redeemed_at_ms IS NOT NULL THEN NULL
                                   ELSE COALESCE(share_ledger.revoked_at_ms, excluded.revoked_at_ms) END
    WHERE excluded.redeemed_at_ms IS NOT NULL OR excluded.revoked_at_ms IS NOT NULL;
END;

CREATE TRIGGER IF NOT EXISTS TR_OrleansStorage_ShareLedger_Update
AFTER UPDATE OF PayloadBinary ON OrleansStorage
WHEN NEW.GrainTypeString = 'session' AND NEW.PayloadBinary IS NOT NULL
 AND json_extract(CAST(NEW.PayloadBinary AS TEXT), '$.ledger.change') IS NOT NULL
BEGIN
    INSERT INTO share_ledger
        (service_id, token_id, source_application_id, partner_application_id, session_id, session_kind,
         purpose, scope, consent_obtained_at_ms, consent_method, consent_reference, created_at_ms, expires_at_ms,
         redeemed_at_ms, imported_session_id, revoked_at_ms)
    SELECT
        NEW.ServiceId,
        json_extract(p, '$.ledger.token_id'),
        lower(json_extract(p, '$.application_id')),
        lower(json_extract(p, '$.ledger.partner_application_id')),
        lower(json_extract(p, '$.session_id')),
        json_extract(p, '$.session_kind'),
        json_extract(p, '$.ledger.purpose'),
        json_extract(p, '$.ledger.scope'),
        (strftime('%s', json_extract(p, '$.ledger.consent.obtained_at')) * 1000 + CAST(substr(strftime('%f', json_extract(p, '$.ledger.consent.obtained_at')), 4) AS INTEGER)),
        json_extract(p, '$.ledger.consent.method'),
        json_extract(p, '$.ledger.consent.reference'),
        (strftime('%s', json_extract(p, '$.ledger.at')) * 1000 + CAST(substr(strftime('%f', json_extract(p, '$.ledger.at')), 4) AS INTEGER)),
        (strftime('%s', json_extract(p, '$.ledger.expires_at')) * 1000 + CAST(substr(strftime('%f', json_extract(p, '$.ledger.expires_at')), 4) AS INTEGER)),
        CASE WHEN json_extract(p, '$.ledger.change') = 'redeemed' THEN (strftime('%s', json_extract(p, '$.ledger.at')) * 1000 + CAST(substr(strftime('%f', json_extract(p, '$.ledger.at')), 4) AS INTEGER)) END,
        lower(json_extract(p, '$.ledger.imported_session_id')),
        CASE WHEN json_extract(p, '$.ledger.change') = 'revoked' THEN (strftime('%s', json_extract(p, '$.ledger.at')) * 1000 + CAST(substr(strftime('%f', json_extract(p, '$.ledger.at')), 4) AS INTEGER)) END
    FROM (SELECT CAST(NEW.PayloadBinary AS TEXT) AS p)
    WHERE json_extract(p, '$.ledger.change') IS NOT NULL
    ON CONFLICT (service_id, token_id) DO UPDATE SET
        redeemed_at_ms      = COALESCE(share_ledger.redeemed_at_ms, excluded.redeemed_at_ms),
        imported_session_id = COALESCE(share_ledger.imported_session_id, excluded.imported_session_id),
        revoked_at_ms       = CASE WHEN excluded.redeemed_at_ms IS NOT NULL THEN NULL
                                   ELSE COALESCE(share_ledger.revoked_at_ms, excluded.revoked_at_ms) END
    WHERE excluded.redeemed_at_ms IS NOT NULL OR excluded.revoked_at_ms IS NOT NULL;
END;

INSERT OR IGNORE INTO share_ledger
    (service_id, token_id, source_application_id, partner_application_id, session_id, session_kind, created_at_ms, expires_at_ms)
SELECT s.ServiceId, json_extract(e.value, '$.details.token_id'), lower(json_extract(s.p, '$.application_id')),
       lower(json_extract(e.value, '$.details.for_application_id')), lower(json_extract(s.p, '$.session_id')),
       json_extract(s.p, '$.session_kind'),
       (strftime('%s', json_extract(e.value, '$.created_at')) * 1000 + CAST(substr(strftime('%f', json_extract(e.value, '$.created_at')), 4) AS INTEGER)),
       (strftime('%s', json_extract(e.value, '$.details.expires_at')) * 1000 + CAST(substr(strftime('%f', json_extract(e.value, '$.details.expires_at')), 4) AS INTEGER))
FROM (SELECT ServiceId, CAST(PayloadBinary AS TEXT) AS p FROM OrleansStorage
      WHERE GrainTypeString = 'session' AND PayloadBinary IS NOT NULL) s, json_each(COALESCE(json_extract(s.p, '$.activity'), '[]')) e
WHERE json_extract(e.value, '$.action') = 'shared' AND json_extract(e.value, '$.details.token_id') IS NOT NULL;

UPDATE share_ledger SET
    redeemed_at_ms = (
        SELECT (strftime('%s', json_extract(e.value, '$.created_at')) * 1000 + CAST(substr(strftime('%f', json_extract(e.value, '$.created_at')), 4) AS INTEGER))
        FROM (SELECT ServiceId, CAST(PayloadBinary AS TEXT) AS p FROM OrleansStorage
              WHERE GrainTypeString = 'session' AND PayloadBinary IS NOT NULL) s, json_each(COALESCE(json_extract(s.p, '$.activity'), '[]')) e
        WHERE s.ServiceId = share_ledger.service_id AND lower(json_extract(s.p, '$.session_id')) = share_ledger.session_id
          AND json_extract(e.value, '$.action') = 'imported_by_partner' AND json_extract(e.value, '$.details.token_id') = share_ledger.token_id),
    imported_session_id = (
        SELECT lower(json_extract(e.value, '$.details.partner_session_id'))
        FROM (SELECT ServiceId, CAST(PayloadBinary AS TEXT) AS p FROM OrleansStorage
              WHERE GrainTypeString = 'session' AND PayloadBinary IS NOT NULL) s, json_each(COALESCE(json_extract(s.p, '$.activity'), '[]')) e
        WHERE s.ServiceId = share_ledger.service_id AND lower(json_extract(s.p, '$.session_id')) = share_ledger.session_id
          AND json_extract(e.value, '$.action') = 'imported_by_partner' AND json_extract(e.value, '$.details.token_id') = share_ledger.token_id);

UPDATE share_ledger SET revoked_at_ms = (
    SELECT (strftime('%s', r.value) * 1000 + CAST(substr(strftime('%f', r.value), 4) AS INTEGER))
    FROM (SELECT ServiceId, CAST(PayloadBinary AS TEXT) AS p FROM OrleansStorage
          WHERE GrainTypeString = 'session' AND PayloadBinary IS NOT NULL) s, json_each(COALESCE(json_extract(s.p, '$.revoked_tokens'), '{}')) r
    WHERE s.ServiceId = share_ledger.service_id AND lower(json_extract(s.p, '$.session_id')) = share_ledger.session_id
      AND r.key = share_ledger.token_id)
WHERE redeemed_at_ms IS NULL;
