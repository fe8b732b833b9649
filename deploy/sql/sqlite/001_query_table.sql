-- OrleansShare migration 001 (SQLite): the query table the Orleans ADO.NET storage provider reads at start
-- ("SELECT QueryKey, QueryText FROM OrleansQuery ..."). SQLite is used for grain persistence only;
-- embedded mode clusters on localhost, so there are no clustering queries here.
-- Runs inside the installer's BEGIN IMMEDIATE transaction: no BEGIN/COMMIT here.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL,
    QueryText TEXT NOT NULL,
    CONSTRAINT PK_OrleansQuery PRIMARY KEY (QueryKey)
);
