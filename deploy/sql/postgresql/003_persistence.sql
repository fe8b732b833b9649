-- OrleansShare migration 003 (PostgreSQL): ADO.NET grain persistence.
--
-- Contract (Orleans 10.4, AdoNetGrainStorage): parameters @GrainIdHash, @GrainIdN0, @GrainIdN1,
-- @GrainTypeHash, @GrainTypeString (the state name), @GrainIdExtensionString (NULL when the key has no
-- string part), @ServiceId, @GrainStateVersion (the ETag as an integer, NULL before the first write) and
-- @PayloadBinary. Read returns PayloadBinary and Version; write and clear return NewGrainStateVersion.
-- Returning no row (or NULL) makes the provider throw InconsistentStateException.
--
-- Unlike the public Orleans script, the grain identity is unique (uq_orleansstorage_grain), so two
-- overlapping first writes of one grain cannot both insert: the second one hits ON CONFLICT DO NOTHING,
-- returns no row and its activation gets InconsistentStateException. A NULL key extension and an empty
-- one are the same identity (COALESCE in the index and in every lookup).
-- The hash columns are stored for compatibility with the provider's parameters; lookups use the unique
-- index instead.

CREATE TABLE IF NOT EXISTS orleansstorage
(
    grainidhash            integer      NOT NULL,
    grainidn0              bigint       NOT NULL,
    grainidn1              bigint       NOT NULL,
    graintypehash          integer      NOT NULL,
    graintypestring        varchar(512) NOT NULL,
    grainidextensionstring varchar(512) NULL,
    serviceid              varchar(150) NOT NULL,
    payloadbinary          bytea        NULL,
    modifiedon             timestamptz  NOT NULL DEFAULT now(),
    version                integer      NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS uq_orleansstorage_grain
    ON orleansstorage (serviceid, graintypestring, grainidn0, grainidn1, (COALESCE(grainidextensionstring, '')));

INSERT INTO orleansquery (querykey, querytext) VALUES

('ReadFromStorageKey', $q$
SELECT payloadbinary AS "PayloadBinary", version AS "Version"
FROM orleansstorage
WHERE serviceid = @ServiceId
  AND graintypestring = @GrainTypeString
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND COALESCE(grainidextensionstring, '') = COALESCE(@GrainIdExtensionString, '');
$q$),

-- With a version: update only when it still matches (a concurrent writer waits on the row lock, then
-- sees the bumped version and matches nothing). Without a version: insert version 1 unless the grain
-- already has a row. Exactly one of the two statements can produce the row returned.
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE orleansstorage
    SET payloadbinary = @PayloadBinary, modifiedon = now(), version = version + 1
    WHERE serviceid = @ServiceId
      AND graintypestring = @GrainTypeString
      AND grainidn0 = @GrainIdN0
      AND grainidn1 = @GrainIdN1
      AND COALESCE(grainidextensionstring, '') = COALESCE(@GrainIdExtensionString, '')
      AND @GrainStateVersion IS NOT NULL
      AND version = @GrainStateVersion
    RETURNING version
), inserted AS (
    INSERT INTO orleansstorage
        (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, grainidextensionstring,
         serviceid, payloadbinary, modifiedon, version)
    SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString,
           @ServiceId, @PayloadBinary, now(), 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version
)
SELECT version AS "NewGrainStateVersion" FROM updated
UNION ALL
SELECT version FROM inserted;
$q$),

-- Keeps the row (DeleteStateOnClear = false): payload NULL, version bumped, same shape as the write.
('ClearStorageKey', $q$
UPDATE orleansstorage
SET payloadbinary = NULL, modifiedon = now(), version = version + 1
WHERE serviceid = @ServiceId
  AND graintypestring = @GrainTypeString
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND COALESCE(grainidextensionstring, '') = COALESCE(@GrainIdExtensionString, '')
  AND version = @GrainStateVersion
RETURNING version AS "NewGrainStateVersion";
$q$)

ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
