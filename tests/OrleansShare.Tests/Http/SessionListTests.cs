using System.Net;
using System.Text.Json.Nodes;
using OrleansShare.Grains.Common;
using OrleansShare.Tests.Fixtures;

namespace OrleansShare.Tests.Http;

/// <summary>API.md, <c>GET /v3/sessions/</c> and the entity lists: filters, pagination, newest first, scoped to the caller.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SessionListTests(GatewayApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FiltersSelectByKindStatusVendorAndWorkflow()
    {
        var (application, ids) = await SeedAsync();

        Assert.Equal(5, await CountAsync(application, "session_kind=all"));
        Assert.Equal(3, await CountAsync(application, "session_kind=user"));
        Assert.Equal(2, await CountAsync(application, "session_kind=business"));
        Assert.Equal(2, await CountAsync(application, "status=Approved"));
        Assert.Equal(1, await CountAsync(application, "status=APPROVED"));
        Assert.Equal(1, await CountAsync(application, "status=Not%20Started"));
        Assert.Equal(0, await CountAsync(application, "status=approved"));
        Assert.Equal(2, await CountAsync(application, "vendor_data=alice"));
        Assert.Equal(2, await CountAsync(application, $"workflow_id={application.KybWorkflowId}"));
        Assert.Equal(1, await CountAsync(application, "session_kind=user&vendor_data=alice&status=Approved"));
        Assert.Equal(0, await CountAsync(application, "session_kind=business&vendor_data=alice"));

        var approved = await PageAsync(application, "session_kind=user&status=Approved");
        Assert.Equal([ids["bob"], ids["alice-1"]], approved["results"]!.AsArray().Select(r => r!.Id("session_id")));
        Assert.All(approved["results"]!.AsArray(), r => Assert.Equal("user", r!.Str("session_kind")));
    }

    [Fact]
    public async Task RowsCarryTheSummaryNewestFirst()
    {
        var (application, ids) = await SeedAsync();

        var page = await PageAsync(application, "session_kind=all");

        var results = page["results"]!.AsArray();
        Assert.Equal([ids["acme-2"], ids["acme-1"], ids["bob"], ids["alice-2"], ids["alice-1"]], results.Select(r => r!.Id("session_id")));
        var row = results.Single(r => r!.Id("session_id") == ids["acme-1"])!;
        Assert.Equal("business", row.Str("session_kind"));
        Assert.Equal("APPROVED", row.Str("status"));
        Assert.Equal("acme", row.Str("vendor_data"));
        Assert.Equal(application.KybWorkflowId, row.Id("workflow_id"));
        Assert.EndsWith($"/session/{ids["acme-1"]}", row.Str("session_url"), StringComparison.Ordinal);
        Assert.True(row["session_number"]!.GetValue<long>() > 0);
        var times = results.Select(r => r!.Timestamp("created_at")).ToList();
        Assert.Equal(times.OrderDescending(), times);
    }

    [Fact]
    public async Task PagesFollowNextAndPreviousLinks()
    {
        var (application, ids) = await SeedAsync();

        var first = await PageAsync(application, "session_kind=all&limit=2");
        var second = await FollowAsync(application, first.Str("next"));
        var third = await FollowAsync(application, second.Str("next"));

        Assert.Equal(5, first["count"]!.GetValue<long>());
        Assert.Null(first["previous"]);
        Assert.Contains("offset=2", first.Str("next"), StringComparison.Ordinal);
        Assert.Contains("session_kind=all", first.Str("next"), StringComparison.Ordinal);
        Assert.Equal(2, second["results"]!.AsArray().Count);
        Assert.NotNull(second["previous"]);
        Assert.Single(third["results"]!.AsArray());
        Assert.Null(third["next"]);
        Assert.Equal(5, third["count"]!.GetValue<long>());
        var all = new[] { first, second, third }.SelectMany(p => p["results"]!.AsArray().Select(r => r!.Id("session_id"))).ToList();
        Assert.Equal(ids.Values.Order(), all.Order());
        var back = await FollowAsync(application, third.Str("previous"));
        Assert.True(JsonNode.DeepEquals(second["results"], back["results"]));
    }

    [Fact]
    public async Task DateFiltersBoundTheCreationTime()
    {
        var (application, _) = await SeedAsync();

        Assert.Equal(5, await CountAsync(application, $"session_kind=all&date_from={DateTimeOffset.UtcNow.AddHours(-1):yyyy-MM-ddTHH:mm:ssZ}"));
        Assert.Equal(0, await CountAsync(application, $"session_kind=all&date_from={DateTimeOffset.UtcNow.AddHours(1):yyyy-MM-ddTHH:mm:ssZ}"));
        Assert.Equal(0, await CountAsync(application, "session_kind=all&date_to=2020-01-01"));
    }

    [Fact]
    public async Task ListsOnlyTheCallersLiveSessions()
    {
        var (application, ids) = await SeedAsync();
        var other = await app.CreateApplicationAsync();
        await app.DeleteSessionAsync(application, ids["bob"]);

        Assert.Equal(0, await CountAsync(other, "session_kind=all"));
        Assert.Equal(4, await CountAsync(application, "session_kind=all"));
        Assert.Equal(0, await CountAsync(application, "vendor_data=bob"));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("offset=-1", "offset")]
    [InlineData("session_kind=robot", "session_kind")]
    [InlineData("workflow_id=abc", "workflow_id")]
    [InlineData("date_from=yesterday", "date_from")]
    public async Task BadQueryIs400(string query, string field)
    {
        var application = await app.CreateApplicationAsync();

        var response = await application.Client.GetAsync($"/v3/sessions/?{query}", Ct);

        await response.AssertValidationProblemAsync(field);
    }

    [Fact]
    public async Task LimitDefaultsTo50AndAllows1000()
    {
        var application = await app.CreateApplicationAsync();

        var page = await PageAsync(application, "limit=1000");

        Assert.Equal(0, page["count"]!.GetValue<long>());
        Assert.Empty(page["results"]!.AsArray());
        Assert.Null(page["next"]);
    }

    [Fact]
    public async Task OffsetBeyondTheEndGivesAnEmptyLastPage()
    {
        var (application, _) = await SeedAsync();

        var page = await PageAsync(application, "session_kind=all&limit=1000&offset=2147483647");

        Assert.Equal(5, page["count"]!.GetValue<long>());
        Assert.Empty(page["results"]!.AsArray());
        Assert.Null(page["next"]);
        Assert.Contains("offset=2147482647", page.Str("previous"), StringComparison.Ordinal);
    }

    /// <summary>Issue 12, item 8: an entity answers with its oldest 1,000 session ids and says how many it has.</summary>
    [Fact]
    public async Task AnEntitysSessionIdsAreBoundedAndItsCountIsWhole()
    {
        const int Sessions = 1001;
        var application = await app.CreateApplicationAsync();
        var created = new Guid[Sessions];
        for (var i = 0; i < Sessions; i++)
        {
            created[i] = await app.CreateSessionAsync(application, application.KycWorkflowId, vendorData: "busy-user");
        }

        var entity = await (await application.Client.GetAsync("/v3/users/busy-user/", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        var listed = await (await application.Client.GetAsync("/v3/users/?limit=1", Ct)).AssertJsonAsync(HttpStatusCode.OK);

        var ids = entity["session_ids"]!.AsArray().Select(id => Guid.Parse(id!.GetValue<string>())).ToList();
        Assert.Equal(created.Take(1000), ids);
        Assert.Equal(Sessions, entity["session_count"]!.GetValue<long>());
        Assert.Equal(1000, listed["results"]![0]!["session_ids"]!.AsArray().Count);
        Assert.Equal(Sessions, listed["results"]![0]!["session_count"]!.GetValue<long>());
    }

    [Fact]
    public async Task EntityListsArePaginatedByKind()
    {
        var (application, ids) = await SeedAsync();

        var users = await (await application.Client.GetAsync("/v3/users/?limit=1", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        var businesses = await (await application.Client.GetAsync("/v3/businesses/", Ct)).AssertJsonAsync(HttpStatusCode.OK);

        Assert.Equal(2, users["count"]!.GetValue<long>());
        Assert.Single(users["results"]!.AsArray());
        Assert.NotNull(users["next"]);
        var next = await FollowAsync(application, users.Str("next"));
        var vendors = new[] { users, next }.Select(p => p["results"]![0]!.Str("vendor_data")).Order(StringComparer.Ordinal);
        Assert.Equal(["alice", "bob"], vendors);
        var acme = Assert.Single(businesses["results"]!.AsArray())!;
        Assert.Equal("acme", acme.Str("vendor_data"));
        Assert.Equal("ACTIVE", acme.Str("status"));
        Assert.Equal([ids["acme-1"], ids["acme-2"]], acme["session_ids"]!.AsArray().Select(id => Guid.Parse(id!.GetValue<string>())));
    }

    /// <summary>alice-1 Approved, alice-2 Not Started, bob Approved (KYC); acme-1 APPROVED, acme-2 NOT_STARTED (KYB); created in that order.</summary>
    private async Task<(TestApplication Application, Dictionary<string, Guid> Ids)> SeedAsync()
    {
        var application = await app.CreateApplicationAsync();
        var ids = new Dictionary<string, Guid>
        {
            ["alice-1"] = await app.CreateVerifiedSessionAsync(application, SessionKind.User, vendorData: "alice"),
            ["alice-2"] = await app.CreateSessionAsync(application, application.KycWorkflowId, "alice"),
            ["bob"] = await app.CreateVerifiedSessionAsync(application, SessionKind.User, vendorData: "bob"),
            ["acme-1"] = await app.CreateVerifiedSessionAsync(application, SessionKind.Business, vendorData: "acme"),
            ["acme-2"] = await app.CreateSessionAsync(application, application.KybWorkflowId, "acme"),
        };
        return (application, ids);
    }

    private static async Task<JsonObject> PageAsync(TestApplication application, string query)
    {
        var page = await (await application.Client.GetAsync($"/v3/sessions/?{query}", Ct)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.IsType<JsonArray>(page["results"]);
        return page;
    }

    private static async Task<long> CountAsync(TestApplication application, string query) =>
        (await PageAsync(application, query))["count"]!.GetValue<long>();

    private static async Task<JsonObject> FollowAsync(TestApplication application, string link)
    {
        var uri = new Uri(link);
        return await (await application.Client.GetAsync(uri.PathAndQuery, Ct)).AssertJsonAsync(HttpStatusCode.OK);
    }
}
