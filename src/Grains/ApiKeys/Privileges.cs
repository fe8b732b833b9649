namespace OrleansShare.Grains.ApiKeys;

/// <summary>The privileges an API key can carry.</summary>
public static class Privileges
{
    public const string ReadSessions = "read:sessions";
    public const string WriteSessions = "write:sessions";

    public static readonly IReadOnlyList<string> All = [ReadSessions, WriteSessions];

    public static bool IsKnown(string privilege) => privilege is ReadSessions or WriteSessions;
}
