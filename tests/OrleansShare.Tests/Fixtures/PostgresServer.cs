using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// A private PostgreSQL server for one test run: the machine's server binaries (<c>PG_BIN</c>, else the highest
/// <c>/usr/lib/postgresql/*/bin</c>), a temp data folder, its own port on 127.0.0.1 and its socket inside the data
/// folder. As root, initdb and the server run as the <c>postgres</c> user (they refuse root). Missing binaries fail
/// the run with the command that installs them; these tests are never skipped. The server keeps PostgreSQL's
/// defaults (max_connections 100, fsync on), as a fresh installation would.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string InstallHint = "Install the PostgreSQL server binaries with: sudo apt-get install -y postgresql (or set PG_BIN to their folder).";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private string? _root;
    private string? _bin;

    /// <summary>The server's port on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>The PostgreSQL major version the binaries report (e.g. "15").</summary>
    public string Version { get; private set; } = "";

    private string DataDirectory => Path.Combine(_root!, "data");

    private static bool RunsAsRoot => Environment.IsPrivilegedProcess;

    public async ValueTask InitializeAsync()
    {
        _bin = FindBinaries();
        _root = Directory.CreateTempSubdirectory("orleansshare-pg-").FullName;
        if (RunsAsRoot)
        {
            await RunAsync("chown", ["postgres:", _root], asPostgres: false);
        }

        Version = (await RunAsync(Path.Combine(_bin, "pg_ctl"), ["--version"], asPostgres: false)).Trim();
        await RunAsync(Path.Combine(_bin, "initdb"), ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"], asPostgres: true);

        // A free port can be taken between probing and binding: try a few.
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Port = TestPorts.Next();
            try
            {
                await StartAsync();
                return;
            }
            catch (InvalidOperationException ex)
            {
                last = ex;
            }
        }

        throw new InvalidOperationException($"PostgreSQL did not start; server log:\n{Tail(Path.Combine(_root, "postgres.log"))}", last);
    }

    /// <summary>Starts the server (again, after <see cref="StopAsync"/>) on its port; returns once it accepts connections.</summary>
    public Task StartAsync() => RunAsync(Path.Combine(_bin!, "pg_ctl"),
    [
        "-D", DataDirectory, "-l", Path.Combine(_root!, "postgres.log"), "-w", "-t", "120",
        "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -k {DataDirectory}",
        "start",
    ], asPostgres: true);

    /// <summary>
    /// Stops the server as an outage would: open connections are closed, transactions in progress abort. This process's
    /// pooled connections to it are dropped too, so that the tests after this one start on live connections.
    /// </summary>
    public async Task StopAsync()
    {
        await RunAsync(Path.Combine(_bin!, "pg_ctl"), ["-D", DataDirectory, "-m", "fast", "-w", "stop"], asPostgres: true);
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>A fresh, empty database (one per test) and its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = "t" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return ConnectionString(name);
    }

    private string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Database = database,
        Username = "postgres",
    }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_root is null)
        {
            return;
        }

        try
        {
            if (_bin is not null && File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", "fast", "-w", "stop"], asPostgres: true);
            }
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static string FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(Path.Combine(configured, "initdb"))
                ? configured
                : throw new InvalidOperationException($"PG_BIN={configured} has no initdb. {InstallHint}");
        }

        const string Installed = "/usr/lib/postgresql";
        var highest = Directory.Exists(Installed)
            ? Directory.GetDirectories(Installed)
                .Select(dir => (Dir: dir, Major: int.TryParse(Path.GetFileName(dir), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(x => x.Major >= 0 && File.Exists(Path.Combine(x.Dir, "bin", "initdb")))
                .OrderByDescending(x => x.Major)
                .Select(x => Path.Combine(x.Dir, "bin"))
                .FirstOrDefault()
            : null;
        return highest ?? throw new InvalidOperationException($"PostgreSQL server binaries not found under {Installed}. {InstallHint}");
    }

    /// <summary>Runs a command to completion (bounded); as root with <paramref name="asPostgres"/>, through runuser.</summary>
    private static async Task<string> RunAsync(string file, IReadOnlyList<string> arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asPostgres && RunsAsRoot)
        {
            start.FileName = "runuser";
            foreach (var a in (string[])["-u", "postgres", "--", file])
            {
                start.ArgumentList.Add(a);
            }
        }
        else
        {
            start.FileName = file;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} did not finish within {CommandTimeout}.");
        }

        var output = await stdout + await stderr;
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}");
    }

    private static string Tail(string path) => File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(30)) : "(no log)";
}
