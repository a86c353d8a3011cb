namespace Avatar.Contracts;

/// <summary>The error codes carried by the failure events and by <see cref="AvatarCommandRefused"/>. The set only grows.</summary>
public static class AvatarErrorCodes
{
    /// <summary>The command or xcompute's reading of it is invalid (HTTP 400, validation).</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>xcompute refused the API key (HTTP 401 or 403).</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The xcompute account has no balance left (HTTP 402).</summary>
    public const string PaymentRequired = "payment_required";

    /// <summary>The H5 session and its byted token expired before verification was confirmed.</summary>
    public const string TokenExpired = "token_expired";

    /// <summary>The person did not pass H5 verification.</summary>
    public const string VerificationFailed = "verification_failed";

    /// <summary>The review ended with at least one asset rejected.</summary>
    public const string TaskFailed = "task_failed";

    /// <summary>The review task was cancelled at xcompute.</summary>
    public const string TaskCancelled = "task_cancelled";

    /// <summary>xcompute no longer knows the task (HTTP 404).</summary>
    public const string TaskNotFound = "task_not_found";

    /// <summary>The review did not finish before the configured deadline.</summary>
    public const string ReviewTimeout = "review_timeout";

    /// <summary>A submit may or may not have reached xcompute; it is not repeated, to avoid a duplicate review.</summary>
    public const string SubmitOutcomeUnknown = "submit_outcome_unknown";

    /// <summary>
    /// A verification query, which spends the session's single-use byted token, may or may not have reached xcompute;
    /// it is not repeated. Create a new session.
    /// </summary>
    public const string VerificationOutcomeUnknown = "verification_outcome_unknown";

    /// <summary>An operator ended the work by hand (<c>avatar-admin abandon</c>); the reason says why.</summary>
    public const string Abandoned = "abandoned";

    /// <summary>xcompute kept failing or answered in a shape the worker cannot use.</summary>
    public const string UpstreamError = "upstream_error";

    /// <summary>Refused (<see cref="AvatarCommandRefused"/>): the id is taken by a flow started with other content; use a new id.</summary>
    public const string IdReused = "id_reused";

    /// <summary>Refused: no flow of this caller has this id (a flow of another caller is refused the same way, so nothing tells whether it exists).</summary>
    public const string UnknownFlow = "unknown_flow";

    /// <summary>Refused: the flow is not ready for this command yet (a completion for a session still being created).</summary>
    public const string FlowNotReady = "flow_not_ready";

    /// <summary>Refused: the flow ended before it could take this command (a completion for a session whose creation failed).</summary>
    public const string FlowEnded = "flow_ended";

    /// <summary>
    /// Refused: the command carries no AMQP <c>user-id</c>, so the worker cannot tell which caller sent it (and who owns
    /// its flow). Publish with <c>user-id</c> set to your RabbitMQ user name; RabbitMQ checks it against the connection.
    /// </summary>
    public const string UnidentifiedCaller = "unidentified_caller";
}
