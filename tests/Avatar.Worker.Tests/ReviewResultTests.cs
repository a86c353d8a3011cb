using Avatar.Worker.XCompute;

namespace Avatar.Worker.Tests;

public sealed class ReviewResultTests
{
    private static readonly List<string> Submitted = ["a", "b"];

    [Fact]
    public void Partial_failure_splits_usable_and_failed_and_names_them_by_position()
    {
        var result = ReviewResult.From(TaskSnapshotTests.Parse("""
            {"assets":[{"asset_id":"asset_a","asset_url":"asset://asset_a","status":"Active"},{"asset_id":"asset_b","asset_url":"asset://asset_b","status":"Failed"}],
             "usable_assets":[{"asset_id":"asset_a","asset_url":"asset://asset_a","status":"Active"}],
             "failed_assets":[{"asset_id":"asset_b","status":"Failed"}]}
            """), Submitted);

        var usable = Assert.Single(result.Usable);
        Assert.Equal(("asset_a", "asset://asset_a", "a", "Active"), (usable.AssetId, usable.AssetUrl, usable.Name, usable.Status));
        var failed = Assert.Single(result.Failed);
        Assert.Equal(("asset_b", "", "b", "Failed"), (failed.AssetId, failed.AssetUrl, failed.Name, failed.Status));
    }

    [Fact]
    public void Echoed_names_win_over_position()
    {
        var result = ReviewResult.From(TaskSnapshotTests.Parse("""
            {"usable_assets":[{"asset_id":"x","asset_url":"asset://x","status":"Active","name":"b"}]}
            """), Submitted);

        Assert.Equal("b", Assert.Single(result.Usable).Name);
    }

    [Fact]
    public void Only_assets_is_split_by_status()
    {
        var result = ReviewResult.From(TaskSnapshotTests.Parse("""
            {"assets":[{"asset_id":"a1","asset_url":"asset://a1","status":"Active"},{"asset_id":"b1","asset_url":"asset://b1","status":"Failed"}]}
            """), Submitted);

        Assert.Equal("a1", Assert.Single(result.Usable).AssetId);
        Assert.Equal("b1", Assert.Single(result.Failed).AssetId);
    }

    [Fact]
    public void Single_asset_review_may_carry_only_asset_url()
    {
        var result = ReviewResult.From(TaskSnapshotTests.Parse("""{"asset_url":"asset://only"}"""), [Submitted[0]]);

        var usable = Assert.Single(result.Usable);
        Assert.Equal(("only", "asset://only", "a"), (usable.AssetId, usable.AssetUrl, usable.Name));
    }

    [Fact]
    public void Missing_lists_mean_nothing_is_usable()
    {
        var result = ReviewResult.From(TaskSnapshotTests.Parse("{}"), Submitted);

        Assert.Empty(result.Usable);
        Assert.Empty(result.Failed);
        Assert.Empty(ReviewResult.From(null, Submitted).Usable);
    }
}
