using Microsoft.Extensions.Configuration;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// The <c>Dashboard</c> section: Orleans' dashboard (<c>Microsoft.Orleans.Dashboard</c>), off by default. When on, every
/// silo and gateway collects its statistics (a grain call filter on each call: keep it off where every microsecond counts)
/// and each gateway serves the dashboard on its own port, never on the API's.
/// </summary>
public sealed class DashboardSettings
{
    public const string SectionName = "Dashboard";

    /// <summary><c>Dashboard__Enabled</c>: set it on every silo and gateway of the cluster.</summary>
    public bool Enabled { get; set; }

    /// <summary><c>Dashboard__Port</c>: the port a gateway serves the dashboard on (no authentication: keep it off the public network).</summary>
    public int Port { get; set; } = 8081;

    public static DashboardSettings Read(IConfiguration configuration) =>
        configuration.GetSection(SectionName).Get<DashboardSettings>() ?? new DashboardSettings();
}
