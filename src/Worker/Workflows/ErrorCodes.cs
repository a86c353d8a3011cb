using Avatar.Contracts;
using Avatar.Worker.XCompute;

namespace Avatar.Worker.Workflows;

internal static class ErrorCodes
{
    /// <summary>The error code for an xcompute refusal that no retry will fix.</summary>
    public static string For(XComputeFailure failure) => failure.Kind switch
    {
        FailureKind.Rejected => AvatarErrorCodes.InvalidRequest,
        FailureKind.Unauthorized => AvatarErrorCodes.Unauthorized,
        FailureKind.PaymentRequired => AvatarErrorCodes.PaymentRequired,
        FailureKind.NotFound => AvatarErrorCodes.TaskNotFound,
        _ => AvatarErrorCodes.UpstreamError,
    };
}

/// <summary>What an xcompute verification answer means, read from its error code and message.</summary>
public enum VerificationSignal
{
    Other,

    /// <summary>The person has not finished the H5 page yet (upstream <c>ValidatePending</c>).</summary>
    Pending,

    /// <summary>The byted token expired, or is no longer valid (it may be single-use).</summary>
    Expired,

    /// <summary>The person did not pass.</summary>
    Failed,
}

internal static class VerificationSignals
{
    public static VerificationSignal Classify(string? code, string? message)
    {
        var text = $"{code} {message}".ToLowerInvariant();
        if (text.Contains("pending") || text.Contains("not finished") || text.Contains("in progress"))
        {
            return VerificationSignal.Pending;
        }

        if (text.Contains("expired") || text.Contains("invalid_token") || text.Contains("invalidtoken"))
        {
            return VerificationSignal.Expired;
        }

        return (text.Contains("verif") || text.Contains("validat")) && (text.Contains("fail") || text.Contains("reject"))
            ? VerificationSignal.Failed
            : VerificationSignal.Other;
    }
}
