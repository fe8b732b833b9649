namespace OrleansShare.Grains.Sessions;

[GenerateSerializer, Alias("sessions.SessionResultStatus")]
public enum SessionResultStatus
{
    Ok = 0,
    NotFound = 1,
    Invalid = 2,
}
