namespace OrleansShare.Silo.Hosting;

/// <summary>How the service runs: one in-process silo on SQLite, or a cluster on PostgreSQL.</summary>
public enum ClusterMode
{
    Embedded = 0,
    AdoNet = 1,
}
