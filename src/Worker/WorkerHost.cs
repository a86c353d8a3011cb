using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Avatar.Persistence;
using Avatar.Worker.Callback;
using Avatar.Worker.Messaging;
using Avatar.Worker.Health;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Security;
using Avatar.Worker.Telemetry;
using Avatar.Worker.Workflows;
using Avatar.Worker.XCompute;

namespace Avatar.Worker;

public static class WorkerHost
{
    /// <summary>The worker's composition, one call per layer; the tests host it the same way.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // appsettings.json sits beside the assembly, wherever the process is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

        // Health and metrics listen on 8080 unless ASPNETCORE_URLS (or Urls) says otherwise; the H5 callback receiver,
        // when it is on, on a public port of its own.
        var managementUrls = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } urls ? urls : "http://*:8080";
        PublicPort.Listen(builder, managementUrls);

        builder.Services.AddPersistence();
        builder.Services.AddXCompute();
        builder.Services.AddTokenEncryption();
        builder.Services.AddConnectionSecurity();
        builder.Services.AddAvatarCallback();
        builder.Services.AddAvatarWorkflows();
        builder.Services.AddScheduling();
        builder.Services.AddMessaging();
        builder.Services.AddWorkerHealthChecks();
        builder.AddTelemetry();
        return builder;
    }

    /// <summary>Builds the host and maps its endpoints (health, metrics, and the H5 callback receiver when it is on).</summary>
    public static WebApplication Build(WebApplicationBuilder builder) => builder.Build().SeparatePorts().MapWorkerEndpoints().MapAvatarCallback();
}
