namespace OrleansShare.Gateway.Options;

/// <summary>
/// The <c>Admin</c> section: <c>Admin__ApiKey</c> is the operator key of <c>/admin/v1</c>, at least
/// <see cref="MinimumKeyLength"/> characters (a shorter one stops the gateway at start).
/// </summary>
public sealed class AdminOptions
{
    public const string SectionName = "Admin";

    public const int MinimumKeyLength = 32;

    public string? ApiKey { get; set; }
}
