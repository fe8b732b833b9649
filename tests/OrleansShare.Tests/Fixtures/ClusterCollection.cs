namespace OrleansShare.Tests.Fixtures;

/// <summary>The cluster tests share one three-silo cluster and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "Cluster";
}
