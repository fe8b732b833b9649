-- OrleansShare migration 010 (PostgreSQL): the data keys of encryption at rest.
--
-- A session's personal data (decision sections, metadata, expected_details, contact_details) is stored sealed with
-- AES-256-GCM under a data key of its application. Each application has one random 256-bit data key per master key
-- (Storage__EncryptionKeys__<kid>): it is made on first use by whichever silo needs it first (INSERT ... ON CONFLICT
-- DO NOTHING, then read back, so racing silos agree on one) and stored here wrapped (AES-256-GCM) by that master
-- key; the master keys themselves are never stored in the database. A new master key (rotation) gives each
-- application a new data key when it next writes; the rows of the old one keep the old data key, unwrapped by the
-- old master key for as long as it stays configured.

CREATE TABLE IF NOT EXISTS data_key
(
    service_id     varchar(150) NOT NULL,
    application_id uuid         NOT NULL,
    kid            varchar(64)  NOT NULL,
    wrapped_key    bytea        NOT NULL,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_data_key PRIMARY KEY (service_id, application_id, kid)
);
