using System.Text.Json;
using Avatar.Contracts;
using Avatar.Persistence;

namespace Avatar.Worker.Tests;

/// <summary>
/// The lifecycles of <see cref="AvatarSession"/> and <see cref="AvatarSubmission"/>: every transition leaves only the
/// states it names, and the event it returns is the one the stored row gives again later.
/// </summary>
public sealed class FlowLifecycleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_session_goes_from_creating_to_verified_and_each_step_returns_its_event()
    {
        var session = AvatarSession.Open(Guid.NewGuid(), "caller-a", "https://caller.example/cb", "p", "f", Now);
        var created = session.LinkReady("https://h5.example/x", "v1:sealed", Now.AddMinutes(10));
        Assert.Equal(new AvatarSessionCreated(session.Id, "https://h5.example/x", Now.AddMinutes(10)), created);
        AssertSame(created, session.Outcome);

        session.StartVerification();
        Assert.Null(session.Outcome);
        session.QuerySent();
        session.QueryAnswered();
        var verified = session.Verify("group-1");
        Assert.Equal(new AvatarAuthVerified(session.Id, "group-1"), verified);
        AssertSame(verified, session.Outcome);
        Assert.True(session.IsEnded);
        Assert.Null(session.BytedToken);
    }

    [Fact]
    public void An_ended_session_takes_no_other_ending()
    {
        var session = AvatarSession.Open(Guid.NewGuid(), "caller-a", "https://caller.example/cb", "p", "f", Now);
        session.LinkReady("https://h5.example/x", "v1:sealed", Now.AddMinutes(10));
        session.StartVerification();
        var verified = session.Verify("group-1");

        Assert.Throws<InvalidTransitionException>(() => session.FailVerification(AvatarErrorCodes.TokenExpired, "late"));
        Assert.Throws<InvalidTransitionException>(() => session.Abandon("operator"));
        Assert.Throws<InvalidTransitionException>(() => session.StartVerification());
        AssertSame(verified, session.Outcome);
    }

    [Fact]
    public void A_session_still_being_created_cannot_be_verified_and_an_expired_one_cannot_be_reopened()
    {
        var session = AvatarSession.Open(Guid.NewGuid(), "caller-a", "https://caller.example/cb", "p", "f", Now);
        Assert.Throws<InvalidTransitionException>(() => session.StartVerification());
        Assert.Throws<InvalidTransitionException>(() => session.Verify("group-1"));

        session.LinkReady("https://h5.example/x", "v1:sealed", Now.AddMinutes(10));
        session.FailVerification(AvatarErrorCodes.TokenExpired, "expired");
        Assert.Throws<InvalidTransitionException>(() => session.StartVerification());
        Assert.Equal(SessionState.VerificationFailed, session.State);
    }

    [Fact]
    public void Abandoning_ends_the_step_under_way_with_its_own_failure_event()
    {
        var creating = AvatarSession.Open(Guid.NewGuid(), "caller-a", "https://caller.example/cb", "p", "f", Now);
        Assert.IsType<AvatarSessionFailed>(creating.Abandon("operator"));

        var awaiting = AvatarSession.Open(Guid.NewGuid(), "caller-a", "https://caller.example/cb", "p", "f", Now);
        awaiting.LinkReady("https://h5.example/x", "v1:sealed", Now.AddMinutes(10));
        var failed = Assert.IsType<AvatarAuthFailed>(awaiting.Abandon("operator"));
        Assert.Equal(AvatarErrorCodes.Abandoned, failed.ErrorCode);
    }

    [Fact]
    public void A_reason_longer_than_its_column_is_cut_in_the_event_as_in_the_row()
    {
        var session = AvatarSession.Open(Guid.NewGuid(), "caller-a", "https://caller.example/cb", "p", "f", Now);
        var failed = session.FailCreation(AvatarErrorCodes.UpstreamError, new string('x', 5000));
        Assert.Equal(FlowColumns.ErrorReason, failed.Reason.Length);
        AssertSame(failed, session.Outcome);
    }

    [Fact]
    public void A_submission_goes_from_submitting_through_review_to_one_outcome()
    {
        var submission = Submission();
        Assert.Throws<InvalidTransitionException>(() => submission.Approve([Asset()], Now));
        submission.NotTaken();
        submission.SubmitAgain();
        submission.Submitted("task-1", Now);
        Assert.Null(submission.Outcome);

        var approved = submission.Approve([Asset()], Now.AddSeconds(30));
        AssertSame(approved, submission.Outcome);
        Assert.Equal(Now.AddSeconds(30), submission.CompletedAt);
        Assert.Throws<InvalidTransitionException>(() => submission.Reject(AvatarErrorCodes.ReviewTimeout, "late", null, null, Now));
        Assert.Throws<InvalidTransitionException>(() => submission.Abandon("operator", Now));
        AssertSame(approved, submission.Outcome);
    }

    [Fact]
    public void A_submission_can_be_rejected_from_any_open_state_but_approved_only_in_review()
    {
        foreach (var prepare in new Action<AvatarSubmission>[] { _ => { }, s => s.NotTaken(), s => s.Submitted("task-1", Now) })
        {
            var submission = Submission();
            prepare(submission);
            var rejected = submission.Reject(AvatarErrorCodes.TaskFailed, "failed", [Asset()], [Asset("failed")], Now);
            Assert.Equal(SubmissionState.Rejected, submission.State);
            AssertSame(rejected, submission.Outcome);
        }

        var pending = Submission();
        pending.NotTaken();
        Assert.Throws<InvalidTransitionException>(() => pending.Approve([Asset()], Now));
    }

    private static AvatarSubmission Submission() =>
        AvatarSubmission.Open(Guid.NewGuid(), "caller-a", "group-1", "p", AvatarAssetType.Image, [new SubmittedAsset { Url = "https://a.example/1.jpg", Name = "front" }], "f", Now);

    private static ReviewedAsset Asset(string status = "approved") =>
        new() { AssetId = "asset-1", AssetUrl = "asset://1", Name = "front", Status = status };

    // The events hold lists, which records compare by reference: compare what goes on the wire.
    private static void AssertSame(object expected, object? actual) =>
        Assert.Equal(JsonSerializer.Serialize(expected, expected.GetType()), JsonSerializer.Serialize(actual, expected.GetType()));
}
