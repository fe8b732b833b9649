using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>Issue 15, item 3: in embedded mode the silo and Orleans gateway ports listen on loopback only.</summary>
[Collection(GatewayCollection.Name)]
public sealed class EmbeddedPortsTests(GatewayApp app)
{
    [Fact]
    public void OrleansPortsListenOnLoopbackOnly()
    {
        var endpoints = app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;

        Assert.Equal(IPAddress.Loopback, endpoints.SiloListeningEndpoint?.Address);
        Assert.Equal(IPAddress.Loopback, endpoints.GatewayListeningEndpoint?.Address);
        Assert.Equal(IPAddress.Loopback, endpoints.AdvertisedIPAddress);
    }
}
