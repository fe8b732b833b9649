using OrleansShare.Tests.Cluster;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

/// <summary>The share ledger on PostgreSQL: the session storage trigger of migration 008 applies each write's ledger change.</summary>
[Collection(PostgresRecoveryCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class ShareLedgerOnPostgresTests(PostgresRecoveryClusterFixture fixture) : ShareLedgerCases(fixture);
