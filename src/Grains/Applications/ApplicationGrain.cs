using System.Collections.Immutable;
using System.Security.Cryptography;
using OrleansShare.Grains.ApiKeys;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Governance;
using OrleansShare.Grains.Webhooks;

namespace OrleansShare.Grains.Applications;

[GrainType("application")]
public sealed class ApplicationGrain(
    [PersistentState(StateNames.Application, StorageNames.Grains)] IPersistentState<ApplicationState> state,
    TimeProvider time) : Grain, IApplicationGrain
{
    /// <summary>Session numbers are reserved in blocks so that numbering a session rarely costs a write.</summary>
    private const int SessionNumberBlock = 100;

    private long _nextSessionNumber;

    private bool Exists => state.RecordExists;

    private bool Live => state.RecordExists && !state.State.Deleted;

    async Task<ApplicationInfo> IApplicationGrain.Create(CreateApplicationCommand command)
    {
        if (Exists)
        {
            throw new InvalidOperationException($"Application {this.GetPrimaryKey()} already exists.");
        }

        var now = time.UtcNowMilliseconds();
        await state.WriteAsync(new ApplicationState
        {
            ApplicationId = this.GetPrimaryKey(),
            Name = command.Name,
            OrganizationId = command.OrganizationId,
            CreatedAt = now,
            ApiKeys = ImmutableDictionary<Guid, ApiKeyRecord>.Empty.Add(
                command.ApiKeyId, new ApiKeyRecord(command.ApiKeyGrainKey, command.Privileges, now, Revoked: false)),
        }, this);
        await GrainFactory.Reference<IApiKeyGrain>(command.ApiKeyGrainKey)
            .Register(new ApiKeyIdentity(state.State.ApplicationId, command.ApiKeyId, command.Privileges));
        return ToInfo();
    }

    Task<ApplicationInfo?> IApplicationGrain.GetInfo() => Task.FromResult(Exists ? ToInfo() : null);

    async Task<bool> IApplicationGrain.Delete()
    {
        if (!Exists)
        {
            return false;
        }

        // Keys go first: should this fail half-way, the application is still live and a retried delete finishes the job.
        foreach (var (keyId, key) in state.State.ApiKeys)
        {
            await RevokeKey(keyId, key);
        }

        if (!state.State.Deleted)
        {
            await state.WriteAsync(state.State with { Deleted = true }, this);
        }

        return true;
    }

    async Task<ApiKeyInfo?> IApplicationGrain.AddApiKey(Guid apiKeyId, string apiKeyGrainKey, ImmutableArray<string> privileges)
    {
        if (!Live)
        {
            return null;
        }

        var record = new ApiKeyRecord(apiKeyGrainKey, privileges, time.UtcNowMilliseconds(), Revoked: false);
        await state.WriteAsync(state.State with { ApiKeys = state.State.ApiKeys.SetItem(apiKeyId, record) }, this);
        await GrainFactory.Reference<IApiKeyGrain>(apiKeyGrainKey)
            .Register(new ApiKeyIdentity(state.State.ApplicationId, apiKeyId, privileges));
        return new ApiKeyInfo(apiKeyId, privileges, record.CreatedAt);
    }

    async Task<bool> IApplicationGrain.RevokeApiKey(Guid apiKeyId)
    {
        if (!Exists || !state.State.ApiKeys.TryGetValue(apiKeyId, out var key))
        {
            return false;
        }

        await RevokeKey(apiKeyId, key);
        return true;
    }

    async Task<WorkflowInfo?> IApplicationGrain.CreateWorkflow(WorkflowDefinition definition)
    {
        if (state.State.Workflows.Count >= WorkflowDefinition.MaxPerApplication)
        {
            return null;
        }

        var kind = Features.KindOf(definition.Features.Select(f => f.Feature));
        var workflow = new WorkflowInfo(
            Guid.NewGuid(), definition.Label, kind, definition.Features, definition.IsDefault, time.UtcNowMilliseconds());
        var next = state.State with { Workflows = state.State.Workflows.Add(workflow.WorkflowId, workflow) };
        if (definition.IsDefault)
        {
            next = kind == SessionKind.Business
                ? next with { DefaultBusinessWorkflow = workflow.WorkflowId }
                : next with { DefaultUserWorkflow = workflow.WorkflowId };
        }

        await state.WriteAsync(next, this);
        return WithDefaultFlag(workflow);
    }

    Task<ImmutableArray<WorkflowInfo>> IApplicationGrain.ListWorkflows() =>
        Task.FromResult(state.State.Workflows.Values.OrderBy(w => w.CreatedAt).Select(WithDefaultFlag).ToImmutableArray());

    Task<WorkflowInfo?> IApplicationGrain.GetWorkflow(Guid workflowId) =>
        Task.FromResult(state.State.Workflows.TryGetValue(workflowId, out var workflow) ? WithDefaultFlag(workflow) : null);

    async Task<bool> IApplicationGrain.DeleteWorkflow(Guid workflowId)
    {
        if (!state.State.Workflows.ContainsKey(workflowId))
        {
            return false;
        }

        await state.WriteAsync(state.State with
        {
            Workflows = state.State.Workflows.Remove(workflowId),
            DefaultUserWorkflow = state.State.DefaultUserWorkflow == workflowId ? null : state.State.DefaultUserWorkflow,
            DefaultBusinessWorkflow = state.State.DefaultBusinessWorkflow == workflowId ? null : state.State.DefaultBusinessWorkflow,
        }, this);
        return true;
    }

    async Task<SessionPreparation> IApplicationGrain.PrepareSession(Guid? workflowId)
    {
        if (!Live)
        {
            return SessionPreparation.Failed(PreparationStatus.ApplicationMissing);
        }

        var (status, workflow) = ResolveWorkflow(workflowId, SessionKind.User, requireKind: false);
        if (workflow is null)
        {
            return SessionPreparation.Failed(status);
        }

        return new SessionPreparation(PreparationStatus.Ready, workflow, await NextSessionNumber(), TrustReview: false);
    }

    async Task<SessionPreparation> IApplicationGrain.PrepareImport(ImportPreparationRequest request)
    {
        if (!Live)
        {
            return SessionPreparation.Failed(PreparationStatus.ApplicationMissing);
        }

        var (status, workflow) = ResolveWorkflow(request.WorkflowId, request.Kind, requireKind: true);
        if (workflow is null)
        {
            return SessionPreparation.Failed(status);
        }

        var trust = request.TrustReview
            ?? (state.State.TrustPolicies.TryGetValue(request.SourceApplicationId, out var policy) && policy.TrustReview);
        var stale = Freshness.Reasons(
            request.DecidedAt, request.DocumentExpired, state.State.SharingPolicy?.MaxVerificationAgeDays, time.GetUtcNow());
        return new SessionPreparation(PreparationStatus.Ready, workflow, await NextSessionNumber(), trust && stale is null, stale);
    }

    async Task<TrustPolicyChange> IApplicationGrain.SetTrustPolicy(Guid sourceApplicationId, bool trustReview)
    {
        var known = state.State.TrustPolicies.ContainsKey(sourceApplicationId);
        if (!known && state.State.TrustPolicies.Count >= TrustPolicyInfo.MaxPerApplication)
        {
            return new TrustPolicyChange(null, TrustPolicyRefusal.TooMany);
        }

        // Not a call to itself: a grain waiting on its own turn would wait forever.
        if (!known && sourceApplicationId != this.GetPrimaryKey()
            && await GrainFactory.Reference<IApplicationGrain>(sourceApplicationId).GetInfo() is null)
        {
            return new TrustPolicyChange(null, TrustPolicyRefusal.UnknownSource);
        }

        var policy = new TrustPolicyInfo(sourceApplicationId, trustReview, time.UtcNowMilliseconds());
        await state.WriteAsync(state.State with { TrustPolicies = state.State.TrustPolicies.SetItem(sourceApplicationId, policy) }, this);
        return new TrustPolicyChange(policy, TrustPolicyRefusal.None);
    }

    async Task<SharingPolicy?> IApplicationGrain.SetSharingPolicy(SharingPolicy policy)
    {
        if (!Live)
        {
            return null;
        }

        await state.WriteAsync(state.State with { SharingPolicy = policy }, this);
        return policy;
    }

    Task<SharingPolicy?> IApplicationGrain.GetSharingPolicy() =>
        Task.FromResult(Live ? state.State.SharingPolicy ?? SharingPolicy.Default : null);

    Task<ShareAuthorization> IApplicationGrain.AuthorizeShare(ShareAuthorizationRequest request)
    {
        var policy = state.State.SharingPolicy ?? SharingPolicy.Default;
        var ttl = request.TtlSeconds ?? policy.DefaultTtl;
        ShareAuthorization Refused(string rule, string reason) => new(ttl, rule, reason);
        return Task.FromResult(policy switch
        {
            { AllowedPartners: { IsEmpty: true } } => Refused("allowed_partners", "Your sharing policy allows no partner: sharing is off."),
            { AllowedPartners: { } allowed } when !allowed.Contains(request.PartnerApplicationId) => Refused(
                "allowed_partners", $"Your sharing policy does not allow sharing with application {request.PartnerApplicationId}."),
            { RequireConsent: true } when !request.HasConsent => Refused("require_consent", "Your sharing policy requires consent on every share."),
            { RequirePurpose: true } when !request.HasPurpose => Refused("require_purpose", "Your sharing policy requires a purpose on every share."),
            _ when ttl > policy.MaxTtlInSeconds => Refused(
                "max_ttl_in_seconds", $"Your sharing policy allows tokens of at most {policy.MaxTtlInSeconds} seconds."),
            _ => new ShareAuthorization(ttl),
        });
    }

    Task<ImmutableArray<TrustPolicyInfo>> IApplicationGrain.ListTrustPolicies() =>
        Task.FromResult(state.State.TrustPolicies.Values.OrderBy(p => p.UpdatedAt).ToImmutableArray());

    async Task<WebhookDestination?> IApplicationGrain.CreateWebhookDestination(WebhookDestinationDraft draft)
    {
        if (state.State.WebhookDestinations.Count >= WebhookDestination.MaxPerApplication)
        {
            return null;
        }

        var destination = new WebhookDestination(
            Guid.NewGuid(),
            draft.Label ?? "",
            draft.Url ?? throw new ArgumentException("A new destination needs a url.", nameof(draft)),
            draft.Enabled ?? true,
            draft.WebhookVersion ?? WebhookVersions.Default,
            draft.SubscribedEvents ?? WebhookEvents.All,
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            time.UtcNowMilliseconds());
        await state.WriteAsync(state.State with { WebhookDestinations = state.State.WebhookDestinations.Add(destination.DestinationId, destination) }, this);
        IFirstEventHandoff.Of(ServiceProvider).DestinationsChanged(this.GetPrimaryKey());
        return destination;
    }

    Task<ImmutableArray<WebhookDestination>> IApplicationGrain.ListWebhookDestinations() =>
        Task.FromResult(state.State.WebhookDestinations.Values.OrderBy(d => d.CreatedAt).ThenBy(d => d.DestinationId).ToImmutableArray());

    Task<WebhookDestination?> IApplicationGrain.GetWebhookDestination(Guid destinationId) =>
        Task.FromResult(state.State.WebhookDestinations.GetValueOrDefault(destinationId));

    async Task<WebhookDestination?> IApplicationGrain.UpdateWebhookDestination(Guid destinationId, WebhookDestinationDraft draft)
    {
        if (!state.State.WebhookDestinations.TryGetValue(destinationId, out var current))
        {
            return null;
        }

        var next = current with
        {
            Label = draft.Label ?? current.Label,
            Url = draft.Url ?? current.Url,
            Enabled = draft.Enabled ?? current.Enabled,
            WebhookVersion = draft.WebhookVersion ?? current.WebhookVersion,
            SubscribedEvents = draft.SubscribedEvents ?? current.SubscribedEvents,
        };
        await state.WriteAsync(state.State with { WebhookDestinations = state.State.WebhookDestinations.SetItem(destinationId, next) }, this);
        IFirstEventHandoff.Of(ServiceProvider).DestinationsChanged(this.GetPrimaryKey());
        return next;
    }

    async Task<bool> IApplicationGrain.DeleteWebhookDestination(Guid destinationId)
    {
        if (!state.State.WebhookDestinations.ContainsKey(destinationId))
        {
            return false;
        }

        await state.WriteAsync(state.State with { WebhookDestinations = state.State.WebhookDestinations.Remove(destinationId) }, this);
        IFirstEventHandoff.Of(ServiceProvider).DestinationsChanged(this.GetPrimaryKey());
        return true;
    }

    private (PreparationStatus Status, WorkflowInfo? Workflow) ResolveWorkflow(Guid? workflowId, SessionKind kind, bool requireKind)
    {
        if (workflowId is { } id)
        {
            if (!state.State.Workflows.TryGetValue(id, out var named))
            {
                return (PreparationStatus.WorkflowNotFound, null);
            }

            return requireKind && named.Kind != kind ? (PreparationStatus.KindMismatch, null) : (PreparationStatus.Ready, named);
        }

        var defaultId = kind == SessionKind.Business ? state.State.DefaultBusinessWorkflow : state.State.DefaultUserWorkflow;
        return defaultId is { } d && state.State.Workflows.TryGetValue(d, out var fallback)
            ? (PreparationStatus.Ready, fallback)
            : (PreparationStatus.NoDefaultWorkflow, null);
    }

    private async Task<long> NextSessionNumber()
    {
        if (_nextSessionNumber == 0 || _nextSessionNumber > state.State.SessionNumbersReserved)
        {
            // Numbers left over from an earlier activation's block are skipped, never reused.
            var first = state.State.SessionNumbersReserved + 1;
            await state.WriteAsync(state.State with { SessionNumbersReserved = state.State.SessionNumbersReserved + SessionNumberBlock }, this);
            _nextSessionNumber = first;
        }

        return _nextSessionNumber++;
    }

    private async Task RevokeKey(Guid keyId, ApiKeyRecord key)
    {
        await GrainFactory.Reference<IApiKeyGrain>(key.GrainKey).Revoke();
        if (!key.Revoked)
        {
            await state.WriteAsync(state.State with { ApiKeys = state.State.ApiKeys.SetItem(keyId, key with { Revoked = true }) }, this);
        }
    }

    private WorkflowInfo WithDefaultFlag(WorkflowInfo workflow) => workflow with
    {
        IsDefault = workflow.WorkflowId == state.State.DefaultUserWorkflow || workflow.WorkflowId == state.State.DefaultBusinessWorkflow,
    };

    private ApplicationInfo ToInfo() =>
        new(state.State.ApplicationId, state.State.Name, state.State.OrganizationId, state.State.CreatedAt, state.State.Deleted);
}
