-- OrleansShare migration 008 (SQLite): the data keys of encryption at rest.
--
-- A session's personal data (decision sections, metadata, expected_details, contact_details) is stored sealed with
-- AES-256-GCM under a data key of its application. Each application has one random 256-bit data key per master key
-- (Storage__EncryptionKeys__<kid>, or the key embedded mode generates in its data folder): it is made on first use
-- (INSERT ... ON CONFLICT DO NOTHING, then read back) and stored here wrapped (AES-256-GCM) by that master key; the
-- master keys themselves are never stored in the database. Uuids are lower-case text.

CREATE TABLE IF NOT EXISTS data_key
(
    service_id     TEXT NOT NULL,
    application_id TEXT NOT NULL,
    kid            TEXT NOT NULL,
    wrapped_key    BLOB NOT NULL,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT PK_data_key PRIMARY KEY (service_id, application_id, kid)
);
