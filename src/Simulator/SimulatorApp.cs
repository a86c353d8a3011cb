namespace Avatar.Simulator;

public static class SimulatorApp
{
    /// <summary>
    /// Builds the simulator. Configuration: <c>Simulator:ApiKey</c> (required; the Bearer key it accepts) and the
    /// <see cref="SimulatorSettings"/> fields under <c>Simulator</c>. Listen address: <c>--urls</c> or <c>ASPNETCORE_URLS</c>.
    /// </summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls("http://127.0.0.1:5080");
        }

        var apiKey = builder.Configuration["Simulator:ApiKey"];
        if (string.IsNullOrWhiteSpace(apiKey))
        {
            throw new InvalidOperationException("Simulator:ApiKey is not set; set the Simulator__ApiKey environment variable.");
        }

        var settings = builder.Configuration.GetSection("Simulator").Get<SimulatorSettings>() ?? new SimulatorSettings();
        builder.Services.AddSingleton(new SimulatorState(settings));
        builder.Services.AddSingleton<FaultPlan>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));

        var app = builder.Build();
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments("/v1"),
            branch => branch.UseMiddleware<XComputeGate>(apiKey));
        app.MapXCompute();
        app.MapControl();
        app.MapGet("/healthz", () => Results.Ok("ok"));
        return app;
    }
}
