using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Refit;

namespace Avatar.Worker.XCompute;

public static class Extensions
{
    /// <summary>xcompute's JSON is snake_case.</summary>
    internal static readonly RefitSettings RefitSettings = new(new SystemTextJsonContentSerializer(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    }));

    /// <summary>The Refit client for xcompute (section <c>XCompute</c>) and <see cref="XComputeClient"/> over it.</summary>
    public static IServiceCollection AddXCompute(this IServiceCollection services)
    {
        services.AddOptions<XComputeOptions>()
            .BindConfiguration(XComputeOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // No retry handler on purpose: every retry is a row in the database schedule, so it survives a restart,
        // honours Retry-After without holding a consumer, and never repeats a submit whose outcome is unknown.
        // The request budget is the one thing every call shares: a rate and, after a 429, a pause for the whole instance.
        services.AddSingleton<RequestBudget>();
        services.AddTransient<RequestBudgetHandler>();
        services.AddRefitGeneratedClient<IXComputeApi>(RefitSettings)
            .ConfigureHttpClient((provider, client) => Configure(client, provider.GetRequiredService<IOptions<XComputeOptions>>().Value))
            .AddHttpMessageHandler<RequestBudgetHandler>();

        services.AddScoped<XComputeClient>();
        return services;
    }

    internal static HttpClient Configure(HttpClient client, XComputeOptions options)
    {
        client.BaseAddress = options.BaseUrl;
        client.Timeout = options.RequestTimeout;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        return client;
    }
}
