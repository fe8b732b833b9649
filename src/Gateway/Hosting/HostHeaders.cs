using System.Net;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using OrleansShare.Gateway.Options;
using OrleansShare.Gateway.Problems;

namespace OrleansShare.Gateway.Hosting;

/// <summary>
/// What the gateway believes about the address a request came to. <c>AllowedHosts</c> (ASP.NET Core's setting: host
/// names separated by <c>;</c>, <c>*.example.com</c> for subdomains, ports ignored) refuses a request that names another
/// Host with a 400 problem; the health probes answer whatever Host they name. <c>X-Forwarded-For</c>, <c>-Proto</c> and
/// <c>-Host</c> are applied, before the Host is checked, only with <c>Gateway__ForwardedHeaders=true</c> and only
/// from the trusted proxies.
/// </summary>
internal static class HostHeaders
{
    public const string AllowedHostsKey = "AllowedHosts";

    private static readonly PathString HealthPaths = new("/health");
    private static readonly PathString MetricsPath = new("/metrics");
    private static readonly PathString DashboardPath = new("/dashboard");

    /// <summary>Reads the <c>Gateway</c> section and sets up forwarded headers; fails with the name of the setting to fix.</summary>
    public static WebApplicationBuilder AddHostHeaders(this WebApplicationBuilder builder)
    {
        var gateway = ReadGatewayOptions(builder.Configuration.GetSection(GatewayOptions.SectionName), out var proxies, out var networks);
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName);

        // ASP.NET Core's own host filter reads AllowedHosts too, ahead of everything and answering in HTML;
        // UseAllowedHosts checks it instead, after forwarded headers and with a problem+json answer.
        builder.Services.Configure<HostFilteringOptions>(o => o.AllowedHosts = ["*"]);

        if (gateway.ForwardedHeaders)
        {
            builder.Services.Configure<ForwardedHeadersOptions>(o =>
            {
                o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
                if (proxies.Count > 0 || networks.Count > 0)
                {
                    // The operator's list replaces the default trusted proxy (loopback).
                    o.KnownProxies.Clear();
                    o.KnownIPNetworks.Clear();
                    proxies.ForEach(o.KnownProxies.Add);
                    networks.ForEach(o.KnownIPNetworks.Add);
                }
            });
        }

        return builder;
    }

    /// <summary>Applies a trusted proxy's forwarded headers when <c>Gateway__ForwardedHeaders=true</c>; first in the pipeline.</summary>
    public static WebApplication UseForwardedHeadersWhenEnabled(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.ForwardedHeaders)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <summary>Refuses a request whose Host is not one of <c>AllowedHosts</c>, when that lists any host but <c>*</c>.</summary>
    public static WebApplication UseAllowedHosts(this WebApplication app)
    {
        var patterns = (app.Configuration[AllowedHostsKey] ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => new StringSegment(p))
            .ToList();
        if (patterns.Count == 0 || patterns.Any(p => p.Equals("*", StringComparison.Ordinal)))
        {
            return app;
        }

        app.Use((context, next) =>
            context.Request.Path.StartsWithSegments(HealthPaths) || context.Request.Path.StartsWithSegments(MetricsPath)
                || context.Request.Path.StartsWithSegments(DashboardPath) || HostString.MatchesAny(context.Request.Host.Value ?? "", patterns)
                ? next(context)
                : ApiProblems.BadRequest("This gateway does not answer for the host named in the request's Host header; AllowedHosts lists those it answers for.")
                    .ExecuteAsync(context));
        return app;
    }

    private static GatewayOptions ReadGatewayOptions(IConfigurationSection section, out List<IPAddress> proxies, out List<System.Net.IPNetwork> networks)
    {
        var gateway = new GatewayOptions();
        try
        {
            section.Bind(gateway);
        }
        catch (InvalidOperationException ex)
        {
            throw Invalid($"Gateway__ForwardedHeaders must be true or false: {ex.Message}");
        }

        var errors = new List<string>();
        if (gateway.PublicBaseUrl is { Length: > 0 } publicBase
            && !(Uri.TryCreate(publicBase, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Query.Length == 0 && uri.Fragment.Length == 0))
        {
            errors.Add($"Gateway__PublicBaseUrl must be an absolute http or https URL without a query, such as https://kyc.example.com, not '{publicBase}'.");
        }

        proxies = [];
        foreach (var proxy in Split(gateway.KnownProxies))
        {
            if (IPAddress.TryParse(proxy, out var address))
            {
                proxies.Add(address);
            }
            else
            {
                errors.Add($"Gateway__KnownProxies must list IP addresses separated by ';', and '{proxy}' is not one.");
            }
        }

        networks = [];
        foreach (var network in Split(gateway.KnownNetworks))
        {
            if (System.Net.IPNetwork.TryParse(network, out var parsed))
            {
                networks.Add(parsed);
            }
            else
            {
                errors.Add($"Gateway__KnownNetworks must list networks in CIDR notation (10.0.0.0/8) separated by ';', and '{network}' is not one.");
            }
        }

        if (!gateway.ForwardedHeaders && (proxies.Count > 0 || networks.Count > 0))
        {
            errors.Add("Gateway__KnownProxies and Gateway__KnownNetworks only apply with Gateway__ForwardedHeaders=true; set it, or remove them.");
        }

        return errors.Count == 0 ? gateway : throw Invalid([.. errors]);
    }

    private static string[] Split(string? list) => (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static OptionsValidationException Invalid(params string[] errors) =>
        new(GatewayOptions.SectionName, typeof(GatewayOptions), errors);
}
