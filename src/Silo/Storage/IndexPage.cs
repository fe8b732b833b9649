namespace OrleansShare.Silo.Storage;

/// <summary>One page of an index listing: <paramref name="Count"/> is the total number of matches, not the page size.</summary>
public sealed record IndexPage<T>(long Count, IReadOnlyList<T> Results);
