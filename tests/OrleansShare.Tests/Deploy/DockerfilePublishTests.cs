using System.Diagnostics;
using System.Text.RegularExpressions;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Deploy;

/// <summary>
/// deploy/Dockerfile's build stage, run without a container engine: its COPY lines copy the same files from the repository
/// into a fresh folder and its RUN lines run there as written (the image's <c>/app</c> mapped to a temp folder), so a
/// <c>dotnet publish</c> the image build would fail fails here. The published hosts are the files the Kubernetes
/// manifests start.
/// </summary>
[Collection(Name)]
public sealed partial class DockerfilePublishTests
{
    /// <summary>
    /// Two Release publishes take both of CI's cores for a minute or two: they run alone, after the parallel collections,
    /// so that the timing of no other test depends on them.
    /// </summary>
    public const string Name = "Dockerfile publish (alone)";

    [Fact]
    public async Task TheBuildStagePublishesTheHostsTheManifestsStart()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = ProcessCluster.RepositoryRoot;
        var stage = BuildStage(await File.ReadAllLinesAsync(Path.Combine(root, "deploy", "Dockerfile"), ct));
        Assert.Contains(stage, s => s.Kind == "RUN" && s.Argument.Contains("dotnet publish", StringComparison.Ordinal));

        var scratch = Path.Combine(Path.GetTempPath(), "orleansshare-dockerfile-" + Guid.NewGuid().ToString("N"));
        var context = Path.Combine(scratch, "src");
        var app = Path.Combine(scratch, "app");
        Directory.CreateDirectory(context);
        try
        {
            var workdir = context;
            foreach (var (kind, argument) in stage)
            {
                switch (kind)
                {
                    case "WORKDIR":
                        Assert.Equal("/src", argument);
                        break;
                    case "COPY":
                        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        Assert.DoesNotContain(parts, p => p.StartsWith("--", StringComparison.Ordinal));
                        var destination = Path.GetFullPath(parts[^1], workdir);
                        Assert.EndsWith("/", parts[^1], StringComparison.Ordinal);
                        foreach (var source in parts[..^1])
                        {
                            // A folder's contents go into the destination folder, a file into it by its name (as docker does).
                            var from = Path.Combine(root, source);
                            Copy(from, Directory.Exists(from) ? destination : Path.Combine(destination, Path.GetFileName(source)));
                        }

                        break;
                    case "RUN":
                        await RunAsync(argument.Replace("/app/", app + "/", StringComparison.Ordinal), workdir, ct);
                        break;
                    default:
                        Assert.Fail($"The Dockerfile's build stage uses {kind}, which this test does not interpret.");
                        break;
                }
            }

            // The image copies /app whole; the manifests start these files in it.
            var manifests = await RenderedManifests.RenderAsync("split");
            var started = manifests.PodTemplates().SelectMany(p => p.Template.Spec.Containers).SelectMany(c => c.Args ?? []).Where(a => a.StartsWith("/app/", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, started.Distinct().Count());
            Assert.All(started, dll => Assert.True(File.Exists(app + dll["/app".Length..]), $"the image has no {dll}"));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The instructions of the first stage, continuation lines joined.</summary>
    private static List<(string Kind, string Argument)> BuildStage(IEnumerable<string> lines)
    {
        var instructions = new List<(string, string)>();
        var current = "";
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }

            current += line.TrimEnd('\\').Trim() + " ";
            if (line.EndsWith('\\'))
            {
                continue;
            }

            var match = Instruction().Match(current.Trim());
            current = "";
            if (match.Groups[1].Value == "FROM")
            {
                if (instructions.Count > 0)
                {
                    break;
                }

                continue;
            }

            instructions.Add((match.Groups[1].Value, match.Groups[2].Value));
        }

        return instructions;
    }

    private static void Copy(string source, string destination)
    {
        if (File.Exists(source))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(source, destination, overwrite: true);
            return;
        }

        Assert.True(Directory.Exists(source), $"COPY names {source}, which is not in the repository");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj"))
            {
                continue; // .dockerignore keeps build output out of the image's context.
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(destination, relative))!);
            File.Copy(file, Path.Combine(destination, relative), overwrite: true);
        }
    }

    private static async Task RunAsync(string command, string workingDirectory, CancellationToken ct)
    {
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(8), ct);
        Assert.True(process.ExitCode == 0, $"RUN {command} failed ({process.ExitCode}):\n{Tail(await output)}\n{Tail(await errors)}");
    }

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;

    [GeneratedRegex(@"^([A-Z]+)\s+(.*)$")]
    private static partial Regex Instruction();
}

[CollectionDefinition(DockerfilePublishTests.Name, DisableParallelization = true)]
public sealed class DockerfilePublishCollection;
