namespace OrleansShare.Silo.Hosting;

public static class ConnectionStringNames
{
    /// <summary><c>ConnectionStrings__OrleansShare</c>: the PostgreSQL database of a cluster.</summary>
    public const string OrleansShare = "OrleansShare";
}
