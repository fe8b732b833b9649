using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime.Messaging;
using OrleansShare.Silo.Hosting;
using OrleansShare.Tests.Fixtures;

// IManagementGrain.GetHosts takes no CancellationToken of its own; each call here waits on the test's through WaitAsync.
#pragma warning disable xUnit1051

namespace OrleansShare.Tests.Cluster;

/// <summary>
/// Issue 15, item 3: a two-silo cluster on real TCP ports with TLS and mutual authentication on (Cluster__Tls__*, PEM files
/// as a Kubernetes TLS secret holds them). The second silo joins the first over TLS; a client with a certificate of the
/// cluster's authority calls a grain; a client without a certificate, or with one of another authority, cannot.
/// </summary>
public sealed class ClusterTlsTests : IAsyncLifetime
{
    private const string ClusterId = "tls-test";
    private const string ServiceId = "tls-test";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orleansshare-tls-" + Guid.NewGuid().ToString("N"));
    private readonly TestCertificates _cluster = new("cluster");
    private readonly TestCertificates _stranger = new("stranger");
    private readonly List<IHost> _silos = [];
    private int _gatewayPort;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var (primarySiloPort, primaryGatewayPort) = (TestPorts.Next(), TestPorts.Next());
        _gatewayPort = primaryGatewayPort;
        _silos.Add(await StartSiloAsync("silo-1", primarySiloPort, primaryGatewayPort, primary: null));
        _silos.Add(await StartSiloAsync("silo-2", TestPorts.Next(), TestPorts.Next(), primary: new IPEndPoint(IPAddress.Loopback, primarySiloPort)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Enumerable.Reverse(_silos))
        {
            await silo.StopAsync(CancellationToken.None);
            silo.Dispose();
        }

        _cluster.Dispose();
        _stranger.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task AClientWithACertificateOfTheClustersAuthorityCallsAGrainOfATwoSiloCluster()
    {
        var hosts = await CallThroughNewClientAsync(TlsSettings("gateway", _cluster));

        Assert.Equal(2, hosts);
    }

    [Fact]
    public async Task AClientWithoutACertificateCannotCallAGrain()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => CallThroughNewClientAsync(tls: null));

        Assert.IsType<ConnectionFailedException>(refused);
    }

    [Fact]
    public async Task AClientWithACertificateOfAnotherAuthorityCannotCallAGrain()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => CallThroughNewClientAsync(TlsSettings("stranger", _stranger)));

        Assert.IsType<ConnectionFailedException>(refused);
    }

    private async Task<IHost> StartSiloAsync(string name, int siloPort, int gatewayPort, IPEndPoint? primary)
    {
        var tls = TlsSettings(name, _cluster);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, primary, ServiceId, ClusterId);
            silo.UseOrleansShareTls(tls);
        });
        var host = builder.Build();
        await host.StartAsync(Ct);
        return host;
    }

    /// <summary>Cluster__Tls__* for <paramref name="name"/>, with a certificate of <paramref name="authority"/>.</summary>
    private ClusterTlsOptions TlsSettings(string name, TestCertificates authority)
    {
        var folder = Path.Combine(_directory, name);
        using var certificate = authority.Issue(name);
        authority.WriteSecret(certificate, folder);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:Tls:CertificatePath"] = Path.Combine(folder, "tls.crt"),
            ["Cluster:Tls:KeyPath"] = Path.Combine(folder, "tls.key"),
            ["Cluster:Tls:CaPath"] = Path.Combine(folder, "ca.crt"),
        }).Build();
        return ClusterTls.Read(configuration);
    }

    /// <summary>
    /// Starts a separate Orleans client on the first silo's gateway port, with <paramref name="tls"/> (none when null), and
    /// asks the management grain for the active silos. A refused client fails on its own, well within the deadline.
    /// </summary>
    private async Task<int> CallThroughNewClientAsync(ClusterTlsOptions? tls)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, _gatewayPort));
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = ServiceId;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));

            // No second attempt: the first refusal is the answer, and its exception says why.
            client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
            if (tls is not null)
            {
                client.UseOrleansShareTls(tls);
            }
        });

        using var host = builder.Build();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await host.StartAsync(deadline.Token);
            var hosts = await host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(deadline.Token);
            return hosts.Count;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
