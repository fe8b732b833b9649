using System.Text.Json.Serialization;

namespace OrleansShare.Gateway.Contracts;

public sealed record SessionCreatedResponse(
    Guid SessionId, long SessionNumber, string SessionKind, string Url, string Status, Guid? WorkflowId,
    string? VendorData, RawJson? Metadata, string? Callback);

public sealed record ReviewResponse(string? User, string? NewStatus, string? Comment, DateTimeOffset CreatedAt);

public sealed record ActivityResponse(
    string Action, string? User, string? NewStatus, string? Comment, DateTimeOffset CreatedAt, IReadOnlyDictionary<string, string>? Details);

public sealed record SessionSummaryResponse(
    Guid SessionId, long SessionNumber, string SessionKind, string Status, string? VendorData, Guid? WorkflowId,
    string SessionUrl, DateTimeOffset CreatedAt);

public sealed record PageResponse<T>(long Count, string? Next, string? Previous, IReadOnlyList<T> Results);

/// <summary>
/// The session document of decision reads, imports and webhooks. Sections of the session's own kind are always
/// present (<c>[]</c> when never recorded); those of the other kind are left out.
/// </summary>
public sealed record SessionDocument
{
    public required Guid SessionId { get; init; }
    public required long SessionNumber { get; init; }
    public required string SessionKind { get; init; }
    public required string SessionUrl { get; init; }
    public required string Status { get; init; }
    public required Guid? WorkflowId { get; init; }
    public required IReadOnlyList<string> Features { get; init; }
    public required string? VendorData { get; init; }
    public required RawJson? Metadata { get; init; }
    public required RawJson? ExpectedDetails { get; init; }
    public required RawJson? ContactDetails { get; init; }
    public required string? Callback { get; init; }
    public required Guid? SharedFromSession { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? IdVerifications { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? NfcVerifications { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? LivenessChecks { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? FaceMatches { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? RegistryChecks { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? KeyPeopleChecks { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? DocumentVerifications { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? AmlScreenings { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? IpAnalyses { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? DatabaseValidations { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? ProofOfAddress { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? Questionnaires { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? PhoneVerifications { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RawJson? EmailVerifications { get; init; }

    public required IReadOnlyList<ReviewResponse> Reviews { get; init; }
}
