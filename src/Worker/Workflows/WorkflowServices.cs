using Avatar.Worker.Hosting;
using Avatar.Worker.XCompute;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Workflows;

public static class WorkflowServices
{
    /// <summary>The session and submission workflows and their timings (section <c>Avatar</c>).</summary>
    public static IServiceCollection AddAvatarWorkflows(this IServiceCollection services)
    {
        services.AddSettings<WorkflowOptions>(WorkflowOptions.Section)
            .Validate<IOptions<XComputeOptions>>(
                // One step makes at most two xcompute calls; a lease shorter than that could let two instances work one row.
                (workflow, xcompute) => workflow.Polling.Lease > 2 * xcompute.Value.RequestTimeout,
                "Avatar:Polling:Lease must be more than twice XCompute:RequestTimeout.");

        // The schedule reads only its own parts of the section (Avatar:Polling, Avatar:Retention), checked with it.
        services.AddSingleton<IOptions<Scheduling.PollingOptions>>(p => Options.Create(p.GetRequiredService<IOptions<WorkflowOptions>>().Value.Polling));
        services.AddSingleton<IOptions<Scheduling.RetentionOptions>>(p => Options.Create(p.GetRequiredService<IOptions<WorkflowOptions>>().Value.Retention));

        services.AddScoped<SessionSteps>();
        services.AddScoped<SubmissionSteps>();
        return services;
    }
}
