using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Avatar.Worker.Health;

/// <summary>PostgreSQL answers a trivial query (within the check's timeout, 5 s).</summary>
internal sealed class DatabaseHealthCheck(AvatarDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await db.NowAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (OperationCanceledException)
        {
            // The check's own timeout: the usual way a stopped or unreachable server shows.
            return HealthCheckResult.Unhealthy("PostgreSQL did not answer in time");
        }
        catch (Exception exception)
        {
            // The readiness endpoint answers anyone who reaches the port: it names the failing check and the kind of
            // failure, never the server's own text (which may name hosts, users or databases).
            return HealthCheckResult.Unhealthy($"PostgreSQL did not answer ({exception.GetBaseException().GetType().Name})");
        }
    }
}
