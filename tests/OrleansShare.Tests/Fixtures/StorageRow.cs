namespace OrleansShare.Tests.Fixtures;

/// <summary>One row of the grain storage table as stored (everything but <c>modifiedon</c>), in both dialects' terms.</summary>
public sealed record StorageRow(
    long GrainIdHash, long GrainIdN0, long GrainIdN1, long GrainTypeHash, string GrainTypeString,
    string? GrainIdExtensionString, string ServiceId, string? PayloadHex, long Version);
