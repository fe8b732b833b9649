namespace OrleansShare.Grains.Sessions;

[GenerateSerializer, Alias("sessions.ShareStatus")]
public enum ShareStatus
{
    Recorded = 0,
    NotFound = 1,
    NotFinished = 2,
    BodyInvalid = 3,
    SelfShare = 4,
    PartnerMissing = 5,
    TtlInvalid = 6,

    /// <summary>Its audit entry would take the session past <see cref="SessionSize.MaxBytes"/>.</summary>
    SessionFull = 7,

    /// <summary>A <c>scope</c> section is not one of the session's kind (<see cref="ShareResult.Reason"/> says which).</summary>
    ScopeInvalid = 8,

    /// <summary>The application's sharing policy refuses it (<see cref="ShareResult.Rule"/> names the rule).</summary>
    PolicyRefused = 9,
}
