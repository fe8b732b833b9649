using System.Diagnostics;
using System.Text;

namespace OrleansShare.Tests.Fixtures;

/// <summary>
/// The reference for the canonical form: Node.js itself, <c>JSON.stringify</c> of the parsed text with keys sorted
/// recursively, exactly as API.md describes a receiver re-canonicalising a payload.
/// </summary>
public static class NodeJson
{
    private const string Script = """
        const sortKeys = v => Array.isArray(v) ? v.map(sortKeys)
          : v !== null && typeof v === 'object' ? Object.keys(v).sort().reduce((o, k) => (o[k] = sortKeys(v[k]), o), {})
          : v;
        let input = '';
        process.stdin.setEncoding('utf8');
        process.stdin.on('data', c => input += c);
        process.stdin.on('end', () => process.stdout.write(Buffer.from(JSON.stringify(sortKeys(JSON.parse(input))), 'utf8')));
        """;

    public static async Task<byte[]> CanonicalAsync(byte[] json)
    {
        var start = new ProcessStartInfo("node", ["-e", Script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var node = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        await node.StandardInput.BaseStream.WriteAsync(json, TestContext.Current.CancellationToken);
        node.StandardInput.Close();
        using var output = new MemoryStream();
        var copy = node.StandardOutput.BaseStream.CopyToAsync(output, TestContext.Current.CancellationToken);
        var errors = node.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await node.WaitForExitAsync(TestContext.Current.CancellationToken);
        await copy;
        if (node.ExitCode != 0)
        {
            throw new InvalidOperationException($"node failed: {await errors}");
        }

        return output.ToArray();
    }

    public static string Text(byte[] utf8) => Encoding.UTF8.GetString(utf8);
}
