using System.Collections.Immutable;
using Orleans.Concurrency;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Webhooks;

namespace OrleansShare.Grains.Applications;

/// <summary>A tenant of the service: its keys, workflows, trust policies and session numbers.</summary>
[Alias("applications.IApplicationGrain")]
public interface IApplicationGrain : IGrainWithGuidKey
{
    [Alias("create")]
    Task<ApplicationInfo> Create(CreateApplicationCommand command);

    /// <summary>The application, deleted or not; null when it never existed.</summary>
    [Alias("get-info")]
    [RetrySafe]
    [ReadOnly]
    Task<ApplicationInfo?> GetInfo();

    /// <summary>Soft delete: revokes every key first. False when the application never existed.</summary>
    [Alias("delete")]
    Task<bool> Delete();

    /// <summary>Adds a key; null when the application is missing or deleted.</summary>
    [Alias("add-api-key")]
    Task<ApiKeyInfo?> AddApiKey(Guid apiKeyId, string apiKeyGrainKey, ImmutableArray<string> privileges);

    [Alias("revoke-api-key")]
    Task<bool> RevokeApiKey(Guid apiKeyId);

    /// <summary>The new workflow; null when the application has <see cref="WorkflowDefinition.MaxPerApplication"/> already.</summary>
    [Alias("create-workflow")]
    Task<WorkflowInfo?> CreateWorkflow(WorkflowDefinition definition);

    [Alias("list-workflows")]
    [RetrySafe]
    Task<ImmutableArray<WorkflowInfo>> ListWorkflows();

    [Alias("get-workflow")]
    [RetrySafe]
    Task<WorkflowInfo?> GetWorkflow(Guid workflowId);

    [Alias("delete-workflow")]
    Task<bool> DeleteWorkflow(Guid workflowId);

    /// <summary>Resolves the workflow of a new session (the default user workflow when none is named) and numbers it.</summary>
    [Alias("prepare-session")]
    Task<SessionPreparation> PrepareSession(Guid? workflowId);

    /// <summary>Resolves workflow, trust decision and session number for an import.</summary>
    [Alias("prepare-import")]
    Task<SessionPreparation> PrepareImport(ImportPreparationRequest request);

    /// <summary>
    /// Sets the default <c>trust_review</c> for imports from a source application: the policy, or why not (the source
    /// does not exist, or this application has <see cref="TrustPolicyInfo.MaxPerApplication"/> policies already).
    /// </summary>
    [Alias("set-trust-policy")]
    Task<TrustPolicyChange> SetTrustPolicy(Guid sourceApplicationId, bool trustReview);

    /// <summary>Replaces the sharing policy; null when the application is missing or deleted.</summary>
    [Alias("set-sharing-policy")]
    Task<SharingPolicy?> SetSharingPolicy(SharingPolicy policy);

    /// <summary>The sharing policy (the default when none was set); null when the application is missing or deleted.</summary>
    [Alias("get-sharing-policy")]
    [RetrySafe]
    [ReadOnly]
    Task<SharingPolicy?> GetSharingPolicy();

    /// <summary>Checks a share of one of this application's sessions against its sharing policy.</summary>
    [Alias("authorize-share")]
    [RetrySafe]
    [ReadOnly]
    Task<ShareAuthorization> AuthorizeShare(ShareAuthorizationRequest request);

    [Alias("list-trust-policies")]
    [RetrySafe]
    Task<ImmutableArray<TrustPolicyInfo>> ListTrustPolicies();

    /// <summary>
    /// A new destination from a validated draft (its url already checked by the gateway), with a fresh signing secret;
    /// null when the application has <see cref="WebhookDestination.MaxPerApplication"/> already.
    /// </summary>
    [Alias("create-webhook-destination")]
    Task<WebhookDestination?> CreateWebhookDestination(WebhookDestinationDraft draft);

    [Alias("list-webhook-destinations")]
    [RetrySafe]
    Task<ImmutableArray<WebhookDestination>> ListWebhookDestinations();

    [Alias("get-webhook-destination")]
    [RetrySafe]
    Task<WebhookDestination?> GetWebhookDestination(Guid destinationId);

    /// <summary>The destination with the draft's members applied; null when there is no such destination.</summary>
    [Alias("update-webhook-destination")]
    Task<WebhookDestination?> UpdateWebhookDestination(Guid destinationId, WebhookDestinationDraft draft);

    [Alias("delete-webhook-destination")]
    Task<bool> DeleteWebhookDestination(Guid destinationId);
}
