using System.Collections.Immutable;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Webhooks;

namespace OrleansShare.Grains.Applications;

/// <summary>Stored state of an application.</summary>
public sealed record ApplicationState
{
    public Guid ApplicationId { get; init; }
    public string Name { get; init; } = "";
    public Guid? OrganizationId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public bool Deleted { get; init; }
    public ImmutableDictionary<Guid, ApiKeyRecord> ApiKeys { get; init; } = ImmutableDictionary<Guid, ApiKeyRecord>.Empty;
    public ImmutableDictionary<Guid, WorkflowInfo> Workflows { get; init; } = ImmutableDictionary<Guid, WorkflowInfo>.Empty;
    public Guid? DefaultUserWorkflow { get; init; }
    public Guid? DefaultBusinessWorkflow { get; init; }
    public ImmutableDictionary<Guid, TrustPolicyInfo> TrustPolicies { get; init; } = ImmutableDictionary<Guid, TrustPolicyInfo>.Empty;

    /// <summary>Null until the application sets one: <see cref="SharingPolicy.Default"/> applies.</summary>
    public SharingPolicy? SharingPolicy { get; init; }

    /// <summary>Webhook destinations by id, each with its signing secret.</summary>
    public ImmutableDictionary<Guid, WebhookDestination> WebhookDestinations { get; init; } = ImmutableDictionary<Guid, WebhookDestination>.Empty;

    /// <summary>The highest session number handed out in blocks so far; numbers are never reused.</summary>
    public long SessionNumbersReserved { get; init; }
}
