using Avatar.Persistence;
using Avatar.Worker.Messaging;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Workflows;
using Avatar.Worker.XCompute;

namespace Avatar.Worker;

public static class WorkerHost
{
    /// <summary>The worker's composition, one call per layer; the tests host it the same way.</summary>
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        // appsettings.json sits beside the assembly, wherever the process is started from.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddPersistence();
        builder.Services.AddXCompute();
        builder.Services.AddAvatarWorkflows();
        builder.Services.AddScheduling();
        builder.Services.AddMessaging();
        return builder;
    }
}
