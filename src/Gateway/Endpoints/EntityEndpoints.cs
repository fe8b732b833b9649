using OrleansShare.Gateway.Auth;
using OrleansShare.Gateway.Contracts;
using OrleansShare.Gateway.Problems;
using OrleansShare.Grains.Common;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Gateway.Endpoints;

/// <summary>Users (KYC) and businesses (KYB) of the calling application, by vendor_data.</summary>
internal static class EntityEndpoints
{
    private const string ActiveStatus = "ACTIVE";

    public static IEndpointRouteBuilder MapEntities(this IEndpointRouteBuilder app)
    {
        Map(app, "/v3/users", SessionKind.User, "Users");
        Map(app, "/v3/businesses", SessionKind.Business, "Businesses");
        return app;
    }

    private static void Map(IEndpointRouteBuilder app, string prefix, SessionKind kind, string name)
    {
        var group = app.MapGroup(prefix).WithTags("Entities").RequireAuthorization(Policies.ReadSessions);
        group.MapGet("/", (HttpContext context, SessionIndexQuery index, CancellationToken ct) => ListAsync(context, index, kind, ct)).WithName($"List{name}");
        group.MapGet("/{vendorData}/", (string vendorData, HttpContext context, SessionIndexQuery index, CancellationToken ct) => GetAsync(vendorData, context, index, kind, ct))
            .WithName($"Get{name}Entity");
    }

    private static async Task<IResult> GetAsync(string vendorData, HttpContext context, SessionIndexQuery index, SessionKind kind, CancellationToken ct)
    {
        return await index.GetEntityAsync(Caller.From(context.User).ApplicationId, kind.ToWire(), vendorData, ct) is { } entity
            ? TypedResults.Ok(new EntityResponse(entity.VendorData, ActiveStatus, entity.SessionIds, entity.SessionCount, entity.CreatedAt))
            : ApiProblems.NotFound($"Your application has no {(kind == SessionKind.Business ? "business" : "user")} with vendor_data '{vendorData}'.");
    }

    private static async Task<IResult> ListAsync(HttpContext context, SessionIndexQuery index, SessionKind kind, CancellationToken cancellationToken)
    {
        var query = new QueryFields(context.Request.Query);
        var (limit, offset) = query.Paging();
        if (query.HasErrors)
        {
            return ApiProblems.Validation(query.Errors);
        }

        var page = await index.ListEntitiesAsync(
            new EntityListFilter(Caller.From(context.User).ApplicationId, kind.ToWire(), limit, offset), cancellationToken);
        var results = page.Results.Select(e => new EntityResponse(e.VendorData, ActiveStatus, e.SessionIds, e.SessionCount, e.CreatedAt)).ToList();
        return TypedResults.Ok(Paging.Page(context.Request, page.Count, limit, offset, results));
    }
}
