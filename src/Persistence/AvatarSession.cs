using Avatar.Contracts;

namespace Avatar.Persistence;

/// <summary>
/// One person's verification: its row, and its lifecycle, which is written here and nowhere else. Each transition
/// checks the state it leaves and returns the event it justifies, if any; whoever calls it (a consumer, a poll step,
/// the callback receiver, <c>avatar-admin</c>) saves the row and publishes that event. A session has two outcomes, one
/// per command: <see cref="AvatarSessionCreated"/> or <see cref="AvatarSessionFailed"/> for <c>CreateAvatarSession</c>,
/// then <see cref="AvatarAuthVerified"/> or <see cref="AvatarAuthFailed"/> for <c>AvatarAuthCompleted</c>.
/// </summary>
/// <remarks>
/// <code>
/// Creating ──LinkReady──▶ AwaitingVerification ──StartVerification──▶ Verifying ──QuerySent──▶ Querying
///    │                          │                                    ▲   │  ◀──QueryAnswered──┘   │
///    │                          │                                        └──Verify──▶ Verified ◀──┘
///    └─FailCreation─▶ CreationFailed   └─FailVerification (also from Verifying, Querying)─▶ VerificationFailed
/// </code>
/// The state and what a transition writes have internal setters: only this type (and the tests seeding rows) set them.
/// </remarks>
public sealed class AvatarSession : IScheduled
{
    public Guid Id { get; init; }

    public required string CallbackUrl { get; init; }

    public required string ProjectName { get; init; }

    /// <inheritdoc/>
    public string? Owner { get; init; }

    public SessionState State { get; internal set; }

    /// <summary>The step-1 task that carries the H5 link and byted token.</summary>
    public string? CreateTaskId { get; set; }

    public string? H5Link { get; internal set; }

    /// <summary>
    /// Secret: authorises the verification query. Stored sealed (the worker's <c>TokenProtector</c>: AES-GCM under a key
    /// kept outside the database); cleared once verification ends.
    /// </summary>
    public string? BytedToken { get; internal set; }

    public DateTimeOffset? ExpiresAt { get; internal set; }

    /// <summary>When the person's browser followed the worker's own callback link (one use); null without the receiver.</summary>
    public DateTimeOffset? CallbackAt { get; set; }

    /// <summary>Set when step 2 answered with a task to poll rather than the group itself.</summary>
    public string? VerificationTaskId { get; set; }

    /// <summary>
    /// When the POST that returned the task now polled (<see cref="CreateTaskId"/>, then <see cref="VerificationTaskId"/>)
    /// was answered: a task that young is not taken as gone on a 404 (xcompute's reads may lag its writes).
    /// </summary>
    public DateTimeOffset? TaskPostedAt { get; set; }

    public string? GroupId { get; internal set; }

    public string? ErrorCode { get; internal set; }

    public string? ErrorReason { get; internal set; }

    /// <summary>
    /// A digest of the command that created the row, so a later command with the same id but other content is told
    /// apart from a redelivery (null for rows stored before it was kept).
    /// </summary>
    public string? CommandFingerprint { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <inheritdoc/>
    public int Version { get; internal set; }

    public PollSchedule Schedule { get; init; } = new();

    /// <summary>Whether the session has ended (verified, or failed at either step): nothing more will happen to it.</summary>
    public bool IsEnded => State is SessionState.Verified or SessionState.CreationFailed or SessionState.VerificationFailed;

    /// <summary>
    /// The event the stored state justifies, built from the row alone, so a duplicate command or a redelivered message
    /// publishes the same event again without calling xcompute. None while verification is under way: its outcome is
    /// not known yet.
    /// </summary>
    public object? Outcome => State switch
    {
        SessionState.AwaitingVerification => new AvatarSessionCreated(Id, H5Link!, ExpiresAt!.Value),
        SessionState.Verified => new AvatarAuthVerified(Id, GroupId!),
        SessionState.CreationFailed => new AvatarSessionFailed(Id, ErrorCode!, ErrorReason!),
        SessionState.VerificationFailed => new AvatarAuthFailed(Id, ErrorCode!, ErrorReason!),
        _ => null,
    };

    /// <summary>A new session of <paramref name="owner"/>, about to be created at xcompute (step 1).</summary>
    public static AvatarSession Open(Guid id, string? owner, string callbackUrl, string projectName, string fingerprint, DateTimeOffset now) => new()
    {
        Id = id,
        Owner = owner,
        CallbackUrl = callbackUrl,
        ProjectName = projectName,
        State = SessionState.Creating,
        CommandFingerprint = fingerprint,
        CreatedAt = now,
    };

    /// <summary>Step 1 answered with the H5 link: the person can verify until <paramref name="expiresAt"/>.</summary>
    public AvatarSessionCreated LinkReady(string h5Link, string sealedToken, DateTimeOffset expiresAt)
    {
        Require(nameof(LinkReady), SessionState.Creating);
        State = SessionState.AwaitingVerification;
        H5Link = FlowColumns.Fit(h5Link, FlowColumns.Link);
        BytedToken = sealedToken;
        ExpiresAt = expiresAt;
        return (AvatarSessionCreated)Outcome!;
    }

    public AvatarSessionFailed FailCreation(string errorCode, string reason)
    {
        Require(nameof(FailCreation), SessionState.Creating);
        End(SessionState.CreationFailed, errorCode, reason);
        return (AvatarSessionFailed)Outcome!;
    }

    /// <summary>The person finished the H5 page (<c>AvatarAuthCompleted</c>, or the worker's own callback): step 2 may start.</summary>
    public void StartVerification()
    {
        Require(nameof(StartVerification), SessionState.AwaitingVerification);
        State = SessionState.Verifying;
    }

    /// <summary>
    /// Step 2's query, which spends the byted token, is about to be sent: stored before it is, so a worker that finds
    /// the row still <see cref="SessionState.Querying"/> knows the token may be spent.
    /// </summary>
    public void QuerySent()
    {
        Require(nameof(QuerySent), SessionState.Verifying);
        State = SessionState.Querying;
    }

    /// <summary>Step 2's query was answered, whatever the answer.</summary>
    public void QueryAnswered()
    {
        Require(nameof(QueryAnswered), SessionState.Querying);
        State = SessionState.Verifying;
    }

    public AvatarAuthVerified Verify(string groupId)
    {
        Require(nameof(Verify), SessionState.Verifying, SessionState.Querying);
        State = SessionState.Verified;
        GroupId = FlowColumns.Fit(groupId, FlowColumns.GroupId);
        BytedToken = null;
        return (AvatarAuthVerified)Outcome!;
    }

    public AvatarAuthFailed FailVerification(string errorCode, string reason)
    {
        Require(nameof(FailVerification), SessionState.AwaitingVerification, SessionState.Verifying, SessionState.Querying);
        End(SessionState.VerificationFailed, errorCode, reason);
        return (AvatarAuthFailed)Outcome!;
    }

    /// <summary>An operator ends a session that is still open (<c>avatar-admin abandon</c>), with its step's failure event.</summary>
    public object Abandon(string reason) => State is SessionState.Creating
        ? FailCreation(AvatarErrorCodes.Abandoned, reason)
        : FailVerification(AvatarErrorCodes.Abandoned, reason);

    private void End(SessionState state, string errorCode, string reason)
    {
        State = state;
        ErrorCode = FlowColumns.Fit(errorCode, FlowColumns.ErrorCode);
        ErrorReason = FlowColumns.Fit(reason, FlowColumns.ErrorReason);
        BytedToken = null;
    }

    private void Require(string transition, params SessionState[] from)
    {
        if (!from.Contains(State))
        {
            throw new InvalidTransitionException($"session {Id} cannot {transition} while {State}");
        }
    }
}

/// <summary>
/// The lengths of the columns whose values the events carry. A transition cuts what it stores to them, so the event it
/// returns and every copy published later from the row are the same.
/// </summary>
public static class FlowColumns
{
    public const int Link = 2048;
    public const int GroupId = 256;
    public const int ErrorCode = 64;
    public const int ErrorReason = 2048;

    public static string Fit(string value, int length) => value.Length > length ? value[..length] : value;
}

/// <summary>A transition asked of a flow in a state it does not leave that way: a defect of the caller, never of the input.</summary>
public sealed class InvalidTransitionException(string message) : InvalidOperationException(message);
