using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Refit;

namespace Avatar.Worker.XCompute;

public static class Extensions
{
    /// <summary>The Refit client for xcompute (section <c>XCompute</c>) and <see cref="XComputeClient"/> over it.</summary>
    public static IServiceCollection AddXCompute(this IServiceCollection services)
    {
        services.AddOptions<XComputeOptions>()
            .BindConfiguration(XComputeOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var settings = new RefitSettings(new SystemTextJsonContentSerializer(new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        }));

        // No retry handler on purpose: every retry is a row in the database schedule, so it survives a restart,
        // honours Retry-After without holding a consumer, and never repeats a submit whose outcome is unknown.
        services.AddRefitGeneratedClient<IXComputeApi>(settings)
            .ConfigureHttpClient((provider, client) =>
            {
                var options = provider.GetRequiredService<IOptions<XComputeOptions>>().Value;
                client.BaseAddress = options.BaseUrl;
                client.Timeout = options.RequestTimeout;
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
            });

        services.AddScoped<XComputeClient>();
        return services;
    }
}
