namespace OrleansShare.Silo.Hosting;

/// <summary>
/// The <c>Cluster:Tls</c> section: the certificate every silo and gateway of a cluster presents on the Orleans ports
/// (silo-to-silo and gateway-to-silo), with mutual authentication. Off unless <see cref="CertificatePath"/> is set.
/// </summary>
public sealed class ClusterTlsOptions
{
    public const string SectionName = "Cluster:Tls";

    /// <summary>
    /// <c>Cluster__Tls__CertificatePath</c>: a PEM certificate (its key in <see cref="KeyPath"/> or in the same file), or a
    /// PKCS#12 file (<c>.pfx</c>, <c>.p12</c>) with <see cref="CertificatePassword"/>. Its key usage must allow both TLS
    /// server and client authentication, as each process is both.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary><c>Cluster__Tls__KeyPath</c>: the PEM private key of a PEM certificate (a Kubernetes TLS secret's <c>tls.key</c>).</summary>
    public string? KeyPath { get; set; }

    /// <summary><c>Cluster__Tls__CertificatePassword</c>: the password of a PKCS#12 file.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// <c>Cluster__Tls__CaPath</c>: PEM certificates of the authorities a peer's certificate must chain to (a Kubernetes
    /// TLS secret's <c>ca.crt</c>); use an authority of this cluster only. Without it a peer must present this very
    /// certificate. Host names are not checked: pods come and go with new addresses, so the authority is the trust.
    /// </summary>
    public string? CaPath { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);
}
