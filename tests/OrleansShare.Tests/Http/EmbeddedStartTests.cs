using System.Globalization;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>
/// Issue 12, item 10: what an embedded start leaves on disk and refuses. The data folder is 0700 and every file in it
/// 0600; an <c>Admin__ApiKey</c> under 32 characters stops the gateway with a message naming it; a relative
/// <c>Storage__DataDirectory</c> lands under the directory <c>dotnet run --project src/Gateway</c> was started from; a
/// <c>RateLimiting__</c> setting out of range or not a number stops it too (issue 12, item 7). All but the first run the
/// built gateway as a process.
/// </summary>
[Trait("Layer", "Http")]
public sealed class EmbeddedStartTests
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task DataFolderAndEveryFileInItAreReadableByTheOwnerOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes only; Windows keeps the folder's inherited access rules.");
        var dataDirectory = Path.Combine(GatewayApp.NewDataDirectory(), "nested", "data");
        try
        {
            await using var app = GatewayApp.WithGeneratedSecrets(dataDirectory);
            await app.InitializeAsync();
            app.UseAdminKey(await app.GeneratedAdminKeyAsync());
            var application = await app.CreateApplicationAsync();
            await app.CreateVerifiedSessionAsync(application);

            var files = Directory.GetFiles(dataDirectory).Select(Path.GetFileName).ToList();
            Assert.All(["orleansshare.db", "orleansshare.db-wal", "orleansshare.db-shm", "share-token-keys.json", "admin-key.sha256"], name => Assert.Contains(name, files));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDirectory));
            Assert.All(files, file => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDirectory, file!))));
        }
        finally
        {
            GatewayApp.DeleteDataDirectory(Path.GetDirectoryName(Path.GetDirectoryName(dataDirectory))!);
        }
    }

    [Fact]
    public async Task AnAdminKeyShorterThan32CharactersStopsTheGatewayNamingTheSetting()
    {
        var work = NewWorkDirectory();
        try
        {
            var dataDirectory = Path.Combine(work, "data");
            var environment = EmbeddedEnvironment(dataDirectory);
            environment["Admin__ApiKey"] = new string('k', 31);

            await using var gateway = HostProcess.Start(
                "gateway", ProcessCluster.Dll("Gateway", "OrleansShare.Gateway.dll"), environment, Path.Combine(work, "gateway.log"));
            await gateway.WaitForExitAsync(StartDeadline);

            Assert.True(gateway.ExitCode is not 0, gateway.Tail());
            Assert.Equal(1, gateway.CountInLog("Admin__ApiKey must be at least 32 characters long, and this one has 31."));
            Assert.Equal(0, gateway.CountInLog("Unhandled exception"));
            Assert.False(Directory.Exists(dataDirectory), "The refused start created the data folder.");
        }
        finally
        {
            GatewayApp.DeleteDataDirectory(work);
        }
    }

    [Theory]
    [InlineData("RateLimiting__Burst", "0", "RateLimiting__Burst must be a whole number of at least 1.")]
    [InlineData("RateLimiting__PermitsPerSecond", "lots", "the other RateLimiting__ settings whole numbers")]
    public async Task ABadRateLimitStopsTheGatewayNamingTheSetting(string setting, string value, string message)
    {
        var work = NewWorkDirectory();
        try
        {
            var environment = EmbeddedEnvironment(Path.Combine(work, "data"));
            environment["Admin__ApiKey"] = "osk_admin_" + Guid.NewGuid().ToString("N");
            environment[setting] = value;

            await using var gateway = HostProcess.Start(
                "gateway", ProcessCluster.Dll("Gateway", "OrleansShare.Gateway.dll"), environment, Path.Combine(work, "gateway.log"));
            await gateway.WaitForExitAsync(StartDeadline);

            Assert.True(gateway.ExitCode is 2, gateway.Tail());
            Assert.Equal(1, gateway.CountInLog(message));
            Assert.Equal(0, gateway.CountInLog("Unhandled exception"));
        }
        finally
        {
            GatewayApp.DeleteDataDirectory(work);
        }
    }

    [Fact]
    public async Task DotnetRunKeepsARelativeDataDirectoryUnderTheDirectoryItWasStartedFrom()
    {
        var work = NewWorkDirectory();
        var relative = $"data-{Guid.NewGuid():N}";
        var underProject = Path.Combine(ProcessCluster.RepositoryRoot, "src", "Gateway", relative);
        try
        {
            var environment = EmbeddedEnvironment(relative);
            environment["Admin__ApiKey"] = "osk_admin_" + Guid.NewGuid().ToString("N");
            string[] run = ["run", "--no-build", "-c", ProcessCluster.BuildConfiguration, "--project", Path.Combine(ProcessCluster.RepositoryRoot, "src", "Gateway")];

            await using var gateway = HostProcess.Start("gateway", run, work, environment, Path.Combine(work, "gateway.log"));
            await gateway.WaitForLogAsync("Serving HTTP as embedded", 1, StartDeadline, Ct);

            Assert.True(File.Exists(Path.Combine(work, relative, "orleansshare.db")), gateway.Tail());
            Assert.False(Directory.Exists(underProject), $"The data went to the project folder, {underProject}.");
        }
        finally
        {
            GatewayApp.DeleteDataDirectory(work);
            GatewayApp.DeleteDataDirectory(underProject);
        }
    }

    private static string NewWorkDirectory()
    {
        var work = Path.Combine(Path.GetTempPath(), "orleansshare-start-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        return work;
    }

    /// <summary>An embedded gateway on free ports, its data in <paramref name="dataDirectory"/>.</summary>
    private static Dictionary<string, string> EmbeddedEnvironment(string dataDirectory)
    {
        var ports = TestPorts.Next(3);
        return new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ports[0].ToString(CultureInfo.InvariantCulture)}",
            ["Cluster__SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Cluster__GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Storage__DataDirectory"] = dataDirectory,
        };
    }
}
