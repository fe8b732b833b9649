-- OrleansShare migration 001 (PostgreSQL): the query table the Orleans ADO.NET providers read at start.
-- Every provider runs "SELECT QueryKey, QueryText FROM OrleansQuery" and refuses to start when a key it
-- needs is missing. Unquoted identifiers fold to lower case; Npgsql matches result column names
-- case-insensitively, so the providers still find QueryKey and QueryText.
-- Runs inside the installer's transaction: no BEGIN/COMMIT here.

CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64) NOT NULL,
    querytext text        NOT NULL,
    CONSTRAINT pk_orleansquery PRIMARY KEY (querykey)
);
