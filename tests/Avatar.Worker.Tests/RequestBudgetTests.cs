using System.Net;
using Avatar.Persistence;
using Avatar.Worker.Scheduling;
using Avatar.Worker.Workflows;
using Avatar.Worker.XCompute;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Tests;

/// <summary>The instance's budget of xcompute calls: a rate, and a pause for everyone after a 429.</summary>
public sealed class RequestBudgetTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_429_holds_back_every_call_of_the_instance_for_its_retry_after()
    {
        var clock = new ManualClock { Now = Start };
        var sent = 0;
        var invoker = Invoker(new RequestBudget(Options.Create(new XComputeOptions { MaxRequestsPerSecond = 0 }), clock), _ =>
        {
            var response = new HttpResponseMessage(sent++ == 0 ? HttpStatusCode.TooManyRequests : HttpStatusCode.OK);
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(5));
            return response;
        });

        Assert.Equal(HttpStatusCode.TooManyRequests, (await Send(invoker, "/v1/tasks/a")).StatusCode);

        // Another row's call, two seconds later: not sent, answered 429 with the three seconds left.
        clock.Now = Start.AddSeconds(2);
        var held = await Send(invoker, "/v1/tasks/b");
        Assert.Equal(HttpStatusCode.TooManyRequests, held.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), held.Headers.RetryAfter!.Delta);
        Assert.True(held.RequestMessage!.Options.TryGetValue(RequestBudgetHandler.HeldBack, out var flagged) && flagged);
        Assert.Equal(1, sent);

        clock.Now = Start.AddSeconds(5.1);
        Assert.Equal(HttpStatusCode.OK, (await Send(invoker, "/v1/tasks/c")).StatusCode);
        Assert.Equal(2, sent);
    }

    [Fact]
    public async Task A_long_retry_after_pauses_the_instance_no_longer_than_the_cap()
    {
        var clock = new ManualClock { Now = Start };
        var budget = new RequestBudget(Options.Create(new XComputeOptions { MaxRequestsPerSecond = 0, MaxPause = TimeSpan.FromSeconds(60) }), clock);
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(600));

        budget.Observe(response);

        Assert.Equal(TimeSpan.FromSeconds(60), await budget.AcquireAsync(CancellationToken.None));
        clock.Now = Start.AddSeconds(61);
        Assert.Null(await budget.AcquireAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_burst_leaves_at_the_budgeted_rate_and_every_call_is_sent()
    {
        var sent = 0;
        var invoker = Invoker(new RequestBudget(Options.Create(new XComputeOptions { MaxRequestsPerSecond = 20 }), TimeProvider.System), _ =>
        {
            Interlocked.Increment(ref sent);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });

        var burst = Enumerable.Range(0, 60).Select(i => Send(invoker, $"/v1/tasks/{i}")).ToList();
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        // Half a second at 20 a second is about 10 calls; a slow machine only sends fewer.
        Assert.InRange(Volatile.Read(ref sent), 1, 20);
        await Task.WhenAll(burst);
        Assert.Equal(60, sent);
    }

    [Fact]
    public void A_held_back_call_waits_only_for_the_pause_and_counts_no_attempt()
    {
        var schedule = new Schedule(
            new AvatarDbContext(new DbContextOptionsBuilder<AvatarDbContext>().UseNpgsql("Host=unused").Options), new DatabaseClock(TimeProvider.System), Options.Create(new WorkflowOptions()), TimeProvider.System);
        schedule.Anchor(Start);
        var row = new AvatarSubmission { GroupId = "g", ProjectName = "p", Schedule = { Deadline = Start.AddMinutes(15), PollAttempts = 10 } };
        var held = new XComputeFailure(FailureKind.RateLimited, 429, "held_back", "held back", TimeSpan.FromSeconds(0.4)) { HeldBack = true };

        Assert.True(schedule.TryRetry(row, held));

        // The backoff after ten attempts is 30 s; the pause had 0.4 s left.
        Assert.InRange((row.Schedule.NextPollAt!.Value - Start).TotalSeconds, 0.4, 0.51);
        Assert.Equal(10, row.Schedule.PollAttempts);
    }

    private static HttpMessageInvoker Invoker(RequestBudget budget, Func<HttpRequestMessage, HttpResponseMessage> answer) =>
        new(new RequestBudgetHandler(budget) { InnerHandler = new Answering(answer) });

    private static Task<HttpResponseMessage> Send(HttpMessageInvoker invoker, string path) =>
        invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri("http://xcompute.test" + path)), CancellationToken.None);

    private sealed class Answering(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = answer(request);
            response.RequestMessage = request;
            return Task.FromResult(response);
        }
    }
}
