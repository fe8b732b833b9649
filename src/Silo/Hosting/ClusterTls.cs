using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Orleans.Connections.Security;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// TLS with mutual authentication on the Orleans ports (Orleans' connection security): each silo and each gateway presents
/// the configured certificate and accepts a peer only when the peer's certificate is trusted (see <see cref="ClusterTlsOptions"/>).
/// A process without the certificate can neither join the cluster nor call a grain.
/// </summary>
public static class ClusterTls
{
    /// <summary>Reads <c>Cluster:Tls</c>, failing with the setting to fix.</summary>
    public static ClusterTlsOptions Read(IConfiguration configuration) =>
        configuration.GetSection(ClusterTlsOptions.SectionName).Get<ClusterTlsOptions>() ?? new ClusterTlsOptions();

    public static ISiloBuilder UseOrleansShareTls(this ISiloBuilder silo, ClusterTlsOptions options)
    {
        if (options.Enabled)
        {
            var trust = PeerTrust.Load(options);
            silo.UseTls(trust.Certificate, tls => trust.Apply(tls));
        }

        return silo;
    }

    public static IClientBuilder UseOrleansShareTls(this IClientBuilder client, ClusterTlsOptions options)
    {
        if (options.Enabled)
        {
            var trust = PeerTrust.Load(options);
            client.UseTls(trust.Certificate, tls => trust.Apply(tls));
        }

        return client;
    }

    /// <summary>This process's certificate and the authorities its peers' certificates must chain to.</summary>
    internal sealed class PeerTrust(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        public X509Certificate2 Certificate => certificate;

        public static PeerTrust Load(ClusterTlsOptions options)
        {
            var certificate = LoadCertificate(options);
            var authorities = new X509Certificate2Collection();
            if (!string.IsNullOrWhiteSpace(options.CaPath))
            {
                try
                {
                    authorities.ImportFromPemFile(options.CaPath);
                }
                catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
                {
                    throw Invalid($"Cluster__Tls__CaPath '{options.CaPath}' could not be read as PEM certificates: {ex.Message}");
                }

                if (authorities.Count == 0)
                {
                    throw Invalid($"Cluster__Tls__CaPath '{options.CaPath}' holds no PEM certificate.");
                }
            }

            return new PeerTrust(certificate, authorities);
        }

        public void Apply(TlsOptions tls)
        {
            tls.LocalCertificate = certificate;
            tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.RemoteCertificateValidation = IsTrusted;
        }

        /// <summary>
        /// A peer is trusted when its certificate chains to one of the authorities (when configured), or is this process's
        /// own certificate (when not). Name mismatches are ignored (pod addresses change); every other error refuses.
        /// </summary>
        public bool IsTrusted(X509Certificate2? remote, X509Chain? chain, SslPolicyErrors errors)
        {
            if (remote is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            {
                return false;
            }

            if (authorities.Count == 0)
            {
                return remote.RawData.AsSpan().SequenceEqual(certificate.RawData);
            }

            using var own = new X509Chain();
            own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            own.ChainPolicy.CustomTrustStore.AddRange(authorities);
            own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            own.ChainPolicy.VerificationTime = DateTime.Now;
            return own.Build(remote);
        }

        private static X509Certificate2 LoadCertificate(ClusterTlsOptions options)
        {
            var path = options.CertificatePath!;
            try
            {
                if (!string.IsNullOrWhiteSpace(options.KeyPath))
                {
                    return X509Certificate2.CreateFromPemFile(path, options.KeyPath);
                }

                var pem = File.ReadAllText(path);
                if (pem.Contains("-----BEGIN", StringComparison.Ordinal))
                {
                    return X509Certificate2.CreateFromPemFile(path);
                }

                return X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
            }
            catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
            {
                throw Invalid($"Cluster__Tls__CertificatePath '{path}' (with Cluster__Tls__KeyPath or Cluster__Tls__CertificatePassword) could not be loaded: {ex.Message}");
            }
        }

        private static OptionsValidationException Invalid(string message) =>
            new(ClusterTlsOptions.SectionName, typeof(ClusterTlsOptions), [message]);
    }
}
