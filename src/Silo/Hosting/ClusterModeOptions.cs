using System.ComponentModel.DataAnnotations;

namespace OrleansShare.Silo.Hosting;

/// <summary>The <c>Cluster</c> configuration section (named so as not to clash with Orleans' own ClusterOptions).</summary>
public sealed class ClusterModeOptions
{
    public const string SectionName = "Cluster";

    /// <summary><c>Cluster__Mode</c>: <c>Embedded</c> (default) or <c>AdoNet</c>.</summary>
    public ClusterMode Mode { get; set; } = ClusterMode.Embedded;

    /// <summary>
    /// <c>Cluster__HostSilo</c>, <c>AdoNet</c> mode only: <c>true</c> (default) makes a gateway process also a silo of
    /// the cluster (co-hosted: HTTP and grains in one process, on <c>Cluster__SiloPort</c> and <c>Cluster__GatewayPort</c>);
    /// <c>false</c> makes it a pure Orleans client of dedicated silos (split). An embedded gateway always hosts its silo.
    /// </summary>
    public bool HostSilo { get; set; } = true;

    /// <summary><c>Cluster__ClusterId</c>: silos and gateways of one deployment share it.</summary>
    [Required]
    public string ClusterId { get; set; } = "orleansshare";

    /// <summary><c>Cluster__ServiceId</c>: part of every storage key; never change it on a live deployment.</summary>
    [Required]
    public string ServiceId { get; set; } = "orleansshare";

    /// <summary><c>Cluster__SiloPort</c>: silo-to-silo port.</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary><c>Cluster__GatewayPort</c>: the port Orleans clients (our HTTP gateways) connect to.</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary><c>Cluster__AdvertisedAddress</c>: the address other silos reach this one on (an IP address; default loopback, so a multi-host cluster must set it, e.g. to the pod IP).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>
    /// <c>Cluster__Kubernetes</c>: <c>true</c> adds Orleans' Kubernetes hosting to the silo (<c>AdoNet</c> mode): the silo is
    /// named after its pod (<c>POD_NAME</c>, <c>POD_NAMESPACE</c>, <c>POD_IP</c>), and the silos delete the pods of silos the
    /// cluster declared dead and mark pods whose silo is gone, through the Kubernetes API (a Role on pods). Off by
    /// default, so that local runs and tests never look for a Kubernetes API.
    /// </summary>
    public bool Kubernetes { get; set; }
}
