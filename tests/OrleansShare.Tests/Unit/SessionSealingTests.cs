using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansShare.Grains.Common;
using OrleansShare.Grains.Sessions;
using OrleansShare.Grains.Sharing;
using OrleansShare.Silo.Hosting;
using OrleansShare.Silo.Schema;
using OrleansShare.Silo.Storage;
using OrleansShare.Silo.Storage.Encryption;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Unit;

/// <summary>
/// The storage serializer of sessions against a real SQLite file holding <c>data_key</c>: personal data sealed,
/// everything the triggers read in clear, reads exact to the byte, rows moved between sessions refused, key
/// rotation, and the settings of the master keys.
/// </summary>
[Trait("Layer", "Unit")]
public sealed class SessionSealingTests : IAsyncLifetime
{
    private const string Distinctive = "Zyxwvuta Quenchbridge-7731";
    private const string ServiceId = "sealing-tests";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orleansshare-sealing-" + Guid.NewGuid().ToString("N"));
    private readonly JsonSerializerOptions _json;
    private readonly SystemTextJsonGrainStorageSerializer _plain;
    private Database _database = null!;

    public SessionSealingTests()
    {
        var options = new SystemTextJsonGrainStorageSerializerOptions();
        OrleansShareHosting.ConfigureStateJson(options.JsonSerializerOptions);
        _json = options.JsonSerializerOptions;
        _plain = new SystemTextJsonGrainStorageSerializer(Options.Create(options));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _database = Database.ForSqlite(Path.Combine(_directory, "orleansshare.db"), ServiceId);
        await SchemaInstaller.ApplyAsync(_database, NullLogger.Instance, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void PersonalDataIsSealedAndEverythingTheTriggersReadStaysInClear()
    {
        var serializer = Sealing(Keys(("k1", NewKey())));
        var session = Session(Guid.NewGuid());

        var stored = serializer.Serialize(session).ToArray();
        var text = Encoding.UTF8.GetString(stored);

        Assert.DoesNotContain(Distinctive, text, StringComparison.Ordinal);
        Assert.DoesNotContain("carmen@example.com", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Española", text, StringComparison.Ordinal);
        Assert.StartsWith("{\"sealed\":\"v1.k1.", text, StringComparison.Ordinal);

        // What the session index, pending-redemption and redemption-part triggers read, as they read it.
        using var doc = JsonDocument.Parse(stored);
        var root = doc.RootElement;
        Assert.Equal(session.SessionId, root.GetProperty("session_id").GetGuid());
        Assert.Equal(session.ApplicationId, root.GetProperty("application_id").GetGuid());
        Assert.Equal(session.SessionNumber, root.GetProperty("session_number").GetInt64());
        Assert.Equal("user", root.GetProperty("session_kind").GetString());
        Assert.Equal("Approved", root.GetProperty("status").GetString());
        Assert.Equal(session.VendorData, root.GetProperty("vendor_data").GetString());
        Assert.Equal(session.WorkflowId, root.GetProperty("workflow_id").GetGuid());
        Assert.Equal(session.CreatedAt, root.GetProperty("created_at").GetDateTimeOffset());
        Assert.False(root.GetProperty("deleted").GetBoolean());
        Assert.Equal(session.PendingRedemption, root.GetProperty("pending_redemption").GetString());
        Assert.Equal(session.SharedFromSession, root.GetProperty("shared_from_session").GetGuid());
    }

    [Fact]
    public void ReadsGiveBackExactlyWhatWasWritten()
    {
        var serializer = Sealing(Keys(("k1", NewKey())));
        var session = Session(Guid.NewGuid());

        var read = serializer.Deserialize<SessionState>(serializer.Serialize(session))!;

        Assert.Equal(_plain.Serialize(session).ToArray(), _plain.Serialize(read).ToArray());
        Assert.Equal(session.Metadata, read.Metadata);
        Assert.Equal(session.ExpectedDetails, read.ExpectedDetails);
        Assert.Equal(session.ContactDetails, read.ContactDetails);
        Assert.Equal(session.Sections.OrderBy(s => s.Key, StringComparer.Ordinal), read.Sections.OrderBy(s => s.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void RowsWrittenBeforeEncryptionStillRead()
    {
        var serializer = Sealing(Keys(("k1", NewKey())));
        var session = Session(Guid.NewGuid());
        var legacy = _plain.Serialize(session);

        var read = serializer.Deserialize<SessionState>(legacy)!;

        Assert.Equal(legacy.ToArray(), _plain.Serialize(read).ToArray());
    }

    [Fact]
    public void SessionsWithoutPersonalDataAndOtherStatesAreTheJsonSerializers()
    {
        var serializer = Sealing(Keys(("k1", NewKey())));
        var bare = new SessionState { SessionId = Guid.NewGuid(), ApplicationId = Guid.NewGuid(), Status = "Not Started", Deleted = true };
        var token = new ShareTokenState { Status = RedemptionStatus.Redeemed, RedeemedAt = DateTimeOffset.UnixEpoch };

        Assert.Equal(_plain.Serialize(bare).ToArray(), serializer.Serialize(bare).ToArray());
        Assert.Equal(_plain.Serialize(token).ToArray(), serializer.Serialize(token).ToArray());
    }

    [Fact]
    public void SealedDataMovedToAnotherSessionOrApplicationDoesNotOpen()
    {
        var serializer = Sealing(Keys(("k1", NewKey())));
        var applicationId = Guid.NewGuid();
        var first = Session(applicationId);
        var second = Session(applicationId);
        var stored = Encoding.UTF8.GetString(serializer.Serialize(first).ToArray());

        // The first session's sealed member in the second session's row (same application, same data key).
        var moved = stored.Replace(first.SessionId.ToString("D"), second.SessionId.ToString("D"), StringComparison.Ordinal);
        var error = Assert.Throws<InvalidOperationException>(() => serializer.Deserialize<SessionState>(BinaryData.FromString(moved)));
        Assert.Contains("does not open", error.Message, StringComparison.Ordinal);

        // One bit of the ciphertext changed.
        var marker = "\"sealed\":\"v1.k1.".Length + 1;
        var altered = stored[..(marker + 20)] + (stored[marker + 20] == 'A' ? 'B' : 'A') + stored[(marker + 21)..];
        Assert.Throws<InvalidOperationException>(() => serializer.Deserialize<SessionState>(BinaryData.FromString(altered)));
    }

    [Fact]
    public async Task RotationOldRowsStillReadNewRowsUseTheNewKey()
    {
        var k1 = NewKey();
        var k2 = NewKey();
        var applicationId = Guid.NewGuid();
        var before = Session(applicationId);
        var storedBefore = Sealing(Keys(("k1", k1))).Serialize(before);

        // "Restart" with a second key that now encrypts: the old row reads, a new write uses k2.
        var rotated = Sealing(MasterKeys.Create(new Dictionary<string, byte[]> { ["k1"] = k1, ["k2"] = k2 }, "k2"));
        var read = rotated.Deserialize<SessionState>(storedBefore)!;
        Assert.Equal(_plain.Serialize(before).ToArray(), _plain.Serialize(read).ToArray());

        var after = Session(applicationId);
        var storedAfter = rotated.Serialize(after).ToString();
        Assert.StartsWith("{\"sealed\":\"v1.k2.", storedAfter, StringComparison.Ordinal);
        var rewritten = rotated.Serialize(read).ToString();
        Assert.StartsWith("{\"sealed\":\"v1.k2.", rewritten, StringComparison.Ordinal);
        Assert.Equal(["k1", "k2"], await DataKeyKidsAsync(applicationId));

        // With k1 gone, rows still under k1 fail naming the setting; rows under k2 read.
        var onlyK2 = Sealing(Keys(("k2", k2)));
        Assert.Equal(_plain.Serialize(before).ToArray(), _plain.Serialize(onlyK2.Deserialize<SessionState>(BinaryData.FromString(rewritten))!).ToArray());
        var error = Assert.Throws<InvalidOperationException>(() => onlyK2.Deserialize<SessionState>(storedBefore));
        Assert.Contains("Storage__EncryptionKeys__k1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWrongMasterKeyIsReportedNotMisread()
    {
        var session = Session(Guid.NewGuid());
        var stored = Sealing(Keys(("k1", NewKey()))).Serialize(session);

        var error = Assert.Throws<InvalidOperationException>(() => Sealing(Keys(("k1", NewKey()))).Deserialize<SessionState>(stored));
        Assert.Contains("Storage__EncryptionKeys__k1 is not the key it was wrapped with", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutKeysSessionsAreInClearAndSealedRowsNameTheKeyToSet()
    {
        var clear = new SessionSealingSerializer(_plain, _json, keys: null);
        var session = Session(Guid.NewGuid());
        Assert.Equal(_plain.Serialize(session).ToArray(), clear.Serialize(session).ToArray());

        var stored = Sealing(Keys(("prod-2026", NewKey()))).Serialize(session);
        var error = Assert.Throws<InvalidOperationException>(() => clear.Deserialize<SessionState>(stored));
        Assert.Contains("Storage__EncryptionKeys__prod-2026", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SilosRacingForAnApplicationsFirstDataKeyAgreeOnOne()
    {
        var master = Keys(("k1", NewKey()));
        var applicationId = Guid.NewGuid();
        var silos = Enumerable.Range(0, 4).Select(_ => Sealing(master)).ToArray();
        var sessions = silos.Select(_ => Session(applicationId)).ToArray();

        var stored = await Task.WhenAll(silos.Select((silo, i) => Task.Run(() => silo.Serialize(sessions[i]), Ct)));

        // Every silo reads what every other wrote: one data key.
        for (var i = 0; i < silos.Length; i++)
        {
            var reader = silos[(i + 1) % silos.Length];
            Assert.Equal(_plain.Serialize(sessions[i]).ToArray(), _plain.Serialize(reader.Deserialize<SessionState>(stored[i])!).ToArray());
        }

        Assert.Equal(["k1"], await DataKeyKidsAsync(applicationId));
    }

    [Theory]
    [InlineData("k1", "not base64", null, "Storage__EncryptionKeys__k1 must be the base64 of 32 random bytes")]
    [InlineData("k1", "c2hvcnQ=", null, "Storage__EncryptionKeys__k1 must be the base64 of 32 random bytes")]
    [InlineData("k 1", null, null, "Storage__EncryptionKeys__k 1: a key id is 1 to 64 letters")]
    [InlineData("k1", null, "k9", "Storage__EncryptionKeyId is 'k9', which is not one of the Storage__EncryptionKeys (k1, k2)")]
    [InlineData(null, null, "k1", "Storage__EncryptionKeyId is 'k1' but no Storage__EncryptionKeys__<kid> is set")]
    public void BadKeySettingsStopTheHostNamingTheSetting(string? kid, string? value, string? encryptingKid, string expected)
    {
        var storage = new StorageOptions { EncryptionKeyId = encryptingKid };
        if (kid is not null)
        {
            storage.EncryptionKeys[kid] = value ?? Convert.ToBase64String(NewKey());
            if (encryptingKid is not null)
            {
                storage.EncryptionKeys["k2"] = Convert.ToBase64String(NewKey());
            }
        }

        var error = Assert.Throws<OptionsValidationException>(() => MasterKeys.From(storage));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralKeysNeedTheEncryptingOneNamedAndKeyIdsIgnoreCase()
    {
        var storage = new StorageOptions();
        storage.EncryptionKeys["Old"] = Convert.ToBase64String(NewKey());
        storage.EncryptionKeys["New"] = Convert.ToBase64String(NewKey());
        var error = Assert.Throws<OptionsValidationException>(() => MasterKeys.From(storage));
        Assert.Contains("Storage__EncryptionKeyId must name the key that encrypts new data", error.Message, StringComparison.Ordinal);

        storage.EncryptionKeyId = "NEW";
        var keys = MasterKeys.From(storage)!;
        Assert.Equal("new", keys.EncryptingKid);
        Assert.Equal(["new", "old"], keys.Kids.Order(StringComparer.Ordinal));
        Assert.Null(MasterKeys.From(new StorageOptions()));
    }

    /// <summary>
    /// A rough figure, printed, never asserted (the machine is shared): the CPU time of sealing and opening one rich
    /// KYC session, against the JSON serializer alone. A pair costs about two seals (source and clone writes).
    /// </summary>
    [Fact]
    public void SealingCostIsPrinted()
    {
        var serializer = Sealing(Keys(("k1", NewKey())));
        var session = Session(Guid.NewGuid()) with { Sections = Decisions.RichKyc.ToImmutableDictionary(s => s.Key, s => s.Value) };
        var sealedPayload = serializer.Serialize(session);
        var plainPayload = _plain.Serialize(session);
        const int rounds = 300;

        static double MicrosecondsPerRound(Action round)
        {
            round();
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < rounds; i++)
            {
                round();
            }

            return Stopwatch.GetElapsedTime(started).TotalMicroseconds / rounds;
        }

        var sealedCost = MicrosecondsPerRound(() => serializer.Deserialize<SessionState>(serializer.Serialize(session)));
        var plainCost = MicrosecondsPerRound(() => _plain.Deserialize<SessionState>(_plain.Serialize(session)));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"write+read of a {plainPayload.ToMemory().Length}-byte session ({sealedPayload.ToMemory().Length} bytes sealed): "
            + $"{sealedCost:F1} µs sealed, {plainCost:F1} µs in clear");
        Assert.True(sealedCost > 0);
    }

    private SessionSealingSerializer Sealing(MasterKeys keys) => new(_plain, _json, DataKeyRing.Create(keys, _database, ServiceId));

    private static MasterKeys Keys((string Kid, byte[] Key) key) =>
        MasterKeys.Create(new Dictionary<string, byte[]> { [key.Kid] = key.Key }, key.Kid);

    private static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    private static SessionState Session(Guid applicationId) => new()
    {
        SessionId = Guid.NewGuid(),
        ApplicationId = applicationId,
        SessionNumber = 42,
        SessionKind = SessionKind.User,
        Status = "Approved",
        WorkflowId = Guid.NewGuid(),
        Features = ["OCR", "LIVENESS"],
        VendorData = "vendor-" + Guid.NewGuid().ToString("N"),
        Metadata = """{"account_id": "ABC123", "note": "Zyxwvuta Quenchbridge-7731", "tiny": 1e-7, "big": 12345678901234567890}""",
        ExpectedDetails = """{"first_name": "Carmen", "last_name": "Española Ñúñez", "other_names": ["李小龍", "🦊"]}""",
        ContactDetails = """{"email": "carmen@example.com", "phone": "+34600000000", "extra": null}""",
        Callback = "https://example.com/callback",
        SharedFromSession = Guid.NewGuid(),
        PendingRedemption = "token-key-1",
        CreatedAt = new DateTimeOffset(2026, 11, 30, 12, 34, 56, 789, TimeSpan.Zero),
        Sections = ImmutableDictionary<string, string>.Empty
            .Add("id_verifications", """[{"status": "Approved", "document_number": "Zyxwvuta Quenchbridge-7731", "first_name": "Carmen", "escaped": "a\"b\\c\u00e9"}]""")
            .Add("aml_screenings", """[{"status": "Approved", "total_hits": 0, "hits": []}]"""),
        Activity = [new ActivityEntry("created", "api", null, "a comment", DateTimeOffset.UnixEpoch, null)],
    };

    private async Task<List<string>> DataKeyKidsAsync(Guid applicationId)
    {
        await using var connection = await _database.OpenConnectionAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT kid FROM data_key WHERE service_id = @S AND application_id = @A ORDER BY kid";
        command.Parameters.Add(new SqliteParameter("@S", ServiceId));
        command.Parameters.Add(new SqliteParameter("@A", applicationId.ToString("D")));
        var kids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            kids.Add(reader.GetString(0));
        }

        return kids;
    }
}
