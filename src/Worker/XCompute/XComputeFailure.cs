namespace Avatar.Worker.XCompute;

public enum FailureKind
{
    /// <summary>HTTP 400 or another refusal of the request itself (also a non-200 <c>code</c> inside an HTTP 200).</summary>
    Rejected,

    /// <summary>HTTP 401 or 403.</summary>
    Unauthorized,

    /// <summary>HTTP 402.</summary>
    PaymentRequired,

    /// <summary>HTTP 404.</summary>
    NotFound,

    /// <summary>
    /// HTTP 404 on a task younger than <see cref="XComputeOptions.NewTaskGrace"/>: the gateway's reads may not show it
    /// yet, so it is not taken as gone.
    /// </summary>
    NotFoundYet,

    /// <summary>HTTP 429; the request was not taken.</summary>
    RateLimited,

    /// <summary>HTTP 503 (or 408); the request was not taken.</summary>
    Unavailable,

    /// <summary>HTTP 500 and other 5xx: xcompute may have acted on the request.</summary>
    ServerError,

    /// <summary>No connection could be made; the request was certainly not sent.</summary>
    Unreachable,

    /// <summary>Sent, but no usable answer came back (a timeout or a dropped connection): the outcome is unknown.</summary>
    NoResponse,
}

/// <summary>Why an xcompute call did not succeed, with what xcompute said about it. Never carries request secrets.</summary>
public sealed record XComputeFailure(FailureKind Kind, int? StatusCode, string? Code, string Message, TimeSpan? RetryAfter = null)
{
    /// <summary>xcompute certainly did not act on the request, so even a non-idempotent call may be repeated.</summary>
    public bool CertainlyNotTaken => Kind is FailureKind.RateLimited or FailureKind.Unavailable or FailureKind.Unreachable;

    /// <summary>
    /// The call was never sent: this instance's <see cref="RequestBudget"/> held it back during a pause that a 429 asked
    /// for, and <see cref="RetryAfter"/> is the time left. Not an attempt of the row's own.
    /// </summary>
    public bool HeldBack { get; init; }

    /// <summary>Worth trying again later.</summary>
    public bool IsTransient => CertainlyNotTaken || Kind is FailureKind.ServerError or FailureKind.NoResponse or FailureKind.NotFoundYet;

    public override string ToString() =>
        $"{Kind}{(StatusCode is { } status ? $" (HTTP {status})" : "")}{(Code is null ? "" : $" {Code}")}: {Message}";
}
