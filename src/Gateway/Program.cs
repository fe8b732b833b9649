using Microsoft.Extensions.Options;
using OrleansShare.Gateway.Hosting;

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddOrleansShareGateway();

    var app = builder.Build();
    app.UseOrleansShareGateway();
    app.Run();
    return 0;
}
catch (OptionsValidationException invalid)
{
    // A setting to fix: name it, without a stack trace, and exit non-zero.
    Console.Error.WriteLine($"OrleansShare gateway did not start: {string.Join(Environment.NewLine, invalid.Failures)}");
    return 2;
}

/// <summary>The gateway host; public so that tests can start it with WebApplicationFactory.</summary>
public partial class Program;
