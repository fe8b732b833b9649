namespace OrleansShare.Grains.Common;

/// <summary>Names of the grain storage providers the silo registers.</summary>
public static class StorageNames
{
    public const string Grains = "grains";
}
