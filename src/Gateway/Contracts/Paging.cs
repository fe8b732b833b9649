using Microsoft.AspNetCore.WebUtilities;

namespace OrleansShare.Gateway.Contracts;

/// <summary>Builds <c>{count, next, previous, results}</c> pages with links that keep the other query parameters.</summary>
internal static class Paging
{
    public static PageResponse<T> Page<T>(HttpRequest request, long count, int limit, int offset, IReadOnlyList<T> results)
    {
        // Links share session_url's base (Gateway__PublicBaseUrl when set). Taken from the request's services so
        // that every list endpoint gets it without passing it along.
        var path = request.HttpContext.RequestServices.GetRequiredService<PublicUrls>().BaseFor(request) + request.Path;

        string Link(long newOffset)
        {
            var query = request.Query.ToDictionary(q => q.Key, q => (string?)q.Value.ToString(), StringComparer.Ordinal);
            query["limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            query["offset"] = newOffset.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return QueryHelpers.AddQueryString(path, query);
        }

        // long: offset + limit can pass int.MaxValue.
        var next = (long)offset + limit < count ? Link((long)offset + limit) : null;
        var previous = offset > 0 ? Link(Math.Max(0, offset - limit)) : null;
        return new PageResponse<T>(count, next, previous, results);
    }

    /// <summary>The page's links as an RFC 8288 <c>Link</c> header, for lists whose answer is a bare array.</summary>
    public static void AddLinkHeader<T>(HttpResponse response, PageResponse<T> page)
    {
        var links = new List<string>(2);
        if (page.Next is { } next)
        {
            links.Add($"<{next}>; rel=\"next\"");
        }

        if (page.Previous is { } previous)
        {
            links.Add($"<{previous}>; rel=\"prev\"");
        }

        if (links.Count > 0)
        {
            response.Headers.Link = string.Join(", ", links);
        }
    }
}
