namespace OrleansShare.Grains.Common;

/// <summary>The <c>action</c> values of the activity log.</summary>
public static class ActivityActions
{
    public const string Created = "created";
    public const string DecisionRecorded = "decision_recorded";
    public const string StatusUpdated = "status_updated";
    public const string Reviewed = "reviewed";
    public const string Shared = "shared";
    public const string Imported = "imported";
    public const string ImportedByPartner = "imported_by_partner";
}
