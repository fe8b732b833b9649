namespace OrleansShare.Silo.Storage;

/// <summary>The relational engines OrleansShare stores grain state and the session index in.</summary>
public enum DatabaseKind
{
    /// <summary>One SQLite file: embedded mode (grain persistence only, localhost clustering).</summary>
    Sqlite,

    /// <summary>PostgreSQL: cluster mode (clustering and grain persistence).</summary>
    PostgreSql,
}
