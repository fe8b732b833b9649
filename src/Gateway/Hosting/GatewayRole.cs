namespace OrleansShare.Gateway.Hosting;

/// <summary>What a gateway process is in its deployment.</summary>
internal enum GatewayRole
{
    /// <summary><c>Cluster__Mode=Embedded</c>: the only process, with its own silo on SQLite.</summary>
    Embedded,

    /// <summary><c>Cluster__Mode=AdoNet</c>, <c>Cluster__HostSilo=true</c>: HTTP and a silo of the cluster in one process.</summary>
    GatewayAndSilo,

    /// <summary><c>Cluster__Mode=AdoNet</c>, <c>Cluster__HostSilo=false</c>: an Orleans client of dedicated silos.</summary>
    Gateway,
}
