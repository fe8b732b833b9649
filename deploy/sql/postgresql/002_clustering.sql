-- OrleansShare migration 002 (PostgreSQL): ADO.NET clustering (silos and clients).
--
-- Contract (Orleans 10.4, DbStoredQueries / RelationalOrleansQueries):
--   * nine query keys, parameters bound by name with Npgsql's @Name placeholders;
--   * DeploymentId is the Orleans ClusterId; Status is the integer SiloStatus (Active = 3);
--   * the two read queries return one row per member plus the table version, and at least one row
--     (the version row) even when there are no members, hence the LEFT JOIN from the version table;
--   * the insert/update/version queries return one row with one integer column, > 0 meaning success;
--   * @Version is the table version the caller read (its ETag); a successful change bumps it by one.
-- Result columns are quoted so they come back spelled exactly as the provider reads them.

CREATE TABLE IF NOT EXISTS orleansmembershipversiontable
(
    deploymentid varchar(150)   NOT NULL,
    "timestamp"  timestamptz(3) NOT NULL DEFAULT now(),
    version      integer        NOT NULL DEFAULT 0,
    CONSTRAINT pk_orleansmembershipversiontable PRIMARY KEY (deploymentid)
);

CREATE TABLE IF NOT EXISTS orleansmembershiptable
(
    deploymentid varchar(150)   NOT NULL,
    address      varchar(45)    NOT NULL,
    port         integer        NOT NULL,
    generation   integer        NOT NULL,
    siloname     varchar(150)   NOT NULL,
    hostname     varchar(150)   NOT NULL,
    status       integer        NOT NULL,
    proxyport    integer        NULL,
    suspecttimes varchar(8000)  NULL,
    starttime    timestamptz(3) NOT NULL,
    iamalivetime timestamptz(3) NOT NULL,
    CONSTRAINT pk_orleansmembershiptable PRIMARY KEY (deploymentid, address, port, generation),
    CONSTRAINT fk_orleansmembershiptable_version FOREIGN KEY (deploymentid)
        REFERENCES orleansmembershipversiontable (deploymentid)
);

INSERT INTO orleansquery (querykey, querytext) VALUES

-- Creates the version row of a cluster once; returns 1 when this call created it, 0 when it existed.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleansmembershipversiontable (deploymentid, "timestamp", version)
    VALUES (@DeploymentId, now(), 0)
    ON CONFLICT (deploymentid) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer AS "RowCount" FROM created;
$q$),

-- Adds a silo when the table version still is @Version and the silo is not there yet; bumps the version
-- in the same statement. The version row lock serialises concurrent inserts: a loser re-checks the
-- version after the winner commits, matches nothing and returns 0.
('InsertMembershipKey', $q$
WITH bumped AS (
    UPDATE orleansmembershipversiontable
    SET version = version + 1, "timestamp" = now()
    WHERE deploymentid = @DeploymentId
      AND version = @Version
      AND NOT EXISTS (
          SELECT 1 FROM orleansmembershiptable
          WHERE deploymentid = @DeploymentId AND address = @Address
            AND port = @Port AND generation = @Generation)
    RETURNING deploymentid
), added AS (
    INSERT INTO orleansmembershiptable
        (deploymentid, address, port, generation, siloname, hostname, status, proxyport, starttime, iamalivetime)
    SELECT b.deploymentid, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
           @StartTime, @IAmAliveTime
    FROM bumped b
    ON CONFLICT (deploymentid, address, port, generation) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer AS "RowCount" FROM added;
$q$),

-- Changes a silo's status, suspicions and liveness when the table version still is @Version; bumps it.
('UpdateMembershipKey', $q$
WITH bumped AS (
    UPDATE orleansmembershipversiontable
    SET version = version + 1, "timestamp" = now()
    WHERE deploymentid = @DeploymentId
      AND version = @Version
      AND EXISTS (
          SELECT 1 FROM orleansmembershiptable
          WHERE deploymentid = @DeploymentId AND address = @Address
            AND port = @Port AND generation = @Generation)
    RETURNING deploymentid
), changed AS (
    UPDATE orleansmembershiptable m
    SET status = @Status, suspecttimes = @SuspectTimes, iamalivetime = @IAmAliveTime
    FROM bumped b
    WHERE m.deploymentid = b.deploymentid AND m.address = @Address
      AND m.port = @Port AND m.generation = @Generation
    RETURNING 1
)
SELECT count(*)::integer AS "RowCount" FROM changed;
$q$),

-- Heartbeat: liveness only, no version change.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleansmembershiptable
SET iamalivetime = @IAmAliveTime
WHERE deploymentid = @DeploymentId AND address = @Address
  AND port = @Port AND generation = @Generation;
$q$),

-- One silo (if present) and the table version.
('MembershipReadRowKey', $q$
SELECT
    v.deploymentid AS "DeploymentId",
    m.address      AS "Address",
    m.port         AS "Port",
    m.generation   AS "Generation",
    m.siloname     AS "SiloName",
    m.hostname     AS "HostName",
    m.status       AS "Status",
    m.proxyport    AS "ProxyPort",
    m.suspecttimes AS "SuspectTimes",
    m.starttime    AS "StartTime",
    m.iamalivetime AS "IAmAliveTime",
    v.version      AS "Version"
FROM orleansmembershipversiontable v
LEFT JOIN orleansmembershiptable m
       ON m.deploymentid = v.deploymentid
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deploymentid = @DeploymentId;
$q$),

-- Every silo of the cluster and the table version.
('MembershipReadAllKey', $q$
SELECT
    v.deploymentid AS "DeploymentId",
    m.address      AS "Address",
    m.port         AS "Port",
    m.generation   AS "Generation",
    m.siloname     AS "SiloName",
    m.hostname     AS "HostName",
    m.status       AS "Status",
    m.proxyport    AS "ProxyPort",
    m.suspecttimes AS "SuspectTimes",
    m.starttime    AS "StartTime",
    m.iamalivetime AS "IAmAliveTime",
    v.version      AS "Version"
FROM orleansmembershipversiontable v
LEFT JOIN orleansmembershiptable m ON m.deploymentid = v.deploymentid
WHERE v.deploymentid = @DeploymentId;
$q$),

-- Gateways a client may connect to: silos in status @Status (Active) that expose a gateway port.
('GatewaysQueryKey', $q$
SELECT
    address    AS "Address",
    proxyport  AS "ProxyPort",
    generation AS "Generation"
FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId AND status = @Status AND proxyport > 0;
$q$),

-- Removes a whole cluster (tests and tooling).
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleansmembershiptable WHERE deploymentid = @DeploymentId;
DELETE FROM orleansmembershipversiontable WHERE deploymentid = @DeploymentId;
$q$),

-- Removes silos that are not active and have not reported since @IAmAliveTime; no version change.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId AND iamalivetime < @IAmAliveTime AND status <> 3;
$q$)

ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
