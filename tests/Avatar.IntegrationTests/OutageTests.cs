using System.Net;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using Avatar.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Avatar.IntegrationTests;

/// <summary>
/// Short outages of the real PostgreSQL and RabbitMQ (servers of this collection's own) while work is under way: every
/// command still ends in its event, nothing lands in an <c>_error</c> queue, the worker resumes by itself, and its
/// readiness says when it cannot work. (<c>./chaos.sh</c> runs the long outages.)
/// </summary>
[Collection(OutageCollection.Name)]
public sealed class OutageTests(OutageFixture fixture) : AvatarTest(fixture)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Ready_answers_503_while_the_broker_is_away_and_200_again_once_it_is_back()
    {
        var worker = Fixture.Worker!.BaseAddress;
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri(worker, "/health/live"))).StatusCode);
        await WaitUntil(async () => await StatusAsync(worker) == HttpStatusCode.OK);

        await Fixture.Services.StopBrokerAsync();
        try
        {
            await WaitUntil(async () => await StatusAsync(worker) == HttpStatusCode.ServiceUnavailable, seconds: 30);
            Assert.Contains("masstransit-bus", await (await Http.GetAsync(new Uri(worker, "/health/ready"))).Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri(worker, "/health/live"))).StatusCode);
        }
        finally
        {
            await Fixture.Services.StartBrokerAsync();
        }

        await WaitUntil(async () => await StatusAsync(worker) == HttpStatusCode.OK, seconds: 60);
    }

    [Fact]
    public async Task Ready_answers_503_while_the_database_is_away_and_200_again_once_it_is_back()
    {
        var worker = Fixture.Worker!.BaseAddress;
        await WaitUntil(async () => await StatusAsync(worker) == HttpStatusCode.OK);

        await Fixture.Services.StopDatabaseAsync();
        try
        {
            await WaitUntil(async () => await StatusAsync(worker) == HttpStatusCode.ServiceUnavailable, seconds: 30);
            Assert.Contains("postgresql", await (await Http.GetAsync(new Uri(worker, "/health/ready"))).Content.ReadAsStringAsync());
        }
        finally
        {
            await Fixture.StartDatabaseAsync();
        }

        await WaitUntil(async () => await StatusAsync(worker) == HttpStatusCode.OK, seconds: 60);
    }

    [Fact]
    public async Task Commands_that_arrive_while_the_database_is_down_each_end_in_one_event_once_it_is_back()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        var groupId = await MintGroupAsync();
        var submissions = Enumerable.Range(0, 5).Select(i => Submission(groupId, $"front-{i}")).ToList();
        var sessionId = Guid.NewGuid();
        var errorsBefore = await ErrorCountAsync();

        await Fixture.Services.StopDatabaseAsync();
        try
        {
            await Task.WhenAll(submissions.Select(s => Fixture.Publish(s)));
            await Fixture.Publish(new CreateAvatarSession(sessionId, CallbackFor(sessionId), null));

            // The consumers are retrying against the missing database now.
            await WaitUntil(() => Fixture.Logs.Contains("The poll-dispatcher loop failed"), seconds: 20);
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
        finally
        {
            await Fixture.StartDatabaseAsync();
        }

        foreach (var submission in submissions)
        {
            await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == submission.SubmissionId, TimeSpan.FromSeconds(90));
        }

        await Events.WaitFor<AvatarSessionCreated>(e => e.SessionId == sessionId, TimeSpan.FromSeconds(60));
        Assert.Equal(5, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
        Assert.Equal(errorsBefore, await ErrorCountAsync());
        await WaitUntil(() => Fixture.Logs.Contains("The poll-dispatcher loop works again"), seconds: 20);
    }

    [Fact]
    public async Task Reviews_in_flight_while_the_broker_is_down_finish_once_it_is_back()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:04" });
        var groupId = await MintGroupAsync();
        var submissions = Enumerable.Range(0, 3).Select(i => Submission(groupId, $"front-{i}", $"side-reject-{i}")).ToList();
        await Task.WhenAll(submissions.Select(s => Fixture.Publish(s)));
        foreach (var submission in submissions)
        {
            await WaitUntil(async () => await FindAsync<AvatarSubmission>(submission.SubmissionId) is { State: SubmissionState.InReview });
        }

        var errorsBefore = await ErrorCountAsync();
        await Fixture.Services.StopBrokerAsync();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(6));
        }
        finally
        {
            await Fixture.Services.StartBrokerAsync();
        }

        foreach (var submission in submissions)
        {
            var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == submission.SubmissionId, TimeSpan.FromSeconds(90));
            Assert.Equal(AvatarErrorCodes.TaskFailed, rejected.ErrorCode);
            Assert.Single(rejected.UsableAssets);
        }

        Assert.Equal(3, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
        Assert.Equal(errorsBefore, await ErrorCountAsync());
    }

    [Fact]
    public async Task An_outage_many_times_the_outage_tolerance_parks_nothing_in_error_and_every_flow_ends_once_it_is_over()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        var groupId = await MintGroupAsync();
        var submissions = Enumerable.Range(0, 6).Select(i => Submission(groupId, $"front-{i}")).ToList();
        var settings = new Dictionary<string, string> { ["Messaging:OutageTolerance"] = "00:00:03", ["Messaging:ConsumerStopTimeout"] = "00:00:02" };
        await Fixture.WithWorkerAsync(settings, async worker =>
        {
            var errorsBefore = await ErrorCountAsync();
            var lifetime = worker.Services.GetRequiredService<IHostApplicationLifetime>();
            await Fixture.Services.StopDatabaseAsync();
            try
            {
                // Commands arrive while every loop (dispatcher, gauges, probe) and every consumer meets the missing database.
                await Task.WhenAll(submissions.Select(s => Fixture.Publish(s)));
                await WaitUntil(() => worker.Logs.Contains("stopped taking messages"), seconds: 30);
                // Long enough for each message to spend its retries: EF Core's own (about 11 s an attempt) and then
                // three attempts spanning the 3-s tolerance; a worker without the outage gate parks them in _error.
                await Task.Delay(TimeSpan.FromSeconds(45));
                Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the worker stopped itself during the outage");
            }
            finally
            {
                await Fixture.StartDatabaseAsync();
            }

            foreach (var submission in submissions)
            {
                await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == submission.SubmissionId, TimeSpan.FromSeconds(90));
            }

            Assert.Equal(errorsBefore, await ErrorCountAsync());
            Assert.Equal(6, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
            Assert.True(worker.Logs.Contains("takes messages again"));
            using var http = new HttpClient { BaseAddress = worker.BaseAddress };
            await WaitUntil(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, seconds: 30);
            Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
        });
    }

    [Fact]
    public async Task A_worker_stopped_with_sigterm_during_an_outage_returns_its_messages_and_the_next_instance_ends_them()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        var groupId = await MintGroupAsync();
        var submissions = Enumerable.Range(0, 5).Select(i => Submission(groupId, $"front-{i}")).ToList();
        var errorsBefore = await ErrorCountAsync();

        // Only the process about to be stopped runs while the commands arrive.
        await Fixture.Worker!.DisposeAsync();
        Fixture.Worker = null;
        try
        {
            var settings = Fixture.WorkerSettings();
            settings["Messaging:ConsumerStopTimeout"] = "00:00:05";
            using var stopping = WorkerProcess.Start(settings);
            await stopping.WaitUntilStartedAsync(TimeSpan.FromMinutes(1));
            await Fixture.Services.StopDatabaseAsync();
            try
            {
                await Task.WhenAll(submissions.Select(s => Fixture.Publish(s)));

                // The consumers are in their outage retries now; a deploy stops the worker.
                await Task.Delay(TimeSpan.FromSeconds(3));
                stopping.Stop(TimeSpan.FromSeconds(90));
                Assert.True(stopping.HasExited, "the worker did not stop");
                Assert.Equal(0, stopping.ExitCode);
            }
            finally
            {
                await Fixture.StartDatabaseAsync();
            }
        }
        finally
        {
            Fixture.Worker = await Fixture.StartWorkerAsync();
        }

        foreach (var submission in submissions)
        {
            await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == submission.SubmissionId, TimeSpan.FromSeconds(90));
        }

        Assert.Equal(errorsBefore, await ErrorCountAsync());
        Assert.Equal(5, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
    }

    private static async Task<HttpStatusCode> StatusAsync(Uri worker)
    {
        try
        {
            return (await Http.GetAsync(new Uri(worker, "/health/ready"))).StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }
}
