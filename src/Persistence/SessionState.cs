namespace Avatar.Persistence;

public enum SessionState
{
    /// <summary>Step 1 (create the H5 session) has not completed yet.</summary>
    Creating,

    /// <summary>The H5 link is out; waiting for <c>AvatarAuthCompleted</c>.</summary>
    AwaitingVerification,

    /// <summary>Step 2 (query the verification result) is being retried or polled.</summary>
    Verifying,

    /// <summary>
    /// Step 2's query, which spends the byted token, is in flight. Found at the start of a step, its outcome is unknown,
    /// and the token is not sent again.
    /// </summary>
    Querying,

    /// <summary>Terminal: the person is verified and <see cref="AvatarSession.GroupId"/> is known.</summary>
    Verified,

    /// <summary>Terminal: no H5 session could be created.</summary>
    CreationFailed,

    /// <summary>Terminal: verification did not succeed.</summary>
    VerificationFailed,
}
