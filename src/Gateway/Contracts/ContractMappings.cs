using OrleansShare.Grains.Applications;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Webhooks;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Gateway.Contracts;

/// <summary>The one place grain messages become wire contracts.</summary>
internal static class ContractMappings
{
    public static ApplicationResponse ToContract(this ApplicationInfo app) =>
        new(app.ApplicationId, app.Name, app.OrganizationId, app.Deleted, app.CreatedAt);

    public static WorkflowResponse ToContract(this WorkflowInfo workflow) => new(
        workflow.WorkflowId, workflow.Label, workflow.Kind.ToWire(),
        [.. workflow.Features.Select(f => new WorkflowFeatureResponse(f.Feature, RawJson.From(f.Config)))],
        workflow.IsDefault, workflow.CreatedAt);

    public static TrustPolicyResponse ToContract(this TrustPolicyInfo policy) =>
        new(policy.SourceApplicationId, policy.TrustReview, policy.UpdatedAt);

    public static WebhookDestinationResponse ToContract(this WebhookDestination destination) => new(
        destination.DestinationId, destination.Label, destination.Url, destination.SubscribedEvents, destination.Enabled,
        destination.WebhookVersion, destination.CreatedAt);

    public static WebhookDestinationCreatedResponse ToCreatedContract(this WebhookDestination destination) => new(
        destination.DestinationId, destination.Label, destination.Url, destination.SubscribedEvents, destination.Enabled,
        destination.WebhookVersion, destination.CreatedAt, destination.Secret);

    public static WebhookDeliveryResponse ToContract(this DeliveryLogEntry entry) => new(
        entry.EventId, entry.SessionId, entry.EventType, entry.Status, entry.State, entry.Attempts, entry.LastStatusCode,
        entry.NextAttemptAt, entry.CreatedAt, entry.UpdatedAt);

    public static ActivityResponse ToContract(this ActivityEntry entry) =>
        new(entry.Action, entry.User, entry.NewStatus, entry.Comment, entry.CreatedAt,
            entry.Details is null ? null : new SortedDictionary<string, string>(entry.Details, StringComparer.Ordinal));

    public static SessionCreatedResponse ToCreatedContract(this SessionView session, PublicUrls urls) => new(
        session.SessionId, session.SessionNumber, session.SessionKind.ToWire(), urls.Session(session.SessionId), session.Status,
        session.WorkflowId, session.VendorData, RawJson.From(session.Metadata), session.Callback);

    public static SessionSummaryResponse ToContract(this SessionIndexRow row, PublicUrls urls) => new(
        row.SessionId, row.SessionNumber, row.SessionKind, row.Status, row.VendorData, row.WorkflowId, urls.Session(row.SessionId), row.CreatedAt);

    public static SessionDocument ToDocument(this SessionView session, PublicUrls urls)
    {
        var kind = session.SessionKind;
        RawJson? Section(string name) =>
            Sections.Belongs(kind, name) ? new RawJson(session.Sections.GetValueOrDefault(name) ?? "[]") : null;

        return new SessionDocument
        {
            SessionId = session.SessionId,
            SessionNumber = session.SessionNumber,
            SessionKind = kind.ToWire(),
            SessionUrl = urls.Session(session.SessionId),
            Status = session.Status,
            WorkflowId = session.WorkflowId,
            Features = session.Features,
            VendorData = session.VendorData,
            Metadata = RawJson.From(session.Metadata),
            ExpectedDetails = RawJson.From(session.ExpectedDetails),
            ContactDetails = RawJson.From(session.ContactDetails),
            Callback = session.Callback,
            SharedFromSession = session.SharedFromSession,
            CreatedAt = session.CreatedAt,
            IdVerifications = Section("id_verifications"),
            NfcVerifications = Section("nfc_verifications"),
            LivenessChecks = Section("liveness_checks"),
            FaceMatches = Section("face_matches"),
            RegistryChecks = Section("registry_checks"),
            KeyPeopleChecks = Section("key_people_checks"),
            DocumentVerifications = Section("document_verifications"),
            AmlScreenings = Section("aml_screenings"),
            IpAnalyses = Section("ip_analyses"),
            DatabaseValidations = Section("database_validations"),
            ProofOfAddress = Section("proof_of_address"),
            Questionnaires = Section("questionnaires"),
            PhoneVerifications = Section("phone_verifications"),
            EmailVerifications = Section("email_verifications"),
            Reviews = [.. session.Activity
                .Where(e => e.Action != ActivityActions.Created && (e.NewStatus is not null || e.Comment is not null))
                .Select(e => new ReviewResponse(e.User, e.NewStatus, e.Comment, e.CreatedAt))],
        };
    }
}
