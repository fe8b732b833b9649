namespace OrleansShare.Gateway.Contracts;

/// <summary>Route constraint <c>{id:uuid}</c>: a malformed id in a path matches no route, so it is a 404.</summary>
internal sealed class UuidRouteConstraint : IRouteConstraint
{
    public const string Name = "uuid";

    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        values.TryGetValue(routeKey, out var value) && Ids.TryParse(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), out _);
}
