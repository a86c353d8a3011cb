using Avatar.Worker.Workflows;

namespace Avatar.Worker.Tests;

public sealed class VerificationSignalsTests
{
    [Theory]
    [InlineData("ValidatePending", null, VerificationSignal.Pending)]
    [InlineData(null, "ValidatePending: H5 verification is not finished yet", VerificationSignal.Pending)]
    [InlineData("TokenExpired", null, VerificationSignal.Expired)]
    [InlineData("token_expired", "byted_token has expired", VerificationSignal.Expired)]
    [InlineData("invalid_token", "byted_token has already been used", VerificationSignal.Expired)]
    [InlineData("verification_failed", null, VerificationSignal.Failed)]
    [InlineData("invalid_request", "project_name is too long", VerificationSignal.Other)]
    [InlineData(null, null, VerificationSignal.Other)]
    public void Verification_answers_are_read_from_code_and_message(string? code, string? message, VerificationSignal expected) =>
        Assert.Equal(expected, VerificationSignals.Classify(code, message));
}
