namespace OrleansShare.Tests.Fixtures;

/// <summary>Tests of the recovery sweep on PostgreSQL share one cluster and its server.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresRecoveryCollection : ICollectionFixture<PostgresRecoveryClusterFixture>
{
    public const string Name = "PostgresRecovery";
}
