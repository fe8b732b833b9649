using System.Diagnostics;
using System.Text;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// One silo or gateway process (<c>dotnet &lt;dll&gt;</c>), its stdout and stderr copied to a log file.
/// <see cref="StopAsync"/> sends SIGTERM and waits; <see cref="KillAsync"/> sends SIGKILL.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();
    private bool _disposed;
    private volatile bool _stopRequested;

    private HostProcess(string name, string logPath, Process process, StreamWriter log)
    {
        Name = name;
        LogPath = logPath;
        _process = process;
        _log = log;
    }

    public string Name { get; }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>True once the test asked this process to stop or killed it; an exit before that is a crash.</summary>
    public bool StopRequested => _stopRequested;

    /// <summary>True when the process exited without being asked to.</summary>
    public bool Crashed => _process.HasExited && !StopRequested;

    public static HostProcess Start(string name, string dll, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{name}: {dll} is missing. Build the solution first (dotnet build), in the test's configuration.", dll);
        }

        return Start(name, [dll], Path.GetDirectoryName(dll)!, environment, logPath);
    }

    /// <summary>Starts <c>dotnet &lt;arguments&gt;</c> in <paramref name="workingDirectory"/> (e.g. <c>dotnet run --project ...</c>).</summary>
    public static HostProcess Start(
        string name, IReadOnlyList<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Hermetic: nothing of the caller's OrleansShare or ASP.NET Core settings leaks into the hosts.
        foreach (var key in start.Environment.Keys.Where(IsOurSetting).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var log = new StreamWriter(logPath, append: false, new UTF8Encoding(false)) { AutoFlush = true };
        log.WriteLine($"# {name}: dotnet {string.Join(' ', arguments)} in {workingDirectory} (started {DateTimeOffset.UtcNow:O})");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var host = new HostProcess(name, logPath, process, log);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.Exited += (_, _) => host.Append($"# {name} exited with {process.ExitCode} ({DateTimeOffset.UtcNow:O})");
        if (!process.Start())
        {
            throw new InvalidOperationException($"{name}: dotnet did not start.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>SIGTERM, then waits (bounded) for a graceful exit; a process that does not exit is killed and the stop fails.</summary>
    public async Task StopAsync(TimeSpan deadline)
    {
        if (_process.HasExited)
        {
            return;
        }

        await SignalTerminateAsync();
        await WaitForExitAsync(deadline);
    }

    /// <summary>Sends SIGTERM and returns at once: the host begins its graceful shutdown.</summary>
    public async Task SignalTerminateAsync()
    {
        _stopRequested = true;
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed with {kill.ExitCode}.");
        }
    }

    /// <summary>Waits (bounded) for the process to exit; one that does not is killed and the wait fails.</summary>
    public async Task WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Name} did not exit within {deadline} of SIGTERM.\n{Tail()}");
        }
    }

    /// <summary>Polls the log (bounded) until it holds <paramref name="text"/> <paramref name="count"/> times.</summary>
    public async Task WaitForLogAsync(string text, int count, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (CountInLog(text) < count)
        {
            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"{Name}: '{text}' appeared {CountInLog(text)} of {count} times within {deadline}.\n{Tail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>SIGKILL: the process (and any it started, as <c>dotnet run</c> does) dies at once, nothing is handed off.</summary>
    public async Task KillAsync()
    {
        _stopRequested = true;
        if (_process.HasExited)
        {
            return;
        }

        _process.Kill(entireProcessTree: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>How many times the log holds <paramref name="text"/>.</summary>
    public int CountInLog(string text)
    {
        lock (_gate)
        {
            _log.Flush();
        }

        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var all = reader.ReadToEnd();
        var count = 0;
        for (var at = all.IndexOf(text, StringComparison.Ordinal); at >= 0; at = all.IndexOf(text, at + text.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>The last lines of the log, for assertion messages.</summary>
    public string Tail(int lines = 40)
    {
        lock (_gate)
        {
            _log.Flush();
        }

        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var all = reader.ReadToEnd().Split('\n');
        var state = _process.HasExited ? $"exited with {_process.ExitCode}" : "running";
        return $"--- {Name} (pid {_process.Id}, {state}), last lines of {LogPath}:\n{string.Join('\n', all.TakeLast(lines))}";
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        // Let the output readers drain before the log closes.
        _process.WaitForExit();
        lock (_gate)
        {
            _log.Dispose();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output that arrives after disposal is dropped.
            }
        }
    }

    private static bool IsOurSetting(string key) =>
        key.StartsWith("Cluster__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Admin__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("ShareTokens__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Orleans__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Gateway__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Storage__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase);
}
