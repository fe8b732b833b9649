using OrleansShare.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddOrleansShareGateway();

var app = builder.Build();
app.UseOrleansShareGateway();
app.Run();

/// <summary>The gateway host; public so that tests can start it with WebApplicationFactory.</summary>
public partial class Program;
