namespace OrleansShare.Grains.Common;

/// <summary>The wire spelling of <see cref="SessionKind"/>: <c>user</c> and <c>business</c>.</summary>
public static class SessionKinds
{
    public const string User = "user";
    public const string Business = "business";

    public static string ToWire(this SessionKind kind) => kind == SessionKind.Business ? Business : User;

    public static bool TryParse(string? value, out SessionKind kind)
    {
        switch (value)
        {
            case User:
                kind = SessionKind.User;
                return true;
            case Business:
                kind = SessionKind.Business;
                return true;
            default:
                kind = default;
                return false;
        }
    }
}
