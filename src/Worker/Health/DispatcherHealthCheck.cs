using Avatar.Worker.Scheduling;
using Avatar.Worker.Workflows;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Health;

/// <summary>The poll dispatcher completed a pass (claimed and sent whatever was due) within the last ten intervals, or 30 s.</summary>
internal sealed class DispatcherHealthCheck(DispatcherHeartbeat heartbeat, IOptions<WorkflowOptions> options, TimeProvider clock) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var allowed = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, options.Value.Polling.DispatchInterval.Ticks * 10));
        return Task.FromResult(heartbeat.Last is { } last && clock.GetUtcNow() - last <= allowed
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy(heartbeat.Last is { } at ? $"the poll dispatcher last completed a pass at {at:O}" : "the poll dispatcher has not completed a pass yet"));
    }
}
