namespace OrleansShare.Gateway.Problems;

/// <summary>Every error answer, as <c>application/problem+json</c> with a detail a developer can act on.</summary>
internal static class ApiProblems
{
    public static IResult BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, "Bad Request", detail);

    public static IResult Unauthorized(string detail) => Problem(StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    public static IResult Forbidden(string detail, IEnumerable<KeyValuePair<string, object?>>? extensions = null) =>
        Problem(StatusCodes.Status403Forbidden, "Forbidden", detail, extensions);

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not Found", detail);

    public static IResult TooManyRequests(string detail) => Problem(StatusCodes.Status429TooManyRequests, "Too Many Requests", detail);

    public static IResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, "Conflict", detail);

    public static IResult SessionTooLarge(string detail) => Problem(StatusCodes.Status413PayloadTooLarge, "Payload Too Large", detail);

    public static IResult PayloadTooLarge(long limit) => Problem(StatusCodes.Status413PayloadTooLarge, "Payload Too Large",
        $"The request body is larger than this endpoint accepts ({limit / (1024 * 1024)} MiB).");

    /// <summary>A 400 naming each invalid field, with snake_case keys as the request has them.</summary>
    public static IResult Validation(IDictionary<string, string[]> errors) => TypedResults.ValidationProblem(
        errors,
        detail: "The request body has invalid fields: " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")),
        title: "Invalid request body");

    public static IResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Problem(
        int status, string title, string detail, IEnumerable<KeyValuePair<string, object?>>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
}
