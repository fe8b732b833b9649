using Microsoft.Extensions.DependencyInjection;
using OrleansShare.Grains.Sharing;
using OrleansShare.Silo.Hosting;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// A cluster whose redemptions can be interrupted after a chosen step (<see cref="Interruptions"/>), whose grain-state
/// writes can be made to fail (<see cref="Faults"/>), and whose silos sweep for interrupted redemptions every second.
/// </summary>
public class RecoveryClusterFixture : ClusterFixture
{
    public TestRedemptionInterruptions Interruptions { get; } = new();

    public StorageFaults Faults { get; } = new();

    protected override void ConfigureSilo(ISiloBuilder silo)
    {
        silo.Services.AddSingleton<IRedemptionInterruptions>(Interruptions);
        StorageFaults.Install(silo.Services, Faults);
        silo.Services.Configure<RedemptionRecoveryOptions>(o =>
        {
            o.RecoveryInterval = TimeSpan.FromSeconds(1);
            o.RecoveryMinimumAge = TimeSpan.FromSeconds(1);
        });
    }
}
