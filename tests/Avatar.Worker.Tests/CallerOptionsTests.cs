using Avatar.Worker.Workflows;

namespace Avatar.Worker.Tests;

public sealed class CallerOptionsTests
{
    private static readonly CallerOptions Options = new() { SharedGroups = { ["video-pipeline"] = ["identity-service"] } };

    [Theory]
    [InlineData("caller-a", "caller-a", true)]
    [InlineData("caller-a", "caller-b", false)]
    [InlineData("caller-a", null, false)]
    [InlineData(null, "caller-b", true)] // a group verified before owners were kept, or by an unnamed caller
    [InlineData("identity-service", "video-pipeline", true)]
    [InlineData("identity-service", "caller-b", false)]
    [InlineData("caller-a", "video-pipeline", false)]
    public void A_group_is_for_its_owner_and_the_callers_it_is_shared_with(string? owner, string? caller, bool allowed) =>
        Assert.Equal(allowed, Options.MaySubmitTo(owner, caller));
}
