using System.Collections.Frozen;

namespace OrleansShare.Grains.Common;

/// <summary>The decision sections a session document carries, per kind, in document order.</summary>
public static class Sections
{
    public const string IdVerifications = "id_verifications";

    public static readonly IReadOnlyList<string> User =
    [
        "id_verifications", "nfc_verifications", "liveness_checks", "face_matches", "aml_screenings",
        "ip_analyses", "database_validations", "proof_of_address", "phone_verifications", "email_verifications",
    ];

    public static readonly IReadOnlyList<string> Business =
    [
        "registry_checks", "key_people_checks", "document_verifications", "aml_screenings",
        "questionnaires", "phone_verifications", "email_verifications",
    ];

    private static readonly FrozenSet<string> UserSet = User.ToFrozenSet(StringComparer.Ordinal);
    private static readonly FrozenSet<string> BusinessSet = Business.ToFrozenSet(StringComparer.Ordinal);

    public static IReadOnlyList<string> For(SessionKind kind) => kind == SessionKind.Business ? Business : User;

    public static bool Belongs(SessionKind kind, string section) => (kind == SessionKind.Business ? BusinessSet : UserSet).Contains(section);

    public static bool IsAnySection(string name) => UserSet.Contains(name) || BusinessSet.Contains(name);
}
