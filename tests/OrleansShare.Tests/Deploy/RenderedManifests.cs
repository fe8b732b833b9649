using System.Diagnostics;
using k8s;
using k8s.Models;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Deploy;

/// <summary>
/// An overlay of deploy/kubernetes rendered by <c>kubectl kustomize</c> (as <c>kubectl apply -k</c> would send it) and
/// loaded with the KubernetesClient library's typed models. <c>./test.sh</c> installs kubectl where it is missing
/// (Debian's kubernetes-client); <c>KUBECTL</c> names another binary.
/// </summary>
public sealed class RenderedManifests
{
    private RenderedManifests(string overlay, IReadOnlyList<object> objects)
    {
        Overlay = overlay;
        Objects = objects;
    }

    public string Overlay { get; }

    public IReadOnlyList<object> Objects { get; }

    public static string KubernetesDirectory => Path.Combine(ProcessCluster.RepositoryRoot, "deploy", "kubernetes");

    public IEnumerable<T> OfKind<T>() => Objects.OfType<T>();

    public T Named<T>(string name)
        where T : IKubernetesObject<V1ObjectMeta> =>
        Assert.Single(Objects.OfType<T>(), o => o.Metadata.Name == name);

    /// <summary>Every pod template: of Deployments and StatefulSets, with the name of its workload.</summary>
    public IEnumerable<(string Workload, V1PodTemplateSpec Template)> PodTemplates() =>
        Objects.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template))
            .Concat(Objects.OfType<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Template)));

    public static async Task<RenderedManifests> RenderAsync(string overlay)
    {
        var directory = Path.Combine(KubernetesDirectory, "overlays", overlay);
        var kubectl = Environment.GetEnvironmentVariable("KUBECTL") is { Length: > 0 } named ? named : "kubectl";
        var start = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(directory);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{kubectl} did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"kubectl is needed to render deploy/kubernetes ({ex.Message}). ./test.sh installs it as root (apt-get install kubernetes-client); "
                + "or set KUBECTL to a kubectl binary.", ex);
        }

        using (process)
        {
            var ct = TestContext.Current.CancellationToken;
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var errors = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);
            Assert.True(process.ExitCode == 0, $"kubectl kustomize {directory} failed ({process.ExitCode}): {await errors}");
            var objects = KubernetesYaml.LoadAllFromString(await output);
            Assert.NotEmpty(objects);
            return new RenderedManifests(overlay, objects);
        }
    }
}
