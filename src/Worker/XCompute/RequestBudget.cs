using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.XCompute;

/// <summary>
/// This instance's budget of calls to xcompute: at most <see cref="XComputeOptions.MaxRequestsPerSecond"/>, from a token
/// bucket, so a burst of work leaves as a steady stream; and after a 429, none until its <c>Retry-After</c> has passed
/// (1 s when it names none, <see cref="XComputeOptions.MaxPause"/> at most). A call that falls in such a pause is not
/// sent: <see cref="RequestBudgetHandler"/> answers it 429 with the time left, so the workflow reschedules its row
/// exactly as after xcompute's own 429.
/// </summary>
public sealed class RequestBudget : IDisposable
{
    private readonly TokenBucketRateLimiter? limiter;
    private readonly TimeProvider clock;
    private readonly TimeSpan maxPause;
    private long pausedUntil; // UtcTicks

    public RequestBudget(IOptions<XComputeOptions> options, TimeProvider clock)
    {
        this.clock = clock;
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

        var now = clock.GetUtcNow();
        var wait = XComputeClient.RetryAfter(response, now) ?? TimeSpan.FromSeconds(1);
        var until = (now + (wait > maxPause ? maxPause : wait)).UtcTicks;
        long seen;
        while (until > (seen = Interlocked.Read(ref pausedUntil)) && Interlocked.CompareExchange(ref pausedUntil, until, seen) != seen)
        {
        }
    }

    public void Dispose() => limiter?.Dispose();

    private TimeSpan? PauseLeft()
    {
        var left = new DateTimeOffset(Interlocked.Read(ref pausedUntil), TimeSpan.Zero) - clock.GetUtcNow();
        return left > TimeSpan.Zero ? left : null;
    }
}

/// <summary>Applies the <see cref="RequestBudget"/> to every call of the xcompute client.</summary>
internal sealed class RequestBudgetHandler(RequestBudget budget) : DelegatingHandler
{
    /// <summary>Set on a request the budget held back (answered here, never sent).</summary>
    public static readonly HttpRequestOptionsKey<bool> HeldBack = new("avatar.held_back");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (await budget.AcquireAsync(cancellationToken) is { } pause)
        {
            request.Options.Set(HeldBack, true);
            var held = new HttpResponseMessage(HttpStatusCode.TooManyRequests)
            {
                RequestMessage = request,
                ReasonPhrase = "held back by the worker after a 429",
                Content = new StringContent("""{"error":{"code":"held_back","message":"held back by the worker: xcompute asked for a pause"}}""", System.Text.Encoding.UTF8, "application/json"),
            };
            held.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(pause);
            return held;
        }

        var response = await base.SendAsync(request, cancellationToken);
        budget.Observe(response);
        return response;
    }
}
