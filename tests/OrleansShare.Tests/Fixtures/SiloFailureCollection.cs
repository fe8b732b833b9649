namespace OrleansShare.Tests.Fixtures;

/// <summary>Silo-failure tests: their own cluster, run alone after the parallel collections.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SiloFailureCollection : ICollectionFixture<SiloFailureClusterFixture>
{
    public const string Name = "SiloFailure";
}
