using Microsoft.Extensions.Time.Testing;

namespace Avatar.Worker.Tests;

/// <summary>
/// <see cref="FakeTimeProvider"/> whose wall clock can also be stepped on its own (<see cref="StepWallClock"/>), as NTP
/// or an operator steps a server's clock: <see cref="TimeProvider.GetUtcNow"/> jumps, the monotonic
/// <see cref="TimeProvider.GetTimestamp"/> does not. <see cref="FakeTimeProvider.Advance"/> moves both, as time passing does.
/// </summary>
internal sealed class SteppingClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private TimeSpan step;

    public void StepWallClock(TimeSpan by) => step += by;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + step;

    // FakeTimeProvider derives its timestamp from GetUtcNow; here it stays on the time that passed, without the steps.
    public override long GetTimestamp() => base.GetUtcNow().UtcTicks;
}
