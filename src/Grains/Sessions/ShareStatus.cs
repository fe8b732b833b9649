namespace OrleansShare.Grains.Sessions;

[GenerateSerializer, Alias("sessions.ShareStatus")]
public enum ShareStatus
{
    Recorded = 0,
    NotFound = 1,
    NotFinished = 2,
}
