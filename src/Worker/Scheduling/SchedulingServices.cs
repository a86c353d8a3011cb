namespace Avatar.Worker.Scheduling;

public static class SchedulingServices
{
    /// <summary>The durable schedule: its clock and rules (per message), the estimates' track record, the dispatcher, retention, and the backlog gauges.</summary>
    public static IServiceCollection AddScheduling(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<DatabaseClock>();
        services.AddScoped<Schedule>();
        services.AddSingleton<DispatchWakeUps>();
        services.AddSingleton<EstimateRecord>();
        services.AddHostedService<PollDispatcher>();
        services.AddHostedService<RetentionSweeper>();
        services.AddHostedService<BacklogGauges>();
        return services;
    }
}
