using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Hosting.Kubernetes;
using OrleansShare.Silo.Hosting;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Tests.Unit;

/// <summary><c>Cluster__Kubernetes</c>: Orleans' Kubernetes hosting only when asked for, and only in a cluster.</summary>
public sealed class KubernetesHostingSettingTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public async Task KubernetesHostingIsAddedOnlyWhenTurnedOn(string? setting, bool added)
    {
        var configuration = Settings(("Cluster:Mode", "AdoNet"), ("Cluster:Kubernetes", setting));
        var cluster = OrleansShareHosting.ReadClusterOptions(configuration);
        await using var database = Database.ForPostgreSql("Host=127.0.0.1;Database=never-opened", cluster.ServiceId);
        var builder = Host.CreateApplicationBuilder();

        builder.UseOrleans(silo => silo.ConfigureOrleansShareSilo(configuration, cluster, database));

        Assert.Equal(added, builder.Services.Any(d => d.ServiceType == typeof(IValidateOptions<KubernetesHostingOptions>)));
    }

    [Fact]
    public void EmbeddedModeRefusesIt()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => OrleansShareHosting.ReadClusterOptions(Settings(("Cluster:Kubernetes", "true"))));

        Assert.Contains("Cluster__Kubernetes", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AValueThatIsNotABooleanStopsTheHostNamingIt()
    {
        var failure = Assert.Throws<OptionsValidationException>(() =>
            OrleansShareHosting.ReadClusterOptions(Settings(("Cluster:Mode", "AdoNet"), ("Cluster:Kubernetes", "yes"))));

        Assert.Contains("Cluster__Kubernetes", failure.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Settings(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
}
