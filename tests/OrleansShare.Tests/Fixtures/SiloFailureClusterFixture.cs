using Orleans.Configuration;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// A cluster of its own for tests that kill silos: a dead silo is declared dead within a few seconds, and a call
/// stuck on it fails instead of waiting out the default response timeout.
/// </summary>
public sealed class SiloFailureClusterFixture : ClusterFixture
{
    protected override void ConfigureSilo(ISiloBuilder silo)
    {
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.MaxProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 1;
        });
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
    }
}
