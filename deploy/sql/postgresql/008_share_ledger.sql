-- OrleansShare migration 008 (PostgreSQL): the share ledger (API.md, Share governance).
--
-- One row per share token: who minted it for whom, why (purpose), what (scope), with what consent, until when, and
-- whether and when it was redeemed (and into which session) or revoked. GET /v3/session/{id}/shares/ and
-- GET /v3/share-ledger/ read it; no grain state holds a growing list of shares.
--
-- Kept by the session storage trigger (its function as migration 011 defines it), inside the grain write's own transaction: the write that mints, redeems or
-- revokes a token carries "ledger": {"change": "shared" | "redeemed" | "revoked", ...} in its payload (every other
-- session write carries null), and the trigger applies it here. Each change is an upsert, so a write repeated (a
-- retried batch, a redemption finished by the recovery sweep) changes nothing twice.
--
-- Rows hold ids, parties, purpose, scope, consent and times, no personal data of the session: deleting a session
-- leaves its rows (an AML audit trail outlives the record). Rows older than Retention__LedgerDays are purged by every
-- silo's retention job. Times are unix milliseconds; token_id is text (tokens of early versions have no uuid jti).
--
-- Existing sessions' shares, imports and revocations are copied in from their activity logs (sessions deleted before
-- this migration kept no activity, so their shares are not in the ledger).

CREATE TABLE IF NOT EXISTS share_ledger
(
    service_id              varchar(150) NOT NULL,
    token_id                text         NOT NULL,
    source_application_id   uuid         NOT NULL,
    partner_application_id  uuid         NOT NULL,
    session_id              uuid         NOT NULL,
    session_kind            text         NOT NULL,
    purpose                 text         NULL,
    scope                   text         NULL,
    consent_obtained_at_ms  bigint       NULL,
    consent_method          text         NULL,
    consent_reference       text         NULL,
    created_at_ms           bigint       NOT NULL,
    expires_at_ms           bigint       NULL,
    redeemed_at_ms          bigint       NULL,
    imported_session_id     uuid         NULL,
    revoked_at_ms           bigint       NULL,
    CONSTRAINT pk_share_ledger PRIMARY KEY (service_id, token_id)
)
-- Room on each page for the redemption's or revocation's update of a row (a HOT update).
WITH (fillfactor = 85);

CREATE INDEX IF NOT EXISTS ix_share_ledger_outgoing ON share_ledger (service_id, source_application_id, created_at_ms DESC);
-- Not partial (WHERE redeemed_at_ms IS NOT NULL): a redemption would then change an indexed column and cost an index entry.
CREATE INDEX IF NOT EXISTS ix_share_ledger_incoming ON share_ledger (service_id, partner_application_id, created_at_ms DESC);
CREATE INDEX IF NOT EXISTS ix_share_ledger_session ON share_ledger (service_id, session_id, created_at_ms DESC);
CREATE INDEX IF NOT EXISTS ix_share_ledger_age ON share_ledger (service_id, created_at_ms);

CREATE OR REPLACE FUNCTION orleansshare_ms(t text) RETURNS bigint
LANGUAGE sql STABLE AS $fn$
    SELECT round(extract(epoch FROM t::timestamptz) * 1000)::bigint
$fn$;

-- Applies one session write's ledger change; doc is the session's payload. An upsert on the primary key, so no plan
-- choice is involved (a cached plan made while the table was small could otherwise scan it). A redemption or a
-- revocation changes no indexed column, so with the table's fillfactor PostgreSQL can keep the new version of the row
-- on its page (a HOT update, no index entry written).
CREATE OR REPLACE FUNCTION orleansshare_share_ledger_apply(service varchar, doc jsonb, ledger jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    change text   := ledger ->> 'change';
    at_ms  bigint := orleansshare_ms(ledger ->> 'at');
BEGIN
    INSERT INTO share_ledger
        (service_id, token_id, source_application_id, partner_application_id, session_id, session_kind,
         purpose, scope, consent_obtained_at_ms, consent_method, consent_reference, created_at_ms, expires_at_ms,
         redeemed_at_ms, imported_session_id, revoked_at_ms)
    VALUES
        (service,
         ledger ->> 'token_id',
         (doc ->> 'application_id')::uuid,
         (ledger ->> 'partner_application_id')::uuid,
         (doc ->> 'session_id')::uuid,
         doc ->> 'session_kind',
         ledger ->> 'purpose',
         ledger ->> 'scope',
         orleansshare_ms(ledger #>> '{consent,obtained_at}'),
         ledger #>> '{consent,method}',
         ledger #>> '{consent,reference}',
         at_ms,
         orleansshare_ms(ledger ->> 'expires_at'),
         CASE WHEN change = 'redeemed' THEN at_ms END,
         (ledger ->> 'imported_session_id')::uuid,
         CASE WHEN change = 'revoked' THEN at_ms END)
    ON CONFLICT (service_id, token_id) DO UPDATE SET
        redeemed_at_ms      = COALESCE(share_ledger.redeemed_at_ms, EXCLUDED.redeemed_at_ms),
        imported_session_id = COALESCE(share_ledger.imported_session_id, EXCLUDED.imported_session_id),
        revoked_at_ms       = CASE WHEN EXCLUDED.redeemed_at_ms IS NOT NULL THEN NULL
                                   ELSE COALESCE(share_ledger.revoked_at_ms, EXCLUDED.revoked_at_ms) END
    WHERE change <> 'shared';
END
$fn$;

-- The session trigger function calls orleansshare_share_ledger_apply for a write that carries a ledger change: it is
-- replaced, with that call, by migration 011 (which also copies the webhook events in the same function), so that a write's
-- payload is still parsed once. The two migrations are applied together, before any grain writes.


-- Shares, imports and revocations recorded before this migration, from the sessions' activity logs.
INSERT INTO share_ledger
    (service_id, token_id, source_application_id, partner_application_id, session_id, session_kind,
     created_at_ms, expires_at_ms)
SELECT s.serviceid, e -> 'details' ->> 'token_id', (d ->> 'application_id')::uuid,
       (e -> 'details' ->> 'for_application_id')::uuid, (d ->> 'session_id')::uuid, d ->> 'session_kind',
       orleansshare_ms(e ->> 'created_at'), orleansshare_ms(e -> 'details' ->> 'expires_at')
FROM orleansstorage s
CROSS JOIN LATERAL (SELECT convert_from(s.payloadbinary, 'UTF8')::jsonb AS d) p
CROSS JOIN LATERAL jsonb_array_elements(COALESCE(d -> 'activity', '[]'::jsonb)) e
WHERE s.graintypestring = 'session' AND s.payloadbinary IS NOT NULL
  AND e ->> 'action' = 'shared' AND e -> 'details' ->> 'token_id' IS NOT NULL
ON CONFLICT DO NOTHING;

UPDATE share_ledger l SET redeemed_at_ms = x.at_ms, imported_session_id = x.imported
FROM (
    SELECT s.serviceid AS service_id, e -> 'details' ->> 'token_id' AS token_id, orleansshare_ms(e ->> 'created_at') AS at_ms,
           (e -> 'details' ->> 'partner_session_id')::uuid AS imported
    FROM orleansstorage s
    CROSS JOIN LATERAL (SELECT convert_from(s.payloadbinary, 'UTF8')::jsonb AS d) p
    CROSS JOIN LATERAL jsonb_array_elements(COALESCE(d -> 'activity', '[]'::jsonb)) e
    WHERE s.graintypestring = 'session' AND s.payloadbinary IS NOT NULL AND e ->> 'action' = 'imported_by_partner'
) x
WHERE l.service_id = x.service_id AND l.token_id = x.token_id;

UPDATE share_ledger l SET revoked_at_ms = orleansshare_ms(x.revoked_at)
FROM (
    SELECT s.serviceid AS service_id, r.key AS token_id, r.value #>> '{}' AS revoked_at
    FROM orleansstorage s
    CROSS JOIN LATERAL (SELECT convert_from(s.payloadbinary, 'UTF8')::jsonb AS d) p
    CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(d -> 'revoked_tokens') = 'object' THEN d -> 'revoked_tokens' ELSE '{}'::jsonb END) r
    WHERE s.graintypestring = 'session' AND s.payloadbinary IS NOT NULL
) x
WHERE l.service_id = x.service_id AND l.token_id = x.token_id AND l.redeemed_at_ms IS NULL;
