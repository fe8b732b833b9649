namespace OrleansShare.Gateway.Hosting;

/// <summary>
/// The console the operator started the gateway from (standard output), for what must be shown once and never kept in
/// a log: the operator key embedded mode generates. Tests replace it to read what was shown.
/// </summary>
internal sealed class OperatorConsole(Action<string> writeLine)
{
    public static OperatorConsole Standard() => new(line => Console.Out.WriteLine(line));

    public void ShowGeneratedAdminKey(string adminKey, string dataDirectory) =>
        writeLine($"Operator key, shown this once and never logged (only its hash is kept in {dataDirectory}): {adminKey}");
}
