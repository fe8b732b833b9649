namespace OrleansShare.Grains.Sharing;

/// <summary>Expected outcomes of a redemption; each maps to one HTTP answer.</summary>
[GenerateSerializer, Alias("sharing.RedeemStatus")]
public enum RedeemStatus
{
    Imported = 0,
    AlreadyImported = 1,
    SourceMissing = 2,
    WorkflowNotFound = 3,
    NoDefaultWorkflow = 4,
    WorkflowKindMismatch = 5,
    ImporterMissing = 6,
    Revoked = 7,
}
