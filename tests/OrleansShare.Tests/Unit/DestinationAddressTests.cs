using System.Net;
using OrleansShare.Silo.Webhooks;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Unit;

/// <summary>API.md, Webhooks, no SSRF: which addresses a destination may reach, when a url is set and when a delivery connects.</summary>
public sealed class DestinationAddressTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("fc00::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:127.0.0.1")]
    public void LoopbackLinkLocalAndPrivateAddressesAreNotPublic(string address)
    {
        Assert.False(DestinationAddresses.IsPublic(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("93.184.216.34")]
    [InlineData("2606:4700::1111")]
    public void PublicAddressesArePublic(string address)
    {
        Assert.True(DestinationAddresses.IsPublic(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("https://10.20.30.40/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    public async Task APrivateDestinationIsRefusedUnlessPrivateNetworksAreAllowed(string url)
    {
        Assert.NotNull(await DestinationAddresses.RefusalAsync(url, allowPrivateNetworks: false, TestContext.Current.CancellationToken));
        Assert.Null(await DestinationAddresses.RefusalAsync(url, allowPrivateNetworks: true, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("ftp://example.com/hook")]
    [InlineData("example.com/hook")]
    [InlineData("file:///etc/passwd")]
    public async Task OnlyAbsoluteHttpUrlsAreDestinations(string url)
    {
        Assert.NotNull(await DestinationAddresses.RefusalAsync(url, allowPrivateNetworks: true, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void PrivateNetworksAreAllowedInEmbeddedModeAndRefusedInClusterModeUnlessSet()
    {
        Assert.True(new WebhookOptions().PrivateNetworksAllowed(embedded: true));
        Assert.False(new WebhookOptions().PrivateNetworksAllowed(embedded: false));
        Assert.True(new WebhookOptions { AllowPrivateNetworks = true }.PrivateNetworksAllowed(embedded: false));
        Assert.False(new WebhookOptions { AllowPrivateNetworks = false }.PrivateNetworksAllowed(embedded: true));
    }

    /// <summary>The delivery-time check: the connect step itself refuses a private address, whatever the url said when it was set.</summary>
    [Fact]
    public async Task TheDeliveryConnectionRefusesAPrivateAddressAndAllowsItWithTheSetting()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        using var refusing = Client(new WebhookNetworkPolicy(AllowPrivateNetworks: false));
        using var allowing = Client(new WebhookNetworkPolicy(AllowPrivateNetworks: true));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() =>
            refusing.PostAsync(receiver.Url, new StringContent("{}"), TestContext.Current.CancellationToken));
        var allowed = await allowing.PostAsync(receiver.Url, new StringContent("{}"), TestContext.Current.CancellationToken);

        Assert.Contains("refused", refused.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Single(receiver.Received);
    }

    private static HttpClient Client(WebhookNetworkPolicy policy) =>
        new(new SocketsHttpHandler { ConnectCallback = new GuardedConnector(policy).ConnectAsync, UseProxy = false });
}
