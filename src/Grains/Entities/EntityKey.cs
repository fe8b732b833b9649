using OrleansShare.Grains.Common;

namespace OrleansShare.Grains.Entities;

/// <summary>
/// The grain key of a user or business: application, kind and vendor_data. Built and parsed only here.
/// The leading letter keeps Orleans from reading a key as a number.
/// </summary>
public readonly record struct EntityKey(Guid ApplicationId, SessionKind Kind, string VendorData)
{
    private const char Separator = '|';

    public override string ToString() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"e{Separator}{ApplicationId:N}{Separator}{Kind.ToWire()}{Separator}{VendorData}");

    public static EntityKey Parse(string key)
    {
        var parts = key.Split(Separator, 4);
        if (parts.Length != 4 || parts[0] != "e" || !Guid.TryParseExact(parts[1], "N", out var application)
            || !SessionKinds.TryParse(parts[2], out var kind))
        {
            throw new FormatException($"'{key}' is not an entity key.");
        }

        return new EntityKey(application, kind, parts[3]);
    }
}
