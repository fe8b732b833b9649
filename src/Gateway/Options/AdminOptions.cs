namespace OrleansShare.Gateway.Options;

/// <summary>The <c>Admin</c> section: <c>Admin__ApiKey</c> is the operator key of <c>/admin/v1</c>.</summary>
public sealed class AdminOptions
{
    public const string SectionName = "Admin";

    public string? ApiKey { get; set; }
}
