namespace OrleansShare.Tests.Fixtures;

/// <summary>The PostgreSQL layer: one private server for all its tests, which run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "Postgres";
}
