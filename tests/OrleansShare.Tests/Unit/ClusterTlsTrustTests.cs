using System.Net.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OrleansShare.Silo.Hosting;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Unit;

/// <summary>Which peer certificates the cluster's TLS accepts (ClusterTls), and settings it refuses at start.</summary>
public sealed class ClusterTlsTrustTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orleansshare-tls-unit-" + Guid.NewGuid().ToString("N"));
    private readonly TestCertificates _cluster = new("cluster");
    private readonly TestCertificates _stranger = new("stranger");

    public void Dispose()
    {
        _cluster.Dispose();
        _stranger.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void WithAnAuthorityAPeerIsTrustedWhenItsCertificateChainsToIt()
    {
        var trust = Load("own", _cluster, withAuthority: true);
        using var peer = _cluster.Issue("peer");
        using var stranger = _stranger.Issue("stranger");

        Assert.True(trust.IsTrusted(peer, null, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.False(trust.IsTrusted(stranger, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trust.IsTrusted(_stranger.Authority, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trust.IsTrusted(null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    [Fact]
    public void WithoutAnAuthorityOnlyTheSameCertificateIsTrusted()
    {
        var trust = Load("own", _cluster, withAuthority: false);
        using var sibling = _cluster.Issue("sibling");

        Assert.True(trust.IsTrusted(trust.Certificate, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trust.IsTrusted(sibling, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void APkcs12FileWithItsPasswordIsLoaded()
    {
        Directory.CreateDirectory(_directory);
        using var issued = _cluster.Issue("pfx");
        var path = Path.Combine(_directory, "cluster.pfx");
        File.WriteAllBytes(path, issued.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12, "secret-of-the-test"));

        var trust = ClusterTls.PeerTrust.Load(new ClusterTlsOptions { CertificatePath = path, CertificatePassword = "secret-of-the-test" });

        Assert.True(trust.Certificate.HasPrivateKey);
        Assert.Equal(issued.Thumbprint, trust.Certificate.Thumbprint);
        Assert.Throws<OptionsValidationException>(() => ClusterTls.PeerTrust.Load(new ClusterTlsOptions { CertificatePath = path, CertificatePassword = "wrong" }));
    }

    [Fact]
    public void AMissingCertificateStopsTheStartNamingTheSetting()
    {
        var options = new ClusterTlsOptions { CertificatePath = Path.Combine(_directory, "missing.crt") };

        var refused = Assert.Throws<OptionsValidationException>(() => ClusterTls.PeerTrust.Load(options));

        Assert.Contains("Cluster__Tls__CertificatePath", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsIsOffUnlessACertificateIsConfigured()
    {
        Assert.False(ClusterTls.Read(new ConfigurationBuilder().Build()).Enabled);
    }

    private ClusterTls.PeerTrust Load(string name, TestCertificates authority, bool withAuthority)
    {
        var folder = Path.Combine(_directory, name);
        using var certificate = authority.Issue(name);
        authority.WriteSecret(certificate, folder);
        return ClusterTls.PeerTrust.Load(new ClusterTlsOptions
        {
            CertificatePath = Path.Combine(folder, "tls.crt"),
            KeyPath = Path.Combine(folder, "tls.key"),
            CaPath = withAuthority ? Path.Combine(folder, "ca.crt") : null,
        });
    }
}
