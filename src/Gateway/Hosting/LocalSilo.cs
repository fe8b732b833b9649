namespace OrleansShare.Gateway.Hosting;

/// <summary>
/// This process's role, and the status of its own silo when it hosts one (embedded, co-hosted); readiness reads it.
/// </summary>
internal sealed class LocalSilo(GatewayRole role, ISiloStatusOracle? oracle)
{
    /// <summary>The role as <c>/health/ready</c> and the local cluster script name it.</summary>
    public string RoleName => role switch
    {
        GatewayRole.Embedded => "embedded",
        GatewayRole.GatewayAndSilo => "gateway+silo",
        _ => "gateway",
    };

    /// <summary>True when this process hosts no silo, or its silo is an Active member of the cluster.</summary>
    public bool IsActive => oracle is null || oracle.CurrentStatus == SiloStatus.Active;

    /// <summary>The status of this process's silo, or null when it hosts none.</summary>
    public SiloStatus? Status => oracle?.CurrentStatus;
}
