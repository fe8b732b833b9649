using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OrleansShare.Silo.Hosting;

namespace OrleansShare.Tests.Unit;

public sealed class ClusterOptionsTests
{
    [Fact]
    public void ValidSettingsAreRead()
    {
        var options = OrleansShareHosting.ReadClusterOptions(Settings(("Cluster:Mode", "AdoNet"), ("Cluster:SiloPort", "11112"), ("Cluster:AdvertisedAddress", "10.1.2.3")));

        Assert.Equal((ClusterMode.AdoNet, 11112, "10.1.2.3"), (options.Mode, options.SiloPort, options.AdvertisedAddress));
    }

    [Fact]
    public void AGatewayHostsASiloUnlessToldNotTo()
    {
        var byDefault = OrleansShareHosting.ReadClusterOptions(Settings(("Cluster:Mode", "AdoNet")));
        var split = OrleansShareHosting.ReadClusterOptions(Settings(("Cluster:Mode", "AdoNet"), ("Cluster:HostSilo", "false")));
        var embedded = OrleansShareHosting.ReadClusterOptions(Settings());

        Assert.Equal((true, false, true), (byDefault.HostSilo, split.HostSilo, embedded.HostSilo));
    }

    [Theory]
    [InlineData("Cluster:HostSilo", "yes", "Cluster__HostSilo")]
    [InlineData("Cluster:SiloPort", "eleven", "Cluster__SiloPort")]
    [InlineData("Cluster:SiloPort", "0", "Cluster__SiloPort")]
    [InlineData("Cluster:GatewayPort", "70000", "Cluster__GatewayPort")]
    [InlineData("Cluster:AdvertisedAddress", "silo-0.orleansshare", "Cluster__AdvertisedAddress")]
    [InlineData("Cluster:Mode", "Kubernetes", "Cluster__Mode")]
    public void AnInvalidSettingStopsTheHostNamingIt(string key, string value, string named)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => OrleansShareHosting.ReadClusterOptions(Settings((key, value))));

        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmbeddedGatewayCannotBeToldNotToHostItsSilo()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => OrleansShareHosting.ReadClusterOptions(Settings(("Cluster:HostSilo", "false"))));

        Assert.Contains("Cluster__HostSilo", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Cluster__Mode=AdoNet", failure.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();
}
