namespace OrleansShare.Grains.Sessions;

/// <summary>Expected outcomes of revoking a share token; each maps to one HTTP answer.</summary>
[GenerateSerializer, Alias("sessions.RevokeShareStatus")]
public enum RevokeShareStatus
{
    Revoked = 0,
    SessionNotFound = 1,
    TokenNotFound = 2,
    AlreadyRedeemed = 3,
}
