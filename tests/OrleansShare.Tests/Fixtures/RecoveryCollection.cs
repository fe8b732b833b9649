namespace OrleansShare.Tests.Fixtures;

/// <summary>Tests of the recovery sweep share one cluster whose silos sweep every second.</summary>
[CollectionDefinition(Name)]
public sealed class RecoveryCollection : ICollectionFixture<RecoveryClusterFixture>
{
    public const string Name = "Recovery";
}
