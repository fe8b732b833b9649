using System.Globalization;
using OrleansShare.Silo.Hosting;

namespace OrleansShare.Gateway.Hosting;

/// <summary>
/// Listeners beside the API's: <c>Metrics__Port</c> (then <c>/metrics</c> answers there only) and the Orleans dashboard's
/// <c>Dashboard__Port</c> (when <c>Dashboard__Enabled=true</c>). Each is bound on the host of the API's first address.
/// </summary>
internal static class ExtraPorts
{
    public static int? MetricsPort(IConfiguration configuration) => configuration.GetValue<int?>("Metrics:Port");

    public static int? DashboardPort(IConfiguration configuration) =>
        DashboardSettings.Read(configuration) is { Enabled: true } dashboard ? dashboard.Port : null;

    /// <summary>The addresses to listen on, or null to leave ASP.NET Core's own (<c>urls</c>, <c>http_ports</c>) as they are.</summary>
    public static string? Urls(IConfiguration configuration, string defaultUrl)
    {
        var configured = configuration["urls"];
        var ports = configuration["http_ports"];
        var extras = new[] { MetricsPort(configuration), DashboardPort(configuration) }.OfType<int>().Distinct().ToList();
        if (extras.Count == 0 && (!string.IsNullOrEmpty(configured) || !string.IsNullOrEmpty(ports)))
        {
            return null;
        }

        var urls = !string.IsNullOrEmpty(configured) ? configured.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
            : !string.IsNullOrEmpty(ports) ? ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"http://*:{p}").ToList()
            : [defaultUrl];
        var first = BindingAddress.Parse(urls[0]);
        urls.AddRange(extras.Select(port => $"http://{first.Host}:{port.ToString(CultureInfo.InvariantCulture)}"));
        return string.Join(';', urls);
    }
}
