namespace OrleansShare.Grains.Common;

/// <summary>A verification of a person (KYC, <c>user</c>) or of a business (KYB, <c>business</c>).</summary>
[GenerateSerializer, Alias("common.SessionKind")]
public enum SessionKind
{
    User = 0,
    Business = 1,
}
