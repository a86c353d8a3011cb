using System.Text.Json;

namespace Avatar.Simulator;

/// <summary>
/// In front of every <c>/v1</c> request, as xcompute's edge would be: the Bearer key check, injected faults and
/// latency, and the request counters.
/// </summary>
internal sealed class XComputeGate(RequestDelegate next, SimulatorState state, FaultPlan faults, string apiKey)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var settings = state.Settings;
        var request = context.Request;
        state.Stats.Count("requests");

        if (request.Headers.Authorization.ToString() != $"Bearer {apiKey}")
        {
            await Error(context, 401, "invalid_api_key", "authentication_error", "Invalid API key");
            return;
        }

        using var poll = request.Path.StartsWithSegments("/v1/tasks", out var rest) && HttpMethods.IsGet(request.Method)
            ? state.Stats.BeginPoll(rest.Value!.Trim('/'))
            : null;

        var background = settings.FaultPathPrefix is null || request.Path.StartsWithSegments(settings.FaultPathPrefix, StringComparison.OrdinalIgnoreCase);
        var latency = settings.LatencyMs + (background && Random.Shared.NextDouble() < settings.LatencySpikeRate ? settings.LatencySpikeMs : 0);
        if (latency > 0)
        {
            await Task.Delay(latency, context.RequestAborted);
        }

        var rule = faults.Take(request)
            ?? (background && Random.Shared.NextDouble() < settings.ServerErrorRate ? new FaultRule("500") : null)
            ?? (background && Random.Shared.NextDouble() < settings.RateLimitRate ? new FaultRule("429", RetryAfterSeconds: settings.RetryAfterSeconds) : null);

        switch (rule)
        {
            case null:
                await next(context);
                break;
            case { Kind: "delay" }:
                await Task.Delay(rule.DelayMs, context.RequestAborted);
                await next(context);
                break;
            case { Kind: "drop" }:
                // xcompute acts on the request, and the answer never arrives.
                var body = context.Response.Body;
                context.Response.Body = Stream.Null;
                await next(context);
                context.Response.Body = body;
                context.Abort();
                break;
            case { Kind: "429" }:
                context.Response.Headers.RetryAfter = rule.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Error(context, 429, "rate_limit_exceeded", "rate_limit_error", "Too many requests; lower concurrency or retry later");
                break;
            case { Kind: var kind } when int.TryParse(kind, out var status):
                await Error(context, status, ErrorCode(status), ErrorType(status), $"Simulated HTTP {status}");
                break;
            default:
                await next(context);
                break;
        }
    }

    public static Task Error(HttpContext context, int status, string code, string type, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = new { code, type, message } }, JsonSerializerOptions.Default);
    }

    private static string ErrorCode(int status) => status switch
    {
        400 => "invalid_request",
        401 => "invalid_api_key",
        402 => "insufficient_balance",
        404 => "not_found",
        _ => "server_error",
    };

    private static string ErrorType(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "payment_required",
        _ => "server_error",
    };
}
