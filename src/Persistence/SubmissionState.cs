namespace Avatar.Persistence;

public enum SubmissionState
{
    /// <summary>Step 3 (submit for review) has not been sent, or certainly did not reach xcompute.</summary>
    Pending,

    /// <summary>Step 3 is in flight. Found at the start of a step, its outcome is unknown.</summary>
    Submitting,

    /// <summary>xcompute accepted the review as <see cref="AvatarSubmission.TaskId"/>; it is being polled.</summary>
    InReview,

    /// <summary>Terminal: every asset passed.</summary>
    Approved,

    /// <summary>Terminal: rejected in part or whole, timed out, or failed; see the error code.</summary>
    Rejected,
}
