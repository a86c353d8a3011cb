using Avatar.Worker.Hosting;
using System.Net.Http.Headers;
using System.Text.Json;
using Avatar.Worker.Security;
using Microsoft.Extensions.Options;
using Refit;

namespace Avatar.Worker.XCompute;

public static class XComputeServices
{
    /// <summary>xcompute's JSON is snake_case.</summary>
    internal static readonly RefitSettings RefitSettings = new(new SystemTextJsonContentSerializer(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    }));

    /// <summary>The Refit client for xcompute (section <c>XCompute</c>) and <see cref="XComputeClient"/> over it.</summary>
    public static IServiceCollection AddXCompute(this IServiceCollection services)
    {
        services.AddSettings<XComputeOptions>(XComputeOptions.Section)
            .PostConfigure(o => o.ApiKey = SecretFile.Read(o.ApiKeyFile, o.ApiKey, "XCompute:ApiKeyFile"))
            .Validate(
                o => o.BaseUrl.Scheme == Uri.UriSchemeHttps || o.AllowInsecureHttp,
                "XCompute:BaseUrl must be an https URL; the API key and byted tokens would cross the network in clear (XCompute:AllowInsecureHttp=true allows http for the simulator and tests)");

        // No retry handler on purpose: every retry is a row in the database schedule, so it survives a restart,
        // honours Retry-After without holding a consumer, and never repeats a submit whose outcome is unknown.
        // The request budget is the one thing every call shares: a rate and, after a 429, a pause for the whole instance.
        // XComputeClient applies it before the call, outside the HttpClient, so waiting for a turn never eats the timeout.
        // No HttpClient logging handlers: they open a logging scope and redact the URI on every call even when nothing is
        // logged (the worker logs each failure itself; OpenTelemetry counts and traces every call).
        services.AddSingleton<RequestBudget>();
        services.AddRefitGeneratedClient<IXComputeApi>(RefitSettings)
            .ConfigureHttpClient((provider, client) => Configure(client, provider.GetRequiredService<IOptions<XComputeOptions>>().Value))
            .ConfigurePrimaryHttpMessageHandler(CreatePrimaryHandler)
            .RemoveAllLoggers();

        services.AddScoped<XComputeClient>();
        return services;
    }

    /// <summary>
    /// Never follows a redirect: a 307 or 308 would send the request again, with the API key and any byted token, to
    /// whatever host the answer names. A redirect is a failure like any other answer the worker does not expect.
    /// </summary>
    internal static HttpMessageHandler CreatePrimaryHandler() => new SocketsHttpHandler { AllowAutoRedirect = false };

    internal static HttpClient Configure(HttpClient client, XComputeOptions options)
    {
        client.BaseAddress = options.BaseUrl;
        client.Timeout = options.RequestTimeout;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        return client;
    }
}
