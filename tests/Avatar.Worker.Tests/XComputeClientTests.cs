using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Avatar.Worker.XCompute;
using Microsoft.Extensions.Logging.Abstractions;
using Refit;

namespace Avatar.Worker.Tests;

/// <summary>How every kind of xcompute answer is classified; the HTTP exchange is played by a scripted handler.</summary>
public sealed class XComputeClientTests
{
    /// <summary>The age of a task whose POST was answered long before the reads under test.</summary>
    private static readonly TimeSpan LongAgo = TimeSpan.FromHours(1);

    [Fact]
    public async Task Success_returns_the_data_object_and_sends_snake_case_with_the_bearer_key()
    {
        var handler = new ScriptedHandler(_ => Json(200, """{"code":200,"data":{"id":"task_1","status":"completed"}}"""));

        var reply = await Client(handler).CreateSessionAsync("https://cb.example/x", "default", default);

        Assert.True(reply.Succeeded);
        Assert.Equal("task_1", reply.Data.GetProperty("id").GetString());
        Assert.Equal("Bearer test-key", handler.Requests[0].Authorization);
        var body = JsonNode.Parse(handler.Requests[0].Body)!;
        Assert.Equal("https://cb.example/x", (string?)body["callback_url"]);
        Assert.Equal("default", (string?)body["project_name"]);
    }

    [Theory]
    [InlineData(0, FailureKind.NotFoundYet)]
    [InlineData(59, FailureKind.NotFoundYet)]
    [InlineData(60, FailureKind.NotFound)]
    [InlineData(600, FailureKind.NotFound)]
    public async Task A_404_on_a_task_younger_than_the_grace_is_transient_and_gone_only_after_it(int ageSeconds, FailureKind kind)
    {
        var reply = await Client(new ScriptedHandler(_ => Json(404, """{"error":{"code":"task_not_found","message":"task t does not exist"}}""")))
            .GetTaskAsync("t", TimeSpan.FromSeconds(ageSeconds), default);

        Assert.Equal(kind, reply.Failure!.Kind);
        Assert.Equal(kind == FailureKind.NotFoundYet, reply.Failure.IsTransient);
        Assert.Equal("task_not_found", reply.Failure.Code);
    }

    [Fact]
    public async Task Submit_sends_the_documented_field_names()
    {
        var handler = new ScriptedHandler(_ => Json(200, """{"code":200,"data":{"id":"task_2"}}"""));

        await Client(handler).SubmitAssetsAsync(new SubmitAssetsRequest("g-1", "default", "Video", [new AssetReference("https://cdn/a.mp4", "a")]), default);

        var body = JsonNode.Parse(handler.Requests[0].Body)!;
        Assert.Equal("g-1", (string?)body["group_id"]);
        Assert.Equal("Video", (string?)body["asset_type"]);
        Assert.Equal("https://cdn/a.mp4", (string?)body["assets"]![0]!["url"]);
        Assert.Equal("a", (string?)body["assets"]![0]!["name"]);
    }

    [Theory]
    [InlineData(400, """{"error":{"code":"token_expired","message":"expired","type":"invalid_request_error"}}""", FailureKind.Rejected, "token_expired")]
    [InlineData(401, """{"error":{"message":"Invalid API key","type":"authentication_error"}}""", FailureKind.Unauthorized, "authentication_error")]
    [InlineData(402, """{"code":"payment_required","msg":"insufficient balance"}""", FailureKind.PaymentRequired, "payment_required")]
    [InlineData(404, "", FailureKind.NotFound, null)]
    [InlineData(500, "<html>oops</html>", FailureKind.ServerError, null)]
    [InlineData(502, "", FailureKind.ServerError, null)]
    [InlineData(503, "", FailureKind.Unavailable, null)]
    [InlineData(200, """{"code":400,"msg":"ValidatePending"}""", FailureKind.Rejected, "ValidatePending")]
    [InlineData(200, """{"code":500,"msg":"internal error"}""", FailureKind.ServerError, null)]
    public async Task Failures_are_classified_by_status_and_body(int status, string body, FailureKind kind, string? code)
    {
        var reply = await Client(new ScriptedHandler(_ => Json(status, body))).GetTaskAsync("task_1", LongAgo, default);

        Assert.False(reply.Succeeded);
        Assert.True(kind == reply.Failure.Kind, reply.Failure.ToString());
        Assert.Equal(code, reply.Failure.Code);
    }

    [Fact]
    public async Task Rate_limit_carries_retry_after()
    {
        var reply = await Client(new ScriptedHandler(_ =>
        {
            var response = Json(429, """{"error":{"code":"rate_limit_exceeded","message":"slow down"}}""");
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
            return response;
        })).GetTaskAsync("task_1", LongAgo, default);

        Assert.Equal(FailureKind.RateLimited, reply.Failure!.Kind);
        Assert.Equal(TimeSpan.FromSeconds(7), reply.Failure.RetryAfter);
        Assert.True(reply.Failure.CertainlyNotTaken);
    }

    [Fact]
    public async Task Refused_connection_is_certainly_not_taken()
    {
        // Port 1 on loopback: nothing listens there, so the connect itself fails.
        var reply = await Client(new HttpClientHandler(), new Uri("http://127.0.0.1:1")).SubmitAssetsAsync(
            new SubmitAssetsRequest("g", "default", "Video", []), default);

        Assert.Equal(FailureKind.Unreachable, reply.Failure!.Kind);
        Assert.True(reply.Failure.CertainlyNotTaken);
    }

    [Fact]
    public async Task Connection_lost_after_sending_leaves_the_outcome_unknown()
    {
        var reply = await Client(new ScriptedHandler(_ => throw new HttpRequestException(HttpRequestError.ResponseEnded, "reset"))).SubmitAssetsAsync(
            new SubmitAssetsRequest("g", "default", "Video", []), default);

        Assert.Equal(FailureKind.NoResponse, reply.Failure!.Kind);
        Assert.False(reply.Failure.CertainlyNotTaken);
        Assert.True(reply.Failure.IsTransient);
    }

    [Fact]
    public async Task Timeout_leaves_the_outcome_unknown()
    {
        var handler = new ScriptedHandler(_ => Json(200, "{}"), delay: TimeSpan.FromSeconds(3));

        var reply = await Client(handler, timeout: TimeSpan.FromSeconds(1)).SubmitAssetsAsync(new SubmitAssetsRequest("g", "default", "Video", []), default);

        Assert.Equal(FailureKind.NoResponse, reply.Failure!.Kind);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_swallowed()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Client(new ScriptedHandler(_ => Json(200, "{}"))).GetTaskAsync("task_1", LongAgo, cancelled.Token));
    }

    [Fact]
    public async Task A_quoted_token_is_redacted_before_the_message_is_cut()
    {
        const string token = "tok_5f1c9a7e3b2d4c6a8e0f1b3d5c7a9e2f";

        // The token straddles the 300-character cut: redacting after cutting would leave its first half in the message.
        var body = $$$"""{"error":{"code":"{{{token}}}","message":"{{{new string('x', 285)}}} token {{{token}}} is not valid"}}""";
        var reply = await Client(new ScriptedHandler(_ => Json(400, body))).QueryVerificationAsync(token, "default", default);

        Assert.False(reply.Succeeded);
        Assert.DoesNotContain(token[..8], reply.Failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token[..8], reply.Failure.Code ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain(token[..8], reply.Failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_that_quotes_the_token_is_read_without_it()
    {
        // xcompute may escape a token's characters (here '/' and '+') in its JSON; the token is still found.
        const string token = "tok/with+slash";
        var reply = await Client(new ScriptedHandler(_ => Json(200, """{"code":200,"data":{"id":"t","status":"failed","error_message":"token tok\/with\u002Bslash was spent","list":["tok/with+slash"]}}""")))
            .GetTaskAsync("t", LongAgo, default, secret: token);

        Assert.True(reply.Succeeded);
        Assert.Equal("token *** was spent", reply.Data.GetProperty("error_message").GetString());
        Assert.Equal("***", reply.Data.GetProperty("list")[0].GetString());
        Assert.Equal("***", reply.Data.GetProperty("list")[0].GetString());
    }

    [Fact]
    public async Task An_answer_that_quotes_the_api_key_is_read_without_it_however_it_is_escaped()
    {
        var plain = await Client(new ScriptedHandler(_ => Json(401, """{"error":{"code":"invalid_api_key","message":"key test-key is not valid"}}""")))
            .GetTaskAsync("t", LongAgo, default);
        var escaped = await Client(new ScriptedHandler(_ => Json(200, """{"code":200,"data":{"id":"t","status":"failed","error_message":"key test\u002Dkey was refused"}}""")))
            .GetTaskAsync("t", LongAgo, default);

        Assert.Equal("key *** is not valid", plain.Failure!.Message);
        Assert.Equal("key *** was refused", escaped.Data.GetProperty("error_message").GetString());
    }

    [Fact]
    public async Task A_redirect_is_never_followed()
    {
        using var listener = new System.Net.HttpListener();
        var port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var paths = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                var context = await listener.GetContextAsync();
                paths.Enqueue(context.Request.Url!.AbsolutePath);
                context.Response.StatusCode = 307;
                context.Response.RedirectLocation = $"http://127.0.0.1:{port}/elsewhere";
                context.Response.Close();
            }
        });

        var reply = await Client(XComputeServices.CreatePrimaryHandler(), new Uri($"http://127.0.0.1:{port}")).QueryVerificationAsync("secret-token", "default", default);

        Assert.False(reply.Succeeded);
        Assert.Equal(307, reply.Failure.StatusCode);
        Assert.Equal(["/v1/seedance2/real-avatar"], paths);
    }

    [Fact]
    public void Verification_query_never_prints_its_token() =>
        Assert.DoesNotContain("secret-token", new VerificationQuery("secret-token", "default").ToString());

    [Fact]
    public async Task A_call_that_waits_for_its_turn_longer_than_the_timeout_is_still_sent_and_answered()
    {
        var handler = new ScriptedHandler(_ => Json(200, """{"code":200,"data":{"id":"task_3"}}"""));

        // One call a second and a 400 ms timeout: the third call of a burst waits about 2 s for its turn.
        var client = Client(handler, timeout: TimeSpan.FromMilliseconds(400), maxRequestsPerSecond: 1);
        var replies = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.SubmitAssetsAsync(new SubmitAssetsRequest("g", "default", "Video", []), default)));

        Assert.All(replies, r => Assert.True(r.Succeeded, r.Succeeded ? "" : r.Failure.ToString()));
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task A_reply_s_round_trip_counts_from_the_send_not_from_the_wait_for_a_turn()
    {
        // The submission's review is counted from when it was sent (SubmissionSteps): the third call of a burst waits
        // about 2 s for its turn, then takes 0.2 s.
        var handler = new ScriptedHandler(_ => Json(200, """{"code":200,"data":{"id":"task_5"}}"""), delay: TimeSpan.FromMilliseconds(200));
        var client = Client(handler, maxRequestsPerSecond: 1);

        var replies = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.SubmitAssetsAsync(new SubmitAssetsRequest("g", "default", "Video", []), default)));

        Assert.All(replies, r => Assert.InRange(r.RoundTrip.TotalSeconds, 0.15, 1.5));
    }

    [Fact]
    public async Task A_call_held_back_by_a_pause_is_not_sent_and_says_so()
    {
        var calls = 0;
        var handler = new ScriptedHandler(_ =>
        {
            var response = Json(calls++ == 0 ? 429 : 200, """{"code":200,"data":{"id":"task_4"}}""");
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(30));
            return response;
        });
        var client = Client(handler);

        Assert.Equal(FailureKind.RateLimited, (await client.GetTaskAsync("task_4", LongAgo, default)).Failure!.Kind);
        var held = (await client.SubmitAssetsAsync(new SubmitAssetsRequest("g", "default", "Video", []), default)).Failure!;

        Assert.True(held.HeldBack);
        Assert.True(held.CertainlyNotTaken);
        Assert.InRange(held.RetryAfter!.Value.TotalSeconds, 29, 30);
        Assert.Single(handler.Requests);
    }

    private static XComputeClient Client(HttpMessageHandler handler, Uri? baseUrl = null, TimeSpan? timeout = null, int maxRequestsPerSecond = 0)
    {
        var options = new XComputeOptions
        {
            BaseUrl = baseUrl ?? new Uri("http://xcompute.test"),
            ApiKey = "test-key",
            RequestTimeout = timeout ?? TimeSpan.FromSeconds(5),
            MaxRequestsPerSecond = maxRequestsPerSecond,
        };
        var http = XComputeServices.Configure(new HttpClient(handler), options);
        var meters = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddMetrics().BuildServiceProvider()
            .GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return new XComputeClient(
            RestService.ForGenerated<IXComputeApi>(http, XComputeServices.RefitSettings),
            new RequestBudget(Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<RequestBudget>.Instance),
            Microsoft.Extensions.Options.Options.Create(options),
            new Telemetry.AvatarMetrics(meters),
            TimeProvider.System,
            NullLogger<XComputeClient>.Instance);
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private static HttpResponseMessage Json(int status, string body) =>
        new((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private sealed class ScriptedHandler(Func<HttpRequestMessage, HttpResponseMessage> answer, TimeSpan delay = default) : HttpMessageHandler
    {
        public List<(string? Authorization, string Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add((request.Headers.Authorization?.ToString(), body));
            await Task.Delay(delay, cancellationToken);
            return answer(request);
        }
    }
}
