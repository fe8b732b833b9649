namespace OrleansShare.Grains.Common;

/// <summary>
/// Pinned state names. Together with the grain id and the cluster ServiceId they form the storage key:
/// renaming one orphans every stored row of that grain type. The session index trigger matches <see cref="Session"/>.
/// </summary>
public static class StateNames
{
    public const string Application = "application";
    public const string ApiKey = "api-key";
    public const string Session = "session";
    public const string ShareToken = "share-token";
}
