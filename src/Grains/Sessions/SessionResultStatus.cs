namespace OrleansShare.Grains.Sessions;

[GenerateSerializer, Alias("sessions.SessionResultStatus")]
public enum SessionResultStatus
{
    Ok = 0,
    NotFound = 1,
    Invalid = 2,

    /// <summary>The change would take the session past <see cref="SessionSize.MaxBytes"/>.</summary>
    TooLarge = 3,
}
