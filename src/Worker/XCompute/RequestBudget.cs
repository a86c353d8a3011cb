using System.Net;
using System.Threading.RateLimiting;
using Avatar.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.XCompute;

/// <summary>
/// This instance's budget of calls to xcompute: at most <see cref="XComputeOptions.MaxRequestsPerSecond"/>, from a token
/// bucket, so a burst of work leaves as a steady stream; and after a 429, none until its <c>Retry-After</c> has passed
/// (1 s when it names none, <see cref="XComputeOptions.MaxPause"/> at most). <see cref="XComputeClient"/> waits for a
/// call's turn before the call's own timeout starts, so a call that waited long is never mistaken for one sent and
/// unanswered; a call that falls in a pause is not sent at all, and the workflow reschedules its row for the time left.
/// </summary>
/// <remarks>
/// The pause is measured on the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>): a step of the wall clock
/// neither ends it early nor stretches it. One log line per pause, not one per call held back (those are counted in
/// <c>avatar.xcompute.requests</c> with the status <c>held_back</c>).
/// </remarks>
public sealed class RequestBudget : IDisposable
{
    private readonly TokenBucketRateLimiter? limiter;
    private readonly TimeProvider clock;
    private readonly TimeSpan maxPause;
    private readonly ILogger<RequestBudget> logger;
    private long pausedUntil; // a timestamp of the monotonic clock; 0 when no pause was ever asked for

    public RequestBudget(IOptions<XComputeOptions> options, TimeProvider clock, ILogger<RequestBudget> logger)
    {
        this.clock = clock;
        this.logger = logger;
        maxPause = options.Value.MaxPause;
        if (options.Value.MaxRequestsPerSecond is > 0 and var rate)
        {
            // Refilled ten times a second, holding at most a tenth of a second's worth: a burst is spread evenly.
            var perTick = Math.Max(1, (int)Math.Round(rate / 10.0));
            limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = perTick,
                TokensPerPeriod = perTick,
                ReplenishmentPeriod = TimeSpan.FromSeconds(perTick / (double)rate),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
    }

    /// <summary>Waits for this call's turn; returns the time left when xcompute asked for a pause, and the call must not be sent.</summary>
    public async ValueTask<TimeSpan?> AcquireAsync(CancellationToken cancellationToken)
    {
        if (PauseLeft() is { } pause)
        {
            return pause;
        }

        if (limiter is not null)
        {
            using var lease = await limiter.AcquireAsync(1, cancellationToken);
        }

        return PauseLeft();
    }

    /// <summary>Notes xcompute's answer: a 429 pauses every call of this instance for its Retry-After.</summary>
    public void Observe(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.TooManyRequests)
        {
            return;
        }

        var wait = XComputeClient.RetryAfter(response, clock.GetUtcNow()) ?? TimeSpan.FromSeconds(1);
        wait = wait > maxPause ? maxPause : wait;
        var now = clock.GetTimestamp();
        var until = clock.TimestampIn(wait);
        long seen;
        while (until > (seen = Interlocked.Read(ref pausedUntil)))
        {
            if (Interlocked.CompareExchange(ref pausedUntil, until, seen) == seen)
            {
                // A new pause (the last one had ended), not one made longer: worth one line.
                if (seen == 0 || seen <= now)
                {
                    logger.LogWarning("xcompute answered 429; this instance holds back its calls for {Pause}", wait);
                }

                break;
            }
        }
    }

    public void Dispose() => limiter?.Dispose();

    private TimeSpan? PauseLeft()
    {
        var until = Interlocked.Read(ref pausedUntil);
        var now = clock.GetTimestamp();
        return until != 0 && until > now ? clock.GetElapsedTime(now, until) : null;
    }
}
