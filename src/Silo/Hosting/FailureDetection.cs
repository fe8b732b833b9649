using Orleans.Configuration;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// Failure detection for a cluster on one LAN, where a probe answers in a millisecond: a killed silo is declared dead
/// in about two seconds instead of Orleans' cloud-safe half a minute or more, and gateways learn it within a second.
/// These are defaults: <c>Orleans__Membership__*</c> and <c>Orleans__Gateway__*</c> settings bound after them win.
/// </summary>
public static class FailureDetection
{
    /// <summary>The first probe timeout, and the period between probes (Orleans adapts both between half and four times it).</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Missed probes before a silo votes its target dead (the last one sent indirectly, through another silo).</summary>
    public const int NumMissedProbesLimit = 2;

    /// <summary>Votes that declare a silo dead: two independent witnesses, as in Orleans, so one sick silo cannot evict a healthy one.</summary>
    public const int NumVotesForDeathDeclaration = 2;

    /// <summary>How long a vote counts: long enough for the second witness at the widest adapted probe timeout (4 s x 2 probes).</summary>
    public static readonly TimeSpan DeathVoteExpirationTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Each silo re-reads the membership table this often, in case a gossip message was lost.</summary>
    public static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Each silo's heartbeat in the table; three missed mark its row stale.</summary>
    public static readonly TimeSpan IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How often a gateway reads the membership table: its list of silo gateways, and the deaths it reacts to.</summary>
    public static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(1);

    public static void ApplyDefaults(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = ProbeTimeout;
        options.NumMissedProbesLimit = NumMissedProbesLimit;
        options.NumVotesForDeathDeclaration = NumVotesForDeathDeclaration;
        options.DeathVoteExpirationTimeout = DeathVoteExpirationTimeout;
        options.TableRefreshTimeout = TableRefreshTimeout;
        options.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
    }

    public static void ApplyDefaults(GatewayOptions options) => options.GatewayListRefreshPeriod = GatewayListRefreshPeriod;
}
