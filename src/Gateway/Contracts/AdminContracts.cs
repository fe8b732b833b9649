namespace OrleansShare.Gateway.Contracts;

public sealed record ApplicationCreatedResponse(
    Guid ApplicationId, string Name, Guid? OrganizationId, string ApiKey, Guid ApiKeyId, DateTimeOffset CreatedAt);

public sealed record ApplicationResponse(Guid ApplicationId, string Name, Guid? OrganizationId, bool Deleted, DateTimeOffset CreatedAt);

public sealed record ApiKeyCreatedResponse(Guid ApiKeyId, string ApiKey, IReadOnlyList<string> Privileges);
