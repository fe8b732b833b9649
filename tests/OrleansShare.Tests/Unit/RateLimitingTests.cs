using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Hosting;
using OrleansShare.Gateway.Options;

namespace OrleansShare.Tests.Unit;

/// <summary>Issue 12, item 7: the limits' settings, the memory of unknown keys, and readiness checked at most once a second.</summary>
public sealed class RateLimitingTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void DefaultsAreApiMds()
    {
        var options = new RateLimitingOptions();

        Assert.True(options.Enabled);
        Assert.Equal(2_000, options.PermitsPerSecond);
        Assert.Equal(4_000, options.Burst);
        Assert.Equal(20, options.UnauthenticatedPerSecond);
    }

    [Fact]
    public void ANonPositiveLimitIsRefusedNamingTheSetting()
    {
        var options = new RateLimitingOptions { Burst = 0 };
        var errors = new List<ValidationResult>();

        var valid = Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);

        Assert.False(valid);
        Assert.Contains(errors, e => e.ErrorMessage!.Contains("RateLimiting__Burst", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("198.51.100.7", "198.51.100.7")]
    [InlineData("::ffff:198.51.100.7", "198.51.100.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    public void ClientsAreIPv4AddressesAndIPv6Networks(string address, string client)
    {
        Assert.Equal(client, RateLimits.ClientAddress(IPAddress.Parse(address)));
    }

    [Fact]
    public void AnUnknownKeyIsRememberedForItsLifetimeOnly()
    {
        var unknown = new UnknownApiKeys(_time);

        unknown.Remember("k1");

        Assert.True(unknown.Contains("k1"));
        Assert.False(unknown.Contains("k2"));
        _time.Advance(UnknownApiKeys.Lifetime - TimeSpan.FromMilliseconds(1));
        Assert.True(unknown.Contains("k1"));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(unknown.Contains("k1"));
    }

    [Fact]
    public void UnknownKeysAreBoundedAndMakeRoomAsTheyExpire()
    {
        var unknown = new UnknownApiKeys(_time);
        for (var i = 0; i < UnknownApiKeys.Capacity; i++)
        {
            unknown.Remember($"k{i}");
        }

        unknown.Remember("one-too-many");

        Assert.Equal(UnknownApiKeys.Capacity, unknown.Count);
        Assert.False(unknown.Contains("one-too-many"));
        _time.Advance(UnknownApiKeys.Lifetime);
        unknown.Remember("after-expiry");
        Assert.True(unknown.Contains("after-expiry"));
        Assert.Equal(1, unknown.Count);
    }

    [Fact]
    public async Task ReadinessIsCheckedAtMostOnceASecond()
    {
        var checks = 0;
        var probe = new ReadinessProbe(_ => Task.FromResult((Interlocked.Increment(ref checks) > 0, 1)), _time);

        var first = await probe.CurrentAsync();
        for (var i = 0; i < 50; i++)
        {
            await probe.CurrentAsync();
        }

        _time.Advance(ReadinessProbe.MaxAge - TimeSpan.FromMilliseconds(1));
        var stillFirst = await probe.CurrentAsync();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var second = await probe.CurrentAsync();

        Assert.Same(first, stillFirst);
        Assert.NotSame(first, second);
        Assert.Equal(2, checks);
        Assert.Equal(2, probe.Checks);
        Assert.Equal(_time.GetUtcNow(), second.CheckedAt);
    }

    [Fact]
    public async Task ASlowCheckIsSharedAndNeverRunTwiceAtOnce()
    {
        var checks = 0;
        var answer = new TaskCompletionSource<(bool, int)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var probe = new ReadinessProbe(_ => { Interlocked.Increment(ref checks); return answer.Task; }, _time);

        var waiting = probe.CurrentAsync();
        _time.Advance(TimeSpan.FromSeconds(3));
        var later = probe.CurrentAsync();
        answer.SetResult((false, 0));

        Assert.Same(waiting, later);
        Assert.False((await later).DatabaseUp);
        Assert.Equal(1, checks);
    }
}
