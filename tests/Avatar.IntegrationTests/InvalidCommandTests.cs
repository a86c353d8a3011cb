using System.Text;
using Avatar.Contracts;
using Avatar.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Avatar.IntegrationTests;

[Collection(SecondAvatarCollection.Name)]
public sealed class InvalidCommandTests(AvatarFixture fixture) : AvatarTest(fixture)
{
    public static TheoryData<string, SubmitAvatarAssets, string> InvalidSubmissions()
    {
        AvatarAssetSource Asset(string url = "https://cdn.example/a.mp4", string name = "a") => new(url, name);
        SubmitAvatarAssets Submit(IReadOnlyList<AvatarAssetSource> assets, string group = "group-1", AvatarAssetType type = AvatarAssetType.Video) =>
            new(Guid.NewGuid(), group, assets, type);

        return new()
        {
            { "no assets", Submit([]), "assets must hold 1 to 20 items" },
            { "21 assets", Submit([.. Enumerable.Range(0, 21).Select(i => Asset(name: $"a{i}"))]), "assets must hold 1 to 20 items, not 21" },
            { "relative url", Submit([Asset(url: "/a.mp4")]), "assets[0].url must be an absolute http or https URL" },
            { "ftp url", Submit([Asset(), Asset(url: "ftp://cdn.example/b.mp4")]), "assets[1].url must be an absolute http or https URL" },
            { "empty name", Submit([Asset(name: " ")]), "assets[0].name is missing" },
            { "long name", Submit([Asset(name: new string('n', 256))]), "assets[0].name is longer than 255 characters" },
            { "no group", Submit([Asset()], group: ""), "groupId is missing" },
            { "unknown asset type", Submit([Asset()], type: (AvatarAssetType)7), "assetType must be one of Video, Image" },
            { "2,049-character url", Submit([Asset(url: "https://cdn.example/" + new string('a', 2029))]), "assets[0].url is longer than 2048 characters" },
            { "257-character group", Submit([Asset()], group: new string('g', 257)), "groupId is longer than 256 characters" },
            { "129-character project", Submit([Asset()]) with { ProjectName = new string('p', 129) }, "projectName is longer than 128 characters" },
            { "project outside the pattern", Submit([Asset()]) with { ProjectName = "../other project" }, "projectName must be letters, digits" },
            { "control character in a name", Submit([Asset(name: "front\u001b[2J")]), "assets[0].name contains control characters" },
            { "1,000-character group", Submit([Asset()], group: new string('g', 1_000)), "groupId is longer than 256 characters" },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidSubmissions))]
    public async Task Invalid_submission_is_rejected_with_a_reason_and_the_worker_keeps_consuming(string _, SubmitAvatarAssets command, string reason)
    {
        // Submits only ever follow a command, so none may come of this one (polls of earlier reviews may still run).
        var submitsBefore = (await Simulator.StatsAsync()).CountStartingWith("submit:");

        await Fixture.Publish(command);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(AvatarErrorCodes.InvalidRequest, rejected.ErrorCode);
        Assert.StartsWith(reason, rejected.Reason);

        // The event names the problem; an invalid group id is not sent back to every subscriber.
        Assert.Equal(command.GroupId is { Length: <= 256 } group ? group : "", rejected.GroupId);
        Assert.Equal(submitsBefore, (await Simulator.StatsAsync()).CountStartingWith("submit:"));
        Assert.Null(await FindAsync<Avatar.Persistence.AvatarSubmission>(command.SubmissionId));

        // The worker is still there: the next good command goes through.
        await CreateSessionAsync();
    }

    [Theory]
    [InlineData("not a url", null, "callbackUrl must be an absolute http or https URL")]
    [InlineData("", null, "callbackUrl is missing")]
    [InlineData("https://caller.example/#2049", null, "callbackUrl is longer than 2048 characters")]
    [InlineData("https://caller.example/cb", "#129", "projectName is longer than 128 characters")]
    [InlineData("https://caller.example/cb", "a b", "projectName must be letters, digits, '.', '_' or '-', starting with a letter or digit")]
    [InlineData("http://caller.example/cb", null, "callbackUrl must be an https URL (http only for loopback addresses)")]
    [InlineData("https://user:secret@caller.example/cb", null, "callbackUrl must not carry credentials (user info)")]
    public async Task Invalid_session_command_fails_with_a_reason(string callbackUrl, string? projectName, string reason)
    {
        var sessionId = Guid.NewGuid();

        // "#N" pads the value to N characters.
        await Fixture.Publish(new CreateAvatarSession(sessionId, Padded(callbackUrl), projectName is null ? null : Padded(projectName)));

        var failed = await Events.WaitFor<AvatarSessionFailed>(e => e.SessionId == sessionId);
        Assert.Equal(AvatarErrorCodes.InvalidRequest, failed.ErrorCode);
        Assert.Equal(reason, failed.Reason);
        await CreateSessionAsync();
    }

    [Fact]
    public async Task Group_this_worker_never_verified_is_refused_without_calling_xcompute()
    {
        // A real group of the account, verified by someone else (or guessed): not this worker's to submit to.
        var command = Submission(await Simulator.MintGroupAsync(), "front");
        var submitsBefore = (await Simulator.StatsAsync()).CountStartingWith("submit:");

        await Fixture.Publish(command);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(AvatarErrorCodes.InvalidRequest, rejected.ErrorCode);
        Assert.Equal("groupId is not a group this worker verified for you; verify the person with CreateAvatarSession first", rejected.Reason);
        Assert.Equal(submitsBefore, (await Simulator.StatsAsync()).CountStartingWith("submit:"));
        Assert.Null(await FindAsync<Avatar.Persistence.AvatarSubmission>(command.SubmissionId));
    }

    [Fact]
    public Task With_AcceptUnknownGroups_a_group_verified_elsewhere_is_submitted() =>
        Fixture.WithWorkerAsync(new Dictionary<string, string> { ["Avatar:AcceptUnknownGroups"] = "true" }, async () =>
        {
            // A group xcompute knows (verified by another system on the account) that no session of this worker verified.
            var command = Submission(await Simulator.MintGroupAsync(), "front");

            await Fixture.Publish(command);

            await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == command.SubmissionId);
        });

    [Fact]
    public async Task Group_unknown_to_xcompute_is_rejected_as_invalid_request()
    {
        // Known to the worker (say, xcompute dropped it since), unknown to xcompute: xcompute's refusal is the answer.
        await using (var db = Fixture.Db())
        {
            await Avatar.Persistence.VerifiedGroup.RecordAsync(db, "group-that-does-not-exist", Guid.NewGuid(), owner: null, default);
        }

        var command = Submission("group-that-does-not-exist", "front");

        await Fixture.Publish(command);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == command.SubmissionId);
        Assert.Equal(AvatarErrorCodes.InvalidRequest, rejected.ErrorCode);
        Assert.Contains("not a verified asset group", rejected.Reason);
    }

    [Fact]
    public async Task A_reused_session_id_with_other_content_is_refused_and_the_same_content_gets_the_stored_outcome()
    {
        var created = await CreateSessionAsync();

        await Fixture.Publish(new CreateAvatarSession(created.SessionId, "https://attacker.example/steal", null));

        var refused = await Events.WaitFor<AvatarCommandRefused>(e => e.FlowId == created.SessionId);
        Assert.Equal((nameof(CreateAvatarSession), AvatarErrorCodes.IdReused), (refused.CommandType, refused.ErrorCode));
        Assert.Equal("sessionId was used by a different command; every session needs a new sessionId", refused.Reason);
        Assert.DoesNotContain("attacker", refused.Reason, StringComparison.Ordinal);
        Assert.Empty(Events.All<AvatarSessionFailed>(e => e.SessionId == created.SessionId));
        Assert.Equal(CallbackFor(created.SessionId), (await FindAsync<Avatar.Persistence.AvatarSession>(created.SessionId))!.CallbackUrl);

        // The same command again is a redelivery: the stored outcome, with the same link.
        await Fixture.Publish(new CreateAvatarSession(created.SessionId, CallbackFor(created.SessionId), null));
        await WaitUntil(() => Events.All<AvatarSessionCreated>(e => e.SessionId == created.SessionId).Count >= 2);
        Assert.All(Events.All<AvatarSessionCreated>(e => e.SessionId == created.SessionId), e => Assert.Equal(created.H5Link, e.H5Link));
    }

    [Fact]
    public async Task A_reused_submission_id_with_other_content_is_refused_and_the_stored_review_kept()
    {
        var groupId = await MintGroupAsync();
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:01" });
        var good = Submission(groupId, "front");
        await Fixture.Publish(good);
        var approved = await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == good.SubmissionId);

        // The same SubmissionId again, now malformed: refused as a reused id; the stored review stays as it was.
        await Fixture.Publish(good with { Assets = [] });
        var refused = await Events.WaitFor<AvatarCommandRefused>(e => e.FlowId == good.SubmissionId);
        Assert.Equal((nameof(SubmitAvatarAssets), AvatarErrorCodes.IdReused), (refused.CommandType, refused.ErrorCode));
        Assert.Equal("submissionId was used by a different command; every submission needs a new submissionId", refused.Reason);
        Assert.Equal(Avatar.Persistence.SubmissionState.Approved, (await FindAsync<Avatar.Persistence.AvatarSubmission>(good.SubmissionId))!.State);

        // Other assets under the same id: refused too, not answered with the first command's approval.
        await Fixture.Publish(good with { Assets = [new AvatarAssetSource("https://cdn.example/avatars/other.mp4", "other")] });
        await WaitUntil(() => Events.All<AvatarCommandRefused>(e => e.FlowId == good.SubmissionId).Count >= 2);

        // The same command again is a redelivery: the stored approval, repeated.
        await Fixture.Publish(good);
        await WaitUntil(() => Events.All<AvatarAssetsApproved>(e => e.SubmissionId == good.SubmissionId).Count >= 2);
        Assert.Equal(approved.Assets, Events.All<AvatarAssetsApproved>(e => e.SubmissionId == good.SubmissionId)[1].Assets);
        Assert.Empty(Events.All<AvatarAssetsRejected>(e => e.SubmissionId == good.SubmissionId));
    }

    [Fact]
    public async Task Unreadable_message_ends_in_the_error_queue_and_the_worker_keeps_consuming()
    {
        await using var connection = await Fixture.Services.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var before = await ErrorCountAsync(connection);

        // What a careless publisher in another language might send: not JSON at all.
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = Guid.NewGuid().ToString() };
        await channel.BasicPublishAsync("create-avatar-session", "", mandatory: false, properties, Encoding.UTF8.GetBytes("{ this is not json"));

        for (var i = 0; i < 100 && await ErrorCountAsync(connection) == before; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(before + 1, await ErrorCountAsync(connection));
        await CreateSessionAsync();
    }

    [Fact]
    public async Task A_command_over_the_size_limit_ends_in_its_failure_event_unread_and_unechoed()
    {
        var submitsBefore = (await Simulator.StatsAsync()).CountStartingWith("submit:");
        var submit = new SubmitAvatarAssets(Guid.NewGuid(), new string('g', 1_000_000), [new("https://cdn.example/a.mp4", "a")], AvatarAssetType.Video);
        var create = new CreateAvatarSession(Guid.NewGuid(), "https://caller.example/cb?" + new string('q', 70_000), null);

        await Fixture.Publish(submit);
        await Fixture.Publish(create);

        var rejected = await Events.WaitFor<AvatarAssetsRejected>(e => e.SubmissionId == submit.SubmissionId);
        Assert.Equal(AvatarErrorCodes.InvalidRequest, rejected.ErrorCode);
        Assert.Matches(@"^the command is \d+ bytes, more than the 65536 bytes this worker accepts$", rejected.Reason);
        Assert.Equal("", rejected.GroupId);
        var failed = await Events.WaitFor<AvatarSessionFailed>(e => e.SessionId == create.SessionId);
        Assert.Equal(AvatarErrorCodes.InvalidRequest, failed.ErrorCode);
        Assert.StartsWith("the command is ", failed.Reason);

        Assert.Equal(submitsBefore, (await Simulator.StatsAsync()).CountStartingWith("submit:"));
        Assert.Null(await FindAsync<Avatar.Persistence.AvatarSubmission>(submit.SubmissionId));
        Assert.Null(await FindAsync<Avatar.Persistence.AvatarSession>(create.SessionId));
        await CreateSessionAsync();
    }

    [Fact]
    public async Task A_reused_submission_id_with_other_content_while_the_first_is_in_review_is_refused_and_the_review_ends_once()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:03" });
        var groupId = await MintGroupAsync();
        var first = Submission(groupId, "front");
        await Fixture.Publish(first);
        await WaitUntil(async () => await FindAsync<Avatar.Persistence.AvatarSubmission>(first.SubmissionId) is { State: Avatar.Persistence.SubmissionState.InReview });

        // Another caller's command under the same id while the review runs: valid, and invalid.
        await Fixture.Publish(first with { Assets = [new AvatarAssetSource("https://cdn.example/avatars/other.mp4", "other")] });
        await Fixture.Publish(first with { Assets = [] });

        await WaitUntil(() => Events.All<AvatarCommandRefused>(e => e.FlowId == first.SubmissionId).Count == 2);
        Assert.All(Events.All<AvatarCommandRefused>(e => e.FlowId == first.SubmissionId), r => Assert.Equal(AvatarErrorCodes.IdReused, r.ErrorCode));
        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == first.SubmissionId);
        Assert.Empty(Events.All<AvatarAssetsRejected>(e => e.SubmissionId == first.SubmissionId));
        Assert.Equal(1, (await Simulator.StatsAsync()).Count($"submit:{groupId}"));
    }

    [Fact]
    public async Task A_command_over_the_size_limit_naming_a_flow_under_way_is_refused_and_the_flow_goes_on()
    {
        await Simulator.ConfigureAsync(new { reviewDuration = "00:00:03" });
        var good = Submission(await MintGroupAsync(), "front");
        await Fixture.Publish(good);
        await WaitUntil(async () => await FindAsync<Avatar.Persistence.AvatarSubmission>(good.SubmissionId) is { State: Avatar.Persistence.SubmissionState.InReview });
        var created = await CreateSessionAsync();

        // Oversize copies naming the review in progress and the session awaiting its person: neither is an outcome.
        await Fixture.Publish(good with { GroupId = new string('g', 1_000_000) });
        await Fixture.Publish(new CreateAvatarSession(created.SessionId, "https://caller.example/cb?" + new string('q', 70_000), null));

        var refused = await Events.WaitFor<AvatarCommandRefused>(e => e.FlowId == good.SubmissionId);
        Assert.Equal((nameof(SubmitAvatarAssets), AvatarErrorCodes.IdReused), (refused.CommandType, refused.ErrorCode));
        Assert.StartsWith("the command is ", refused.Reason);
        await Events.WaitFor<AvatarCommandRefused>(e => e.FlowId == created.SessionId && e.CommandType == nameof(CreateAvatarSession));
        await Events.WaitFor<AvatarAssetsApproved>(e => e.SubmissionId == good.SubmissionId);
        Assert.Empty(Events.All<AvatarAssetsRejected>(e => e.SubmissionId == good.SubmissionId));
        Assert.Empty(Events.All<AvatarSessionFailed>(e => e.SessionId == created.SessionId));
    }

    [Fact]
    public async Task A_message_over_the_size_limit_without_a_readable_id_ends_in_the_error_queue()
    {
        await using var connection = await Fixture.Services.ConnectAsync();
        var before = await ErrorCountAsync(connection);

        await Fixture.Publish(new CreateAvatarSession(Guid.Empty, "https://caller.example/cb?" + new string('q', 70_000), null));

        for (var i = 0; i < 100 && await ErrorCountAsync(connection) == before; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(before + 1, await ErrorCountAsync(connection));
        Assert.Empty(Events.All<AvatarSessionFailed>(e => e.SessionId == Guid.Empty));
        await CreateSessionAsync();
    }

    private static string Padded(string value) => value.IndexOf('#', StringComparison.Ordinal) is var at and >= 0
        ? value[..at].PadRight(int.Parse(value[(at + 1)..], System.Globalization.CultureInfo.InvariantCulture), 'a')
        : value;

    /// <summary>Messages in the error queue, which MassTransit creates on the first fault.</summary>
    private static async Task<uint> ErrorCountAsync(IConnection connection)
    {
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync("create-avatar-session_error")).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }
}
