using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Avatar.Worker.Hosting;

namespace Avatar.Worker.Health;

public static class HealthServices
{
    public const string Ready = "ready";

    /// <summary>
    /// Readiness: MassTransit's own bus check (registered by AddMassTransit, tagged ready in Messaging), PostgreSQL
    /// reachable, and every background loop (the poll dispatcher above all) having completed a pass recently
    /// (<see cref="WorkerLoops"/>). Liveness checks nothing but the process.
    /// </summary>
    public static IServiceCollection AddWorkerHealthChecks(this IServiceCollection services)
    {
        services.AddSingleton<WorkerLoops>();
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("postgresql", HealthStatus.Unhealthy, [Ready], TimeSpan.FromSeconds(5))
            .AddCheck<WorkerLoops>("worker-loops", HealthStatus.Unhealthy, [Ready]);
        return services;
    }

    /// <summary><c>/health/live</c>, <c>/health/ready</c> (a JSON body naming each check) and Prometheus's <c>/metrics</c>.</summary>
    public static WebApplication MapWorkerEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(Ready),
            ResponseWriter = WriteAsync,

            // MassTransit reports Degraded while an endpoint reconnects: it is not consuming, so not ready.
            ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable },
        });
        app.MapPrometheusScrapingEndpoint();
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}
