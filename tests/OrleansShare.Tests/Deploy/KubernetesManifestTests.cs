using k8s.Models;
using OrleansShare.Silo.Hosting;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Deploy;

/// <summary>
/// deploy/kubernetes, rendered per overlay with <c>kubectl kustomize</c> and read with the KubernetesClient models: the
/// topology each overlay promises (deploy/README.md), Orleans' Kubernetes hosting with its RBAC, probes the gateway
/// answers, resources, locked-down containers, a grace period longer than the hand-off, a NetworkPolicy that admits the
/// Orleans ports only from the deployment's own pods, and every secret from a Secret.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KubernetesManifestTests(GatewayApp gateway)
{
    public static readonly TheoryData<string> Overlays = ["dev", "prod", "split"];

    private const string GatewayDeployment = "orleansshare-gateway";

    [Fact]
    public async Task DevRunsTwoCohostedPodsOnAPostgreSqlInTheNamespace()
    {
        var dev = await RenderedManifests.RenderAsync("dev");

        var pods = dev.Named<V1Deployment>(GatewayDeployment);
        Assert.Equal(2, pods.Spec.Replicas);
        Assert.Equal("true", Env(Container(pods.Spec.Template), "Cluster__HostSilo").Value);

        var postgres = Assert.Single(dev.OfKind<V1StatefulSet>());
        var database = Assert.Single(postgres.Spec.Template.Spec.Containers);
        Assert.StartsWith("postgres:", database.Image, StringComparison.Ordinal);
        Assert.NotNull(Env(database, "POSTGRES_PASSWORD").ValueFrom?.SecretKeyRef);
        Assert.Contains(dev.OfKind<V1Service>(), s => s.Spec.Selector.All(l => postgres.Spec.Template.Metadata.Labels[l.Key] == l.Value));
        Assert.Empty(dev.OfKind<V2HorizontalPodAutoscaler>());
    }

    [Fact]
    public async Task ProdRunsThreeOrMoreCohostedPodsWithAnAutoscalerAndADisruptionBudgetOnAnExternalDatabase()
    {
        var prod = await RenderedManifests.RenderAsync("prod");

        var pods = prod.Named<V1Deployment>(GatewayDeployment);
        Assert.True(pods.Spec.Replicas >= 3, $"prod runs {pods.Spec.Replicas} pods");
        Assert.Equal("true", Env(Container(pods.Spec.Template), "Cluster__HostSilo").Value);
        Assert.Empty(prod.OfKind<V1StatefulSet>());
        Assert.Equal("connection-string", Env(Container(pods.Spec.Template), "ConnectionStrings__OrleansShare").ValueFrom.SecretKeyRef.Key);

        var hpa = Assert.Single(prod.OfKind<V2HorizontalPodAutoscaler>());
        Assert.Equal(("Deployment", GatewayDeployment), (hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.True(hpa.Spec.MinReplicas >= 3 && hpa.Spec.MaxReplicas > hpa.Spec.MinReplicas);

        var budget = Assert.Single(prod.OfKind<V1PodDisruptionBudget>());
        Assert.True(Selects(budget.Spec.Selector, pods.Spec.Template.Metadata.Labels), "the PodDisruptionBudget selects the co-hosted pods");
        Assert.Equal("1", budget.Spec.MaxUnavailable?.Value?.ToString());
    }

    [Fact]
    public async Task SplitAddsDedicatedSilosAndMakesTheGatewaysPureClients()
    {
        var split = await RenderedManifests.RenderAsync("split");

        var gateways = Container(split.Named<V1Deployment>(GatewayDeployment).Spec.Template);
        Assert.Equal("false", Env(gateways, "Cluster__HostSilo").Value);
        var silos = split.Named<V1Deployment>("orleansshare-silo");
        Assert.Equal("/app/silo/OrleansShare.Silo.dll", Assert.Single(Container(silos.Spec.Template).Args));
        Assert.Equal("true", Env(Container(silos.Spec.Template), "Cluster__Kubernetes").Value);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EverySiloPodUsesKubernetesHostingWithTheRbacItNeeds(string overlay)
    {
        var manifests = await RenderedManifests.RenderAsync(overlay);

        var silos = manifests.PodTemplates().Where(p => Container(p.Template).Env?.Any(e => e.Name == "Cluster__Kubernetes" && e.Value == "true") == true).ToList();
        Assert.NotEmpty(silos);
        foreach (var (workload, template) in silos)
        {
            var container = Container(template);
            Assert.Equal("metadata.name", Env(container, "POD_NAME").ValueFrom.FieldRef.FieldPath);
            Assert.Equal("metadata.namespace", Env(container, "POD_NAMESPACE").ValueFrom.FieldRef.FieldPath);
            Assert.Equal("status.podIP", Env(container, "POD_IP").ValueFrom.FieldRef.FieldPath);
            Assert.Equal(Env(container, "Cluster__ServiceId").Value, template.Metadata.Labels["orleans/serviceId"]);
            Assert.Equal(Env(container, "Cluster__ClusterId").Value, template.Metadata.Labels["orleans/clusterId"]);
            Assert.NotEqual(false, template.Spec.AutomountServiceAccountToken);

            var account = template.Spec.ServiceAccountName;
            Assert.False(string.IsNullOrEmpty(account), $"{workload} runs under its own service account");
            Assert.Contains(manifests.OfKind<V1ServiceAccount>(), a => a.Metadata.Name == account);
            var verbs = manifests.OfKind<V1RoleBinding>()
                .Where(b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == account) && b.RoleRef.Kind == "Role")
                .SelectMany(b => manifests.OfKind<V1Role>().Where(r => r.Metadata.Name == b.RoleRef.Name))
                .SelectMany(r => r.Rules)
                .Where(rule => rule.ApiGroups.Contains("") && rule.Resources.Contains("pods"))
                .SelectMany(rule => rule.Verbs)
                .ToHashSet();
            Assert.Superset(new HashSet<string> { "get", "watch", "list", "delete", "patch" }, verbs);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task GatewayProbesArePathsTheGatewayAnswers(string overlay)
    {
        var manifests = await RenderedManifests.RenderAsync(overlay);
        var container = Container(manifests.Named<V1Deployment>(GatewayDeployment).Spec.Template);

        var paths = new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe }
            .Select(p => p?.HttpGet?.Path)
            .ToList();
        Assert.Equal(["/health/startup", "/health/ready", "/health/live"], paths);
        Assert.All(new[] { container.StartupProbe!, container.ReadinessProbe!, container.LivenessProbe! }, p => Assert.Equal("http", p.HttpGet.Port.Value));
        Assert.Contains(container.Ports, p => p.Name == "http" && p.ContainerPort == 8080);
        foreach (var path in paths)
        {
            var response = await gateway.Anonymous.GetAsync(path, TestContext.Current.CancellationToken);
            Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryContainerHasResourcesAndRunsAsNonRootOnAReadOnlyRootFilesystem(string overlay)
    {
        var manifests = await RenderedManifests.RenderAsync(overlay);

        foreach (var (workload, template) in manifests.PodTemplates())
        {
            foreach (var container in template.Spec.Containers.Concat(template.Spec.InitContainers ?? []))
            {
                var name = $"{overlay}: {workload}/{container.Name}";
                Assert.True(container.Resources?.Requests?.ContainsKey("cpu") == true, $"{name} requests CPU");
                Assert.True(container.Resources.Requests.ContainsKey("memory"), $"{name} requests memory");
                Assert.True(container.Resources.Limits?.ContainsKey("memory") == true, $"{name} has a memory limit");
                Assert.True(container.SecurityContext?.ReadOnlyRootFilesystem == true, $"{name} has a read-only root filesystem");
                Assert.True(container.SecurityContext.AllowPrivilegeEscalation == false, $"{name} cannot escalate privileges");
                Assert.Contains("ALL", container.SecurityContext.Capabilities?.Drop ?? []);
                var nonRoot = container.SecurityContext.RunAsNonRoot ?? template.Spec.SecurityContext?.RunAsNonRoot;
                var user = container.SecurityContext.RunAsUser ?? template.Spec.SecurityContext?.RunAsUser;
                Assert.True(nonRoot == true && user is > 0, $"{name} runs as a non-root user");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task GracePeriodOutlastsTheHandOff(string overlay)
    {
        var manifests = await RenderedManifests.RenderAsync(overlay);

        foreach (var (workload, template) in manifests.PodTemplates().Where(p => p.Template.Metadata.Labels["app.kubernetes.io/name"] == "orleansshare"))
        {
            var preStop = Container(template).Lifecycle?.PreStop?.Exec?.Command is ["sleep", var seconds] ? int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture) : 0;
            var needed = preStop + OrleansShareHosting.ShutdownTimeout.TotalSeconds + 10;
            Assert.True(template.Spec.TerminationGracePeriodSeconds >= needed,
                $"{workload}: grace period {template.Spec.TerminationGracePeriodSeconds} s, needs preStop {preStop} s + shutdown {OrleansShareHosting.ShutdownTimeout.TotalSeconds} s + 10 s");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task OrleansPortsAdmitOnlyTheDeploymentsOwnPods(string overlay)
    {
        var manifests = await RenderedManifests.RenderAsync(overlay);
        var defaults = new ClusterModeOptions();

        foreach (var (workload, template) in manifests.PodTemplates().Where(p => p.Template.Metadata.Labels["app.kubernetes.io/name"] == "orleansshare"))
        {
            var container = Container(template);
            var siloPort = int.Parse(container.Env.FirstOrDefault(e => e.Name == "Cluster__SiloPort")?.Value ?? defaults.SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
            var gatewayPort = int.Parse(container.Env.FirstOrDefault(e => e.Name == "Cluster__GatewayPort")?.Value ?? defaults.GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
            var labels = template.Metadata.Labels;
            var hostsSilo = Env(container, "Cluster__HostSilo", required: false)?.Value != "false";
            if (hostsSilo)
            {
                Assert.Contains(container.Ports, p => p.ContainerPort == siloPort);
                Assert.Contains(container.Ports, p => p.ContainerPort == gatewayPort);
            }

            var policies = manifests.OfKind<V1NetworkPolicy>().Where(n => Selects(n.Spec.PodSelector, labels)).ToList();
            Assert.True(policies.Count > 0, $"{overlay}: a NetworkPolicy selects {workload}'s pods");
            Assert.All(policies, p => Assert.Contains("Ingress", p.Spec.PolicyTypes));
            foreach (var port in new[] { siloPort, gatewayPort })
            {
                var admitting = policies.SelectMany(p => p.Spec.Ingress ?? []).Where(rule => rule.Ports is null || rule.Ports.Any(p => p.Port?.Value == port.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
                Assert.NotEmpty(admitting);
                foreach (var rule in admitting)
                {
                    Assert.NotNull(rule.FromProperty);
                    Assert.NotEmpty(rule.FromProperty);
                    Assert.All(rule.FromProperty, peer =>
                    {
                        Assert.Null(peer.IpBlock);
                        Assert.Null(peer.NamespaceSelector);
                        Assert.NotNull(peer.PodSelector);
                        Assert.Equal("orleansshare", peer.PodSelector.MatchLabels["app.kubernetes.io/name"]);
                    });
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EverySecretComesFromASecret(string overlay)
    {
        var manifests = await RenderedManifests.RenderAsync(overlay);

        Assert.Empty(manifests.OfKind<V1Secret>());
        Assert.Empty(manifests.OfKind<V1ConfigMap>());
        string[] secretNames = ["ConnectionStrings__", "ApiKey", "SigningKeys", "Password", "EncryptionKeys", "Secret"];
        foreach (var (workload, template) in manifests.PodTemplates())
        {
            foreach (var variable in template.Spec.Containers.SelectMany(c => c.Env ?? []))
            {
                if (secretNames.Any(s => variable.Name.Contains(s, StringComparison.OrdinalIgnoreCase)))
                {
                    Assert.True(variable.Value is null && variable.ValueFrom?.SecretKeyRef is not null, $"{overlay}: {workload} takes {variable.Name} from a Secret");
                }

                Assert.DoesNotContain("password=", variable.Value ?? "", StringComparison.OrdinalIgnoreCase);
            }

            var tls = template.Spec.Containers.SelectMany(c => c.Env ?? []).Where(e => e.Name.StartsWith("Cluster__Tls__", StringComparison.Ordinal)).ToList();
            if (template.Metadata.Labels["app.kubernetes.io/name"] == "orleansshare")
            {
                // The TLS certificate and key are files of a mounted Secret volume.
                Assert.NotEmpty(tls);
                var mounts = Container(template).VolumeMounts;
                foreach (var path in tls.Select(e => e.Value))
                {
                    var mount = Assert.Single(mounts, m => path.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
                    Assert.NotNull(Assert.Single(template.Spec.Volumes, v => v.Name == mount.Name).Secret);
                }
            }
        }
    }

    private static V1Container Container(V1PodTemplateSpec template) => template.Spec.Containers[0];

    private static V1EnvVar Env(V1Container container, string name) => Env(container, name, required: true)!;

    private static V1EnvVar? Env(V1Container container, string name, bool required)
    {
        var variable = container.Env?.LastOrDefault(e => e.Name == name);
        Assert.True(variable is not null || !required, $"{container.Name} sets {name}");
        return variable;
    }

    private static bool Selects(V1LabelSelector selector, IDictionary<string, string> labels) =>
        selector.MatchExpressions is null or { Count: 0 }
        && (selector.MatchLabels ?? new Dictionary<string, string>()).All(l => labels.TryGetValue(l.Key, out var value) && value == l.Value);
}
