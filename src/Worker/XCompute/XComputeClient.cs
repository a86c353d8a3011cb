using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Avatar.Worker.Telemetry;
using Microsoft.Extensions.Options;
using Refit;

namespace Avatar.Worker.XCompute;

/// <summary>
/// Calls xcompute and turns every answer, including transport failures, into an <see cref="XComputeReply"/>.
/// It never retries: whether and when to try again is the workflow's decision, kept in the database.
/// </summary>
public sealed class XComputeClient(
    IXComputeApi api, RequestBudget budget, IOptions<XComputeOptions> options, AvatarMetrics metrics, TimeProvider clock, ILogger<XComputeClient> logger)
{
    private const int MaxMessageLength = 300;

    /// <summary>What stands in for a secret that xcompute quoted back.</summary>
    public const string Redacted = "***";

    public Task<XComputeReply> CreateSessionAsync(string callbackUrl, string projectName, CancellationToken cancellationToken) =>
        SendAsync("create-session", ct => api.CreateSessionAsync(new CreateSessionRequest(callbackUrl, projectName), ct), cancellationToken);

    public Task<XComputeReply> QueryVerificationAsync(string bytedToken, string projectName, CancellationToken cancellationToken) =>
        SendAsync("query-verification", ct => api.QueryVerificationAsync(new VerificationQuery(bytedToken, projectName), ct), cancellationToken, bytedToken);

    public Task<XComputeReply> SubmitAssetsAsync(SubmitAssetsRequest request, CancellationToken cancellationToken) =>
        SendAsync("submit-assets", ct => api.SubmitAssetsAsync(request, ct), cancellationToken);

    /// <summary>
    /// Reads a task that a POST answered <paramref name="age"/> ago; <paramref name="secret"/> (a byted token the task may
    /// quote) is redacted from the answer. A 404 within <see cref="XComputeOptions.NewTaskGrace"/> of the POST is
    /// <see cref="FailureKind.NotFoundYet"/>: xcompute's reads are eventually consistent, and a task it just returned
    /// is not taken as gone.
    /// </summary>
    public async Task<XComputeReply> GetTaskAsync(string taskId, TimeSpan age, CancellationToken cancellationToken, string? secret = null)
    {
        var reply = await SendAsync("get-task", ct => api.GetTaskAsync(taskId, ct), cancellationToken, secret);
        return reply is { Succeeded: false, Failure.Kind: FailureKind.NotFound } && age < options.Value.NewTaskGrace
            ? XComputeReply.Failed(reply.Failure with { Kind = FailureKind.NotFoundYet })
            : reply;
    }

    /// <summary>
    /// Sends one call, once the <see cref="RequestBudget"/> gives it its turn: the wait comes before the call's own
    /// timeout (<see cref="XComputeOptions.RequestTimeout"/>, the HttpClient's) starts, and a call the budget holds back
    /// is answered here without being sent. Every string read from the answer (the data, an error's code and message) has
    /// <paramref name="secret"/> and the API key replaced before anything is cut to length, logged or stored, so no
    /// part of a byted token or the key that xcompute quotes back survives, not even a prefix left by a cut.
    /// </summary>
    private async Task<XComputeReply> SendAsync(
        string operation, Func<CancellationToken, Task<HttpResponseMessage>> call, CancellationToken cancellationToken, string? secret = null)
    {
        if (await budget.AcquireAsync(cancellationToken) is { } pause)
        {
            metrics.Requested(operation, "held_back", TimeSpan.Zero);
            return XComputeReply.Failed(new XComputeFailure(
                FailureKind.RateLimited, null, "held_back", "held back by the worker: xcompute asked for a pause", pause) { HeldBack = true });
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await call(cancellationToken);
            budget.Observe(response);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            metrics.Requested(operation, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), Stopwatch.GetElapsedTime(started));
            logger.LogDebug(
                "xcompute {Operation} answered {StatusCode} in {ElapsedMs} ms",
                operation, (int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return Read(response, body, secret) with { RoundTrip = Stopwatch.GetElapsedTime(started) };
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && TransportFailure(exception) is { } failure)
        {
            logger.LogDebug("xcompute {Operation} failed in transport: {Failure}", operation, failure);
            metrics.Requested(operation, failure.Kind == FailureKind.Unreachable ? "unreachable" : "no_response", Stopwatch.GetElapsedTime(started));
            return XComputeReply.Failed(failure);
        }
    }

    /// <summary>
    /// Classifies a transport exception (Refit wraps them in <see cref="ApiRequestException"/>): a failed connect means
    /// the request was certainly not sent; anything later leaves its outcome unknown.
    /// </summary>
    internal static XComputeFailure? TransportFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError } http:
                    return new XComputeFailure(FailureKind.Unreachable, null, null, $"could not connect ({http.HttpRequestError})");
                case HttpRequestException http:
                    return new XComputeFailure(FailureKind.NoResponse, null, null, $"the connection failed after sending ({http.HttpRequestError})");
                case OperationCanceledException or TimeoutException:
                    return new XComputeFailure(FailureKind.NoResponse, null, null, "the request timed out");
                case IOException:
                    return new XComputeFailure(FailureKind.NoResponse, null, null, "the connection failed while reading the response");
            }
        }

        return null;
    }

    private XComputeReply Read(HttpResponseMessage response, string body, string? secret)
    {
        // The API key too, should xcompute ever quote a request back. A JSON string without escapes is a substring of
        // the body, so a body that holds neither the secret nor a backslash is not rebuilt (nearly every answer).
        var root = TryParse(body);
        foreach (var hidden in (ReadOnlySpan<string?>)[secret, options.Value.ApiKey])
        {
            if (root is { } parsed && !string.IsNullOrEmpty(hidden) && (body.Contains(hidden, StringComparison.Ordinal) || body.Contains('\\')))
            {
                root = Redact(parsed, hidden);
            }
        }

        var status = (int)response.StatusCode;

        if (response.IsSuccessStatusCode)
        {
            if (root is not { ValueKind: JsonValueKind.Object } envelope)
            {
                return Failure(FailureKind.ServerError, status, null, "the response body is not a JSON object");
            }

            // A non-200 "code" inside an HTTP 200 is a failure, never a success.
            if (envelope.Find("code") is { ValueKind: JsonValueKind.Number } code && code.TryGetInt32(out var inner) && inner != 200)
            {
                var (errorCode, message) = ReadError(envelope);
                return Failure(Classify(inner), inner, errorCode, message, RetryAfter(response));
            }

            return XComputeReply.Success(envelope.Find("data") is { ValueKind: JsonValueKind.Object } data ? data : envelope);
        }

        var (detailCode, detail) = root is { } error ? ReadError(error) : (null, Trim(Redact(Redact(response.ReasonPhrase, secret), options.Value.ApiKey) ?? "no details"));
        return Failure(Classify(status), status, detailCode, detail, RetryAfter(response));
    }

    private static FailureKind Classify(int status) => status switch
    {
        401 or 403 => FailureKind.Unauthorized,
        402 => FailureKind.PaymentRequired,
        404 => FailureKind.NotFound,
        408 or 503 => FailureKind.Unavailable,
        429 => FailureKind.RateLimited,
        >= 500 => FailureKind.ServerError,
        _ => FailureKind.Rejected,
    };

    /// <summary>Reads <c>{"error":{"code","type","message"}}</c> or the flat <c>{"code","msg"}</c> form.</summary>
    private static (string? Code, string Message) ReadError(JsonElement root)
    {
        if (root.Find("error") is { ValueKind: JsonValueKind.Object } error)
        {
            return (error.String("code") ?? error.String("type"), Trim(error.String("message") ?? error.String("msg") ?? "no message"));
        }

        var code = root.Find("code") is { ValueKind: JsonValueKind.String } text ? text.GetString() : null;
        var message = root.String("msg") ?? root.String("message") ?? root.String("error") ?? "no message";
        return (code ?? (message.Contains(' ') ? null : message), Trim(message));
    }

    /// <summary>
    /// The answer with <paramref name="secret"/> replaced in every string value, read after JSON's escapes are undone
    /// (however xcompute escaped the token, it is found), before any of it is cut to length.
    /// </summary>
    internal static JsonElement Redact(JsonElement root, string secret)
    {
        var node = JsonNode.Parse(root.GetRawText());
        RedactStrings(node, secret);
        return JsonSerializer.SerializeToElement(node);

        static void RedactStrings(JsonNode? node, string secret)
        {
            switch (node)
            {
                case JsonValue leaf when leaf.Parent is not null && leaf.TryGetValue<string>(out var text) && text.Contains(secret, StringComparison.Ordinal):
                    leaf.ReplaceWith(Redact(text, secret));
                    break;
                case JsonObject item:
                    foreach (var (_, value) in item.ToList())
                    {
                        RedactStrings(value, secret);
                    }

                    break;
                case JsonArray list:
                    foreach (var value in list.ToList())
                    {
                        RedactStrings(value, secret);
                    }

                    break;
            }
        }
    }

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    internal static string? Redact(string? text, string? secret) =>
        text is null || string.IsNullOrEmpty(secret) ? text : text.Replace(secret, Redacted, StringComparison.Ordinal);

    private TimeSpan? RetryAfter(HttpResponseMessage response) => RetryAfter(response, clock.GetUtcNow());

    /// <summary>The response's <c>Retry-After</c> (seconds or a date) as a wait from <paramref name="now"/>, or null when it has none.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - now is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static JsonElement? TryParse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Trim(string message) => message.Length <= MaxMessageLength ? message : message[..MaxMessageLength] + "…";

    private static XComputeReply Failure(FailureKind kind, int? status, string? code, string message, TimeSpan? retryAfter = null) =>
        XComputeReply.Failed(new XComputeFailure(kind, status, code, message, retryAfter));
}
