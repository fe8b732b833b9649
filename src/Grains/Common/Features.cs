using System.Collections.Frozen;

namespace OrleansShare.Grains.Common;

/// <summary>The workflow features the service knows; a workflow with any <c>KYB_*</c> feature is a business workflow.</summary>
public static class Features
{
    public static readonly FrozenSet<string> All = new[]
    {
        "OCR", "NFC", "LIVENESS", "FACE_MATCH", "PROOF_OF_ADDRESS", "QUESTIONNAIRE", "PHONE_VERIFICATION",
        "EMAIL_VERIFICATION", "DATABASE_VALIDATION", "AML", "IP_ANALYSIS", "AGE_ESTIMATION", "KYB_REGISTRY",
        "KYB_DOCUMENTS", "KYB_KEY_PEOPLE",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static bool IsKnown(string feature) => All.Contains(feature);

    public static SessionKind KindOf(IEnumerable<string> features) =>
        features.Any(f => f.StartsWith("KYB_", StringComparison.Ordinal)) ? SessionKind.Business : SessionKind.User;
}
