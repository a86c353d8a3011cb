namespace Avatar.Worker.Workflows;

public static class Extensions
{
    /// <summary>The session and submission workflows and their timings (section <c>Avatar</c>).</summary>
    public static IServiceCollection AddAvatarWorkflows(this IServiceCollection services)
    {
        services.AddOptions<WorkflowOptions>()
            .BindConfiguration(WorkflowOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Schedule>();
        services.AddScoped<SessionSteps>();
        services.AddScoped<SubmissionSteps>();
        return services;
    }
}
