namespace OrleansShare.Grains.Sessions;

[GenerateSerializer, Alias("sessions.ExportStatus")]
public enum ExportStatus
{
    Ready = 0,
    SourceMissing = 1,
    AlreadyImported = 2,
    Begun = 3,
    Revoked = 4,
}
