using Avatar.Simulator;

namespace Avatar.IntegrationTests;

/// <summary>What the simulator's <c>estimated_time</c> says under each of its settings (no server needed).</summary>
public sealed class ReviewShapeTests
{
    private static readonly SimulatorSettings Realistic = new()
    {
        ReviewDurationMedian = TimeSpan.FromSeconds(20),
        ReviewDurationSigma = 0.6,
    };

    [Fact]
    public void An_exact_estimate_is_the_duration_in_whole_seconds()
    {
        var random = new Random(7);
        Assert.All(Enumerable.Range(0, 50).Select(_ => ReviewShape.Draw(Realistic, random)), shape =>
            Assert.Equal(Math.Max(1, Math.Round(shape.Duration.TotalSeconds)), shape.Estimate!.Value.TotalSeconds));
    }

    [Fact]
    public void A_constant_estimate_says_the_same_for_every_review_whatever_it_takes()
    {
        var random = new Random(7);
        var shapes = Enumerable.Range(0, 50).Select(_ => ReviewShape.Draw(Realistic with { EstimatedTimeConstant = TimeSpan.FromSeconds(30), EstimatedTimeError = 0.5 }, random)).ToList();
        Assert.All(shapes, shape => Assert.Equal(TimeSpan.FromSeconds(30), shape.Estimate));
        Assert.True(shapes.Select(s => s.Duration).Distinct().Count() > 10);
    }

    [Fact]
    public void Without_estimated_time_there_is_none_even_with_a_constant()
    {
        var shape = ReviewShape.Draw(Realistic with { EstimatedTime = false, EstimatedTimeConstant = TimeSpan.FromSeconds(30) }, new Random(7));
        Assert.Null(shape.Estimate);
    }
}
