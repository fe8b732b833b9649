using System.Data.Common;

namespace OrleansShare.Silo.Hosting;

/// <summary>
/// A database error inside a grain call (connection refused, pool exhausted, failover) reaches the caller as an
/// <see cref="OrleansException"/>, which every host can deserialize, instead of a provider exception that the
/// caller may not be able to; the gateway answers it with 503 and Retry-After. Nothing was acknowledged.
/// </summary>
internal sealed class StorageFailureFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (DbException ex)
        {
            throw new OrleansException($"The database did not complete {context.InterfaceName}.{context.MethodName}: {ex.Message}");
        }
    }
}
