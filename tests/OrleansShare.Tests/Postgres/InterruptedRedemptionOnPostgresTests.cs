using OrleansShare.Tests.Cluster;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Postgres;

/// <summary>
/// Interrupted redemptions finished by the recovery sweep, on PostgreSQL: the three writes of a redemption go through
/// group commit, and <c>redemption_part</c> is recorded by the PostgreSQL triggers (migration 007).
/// </summary>
[Collection(PostgresRecoveryCollection.Name)]
[Trait("Layer", "Postgres")]
public sealed class InterruptedRedemptionOnPostgresTests(PostgresRecoveryClusterFixture fixture) : InterruptedRedemptionCases(fixture);
