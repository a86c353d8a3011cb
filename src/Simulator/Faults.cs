using System.Collections.Concurrent;

namespace Avatar.Simulator;

/// <summary>
/// A fault to play on the next <see cref="Count"/> matching xcompute requests. Kinds: an HTTP status
/// (<c>400</c>, <c>401</c>, <c>402</c>, <c>404</c>, <c>429</c>, <c>500</c>, <c>502</c>, <c>503</c>, ...) answered without
/// processing the request; <c>drop</c>, which processes the request and then cuts the connection before answering;
/// <c>delay</c>, which waits <see cref="DelayMs"/> first.
/// </summary>
public sealed record FaultRule(string Kind, int Count = 1, string? Method = null, string? PathPrefix = null, int RetryAfterSeconds = 1, int DelayMs = 0);

public sealed class FaultPlan
{
    private readonly ConcurrentQueue<Slot> rules = new();

    public void Add(FaultRule rule) => rules.Enqueue(new Slot(rule, rule.Count));

    public void Clear() => rules.Clear();

    /// <summary>Takes one use of the first rule that matches the request, if any.</summary>
    public FaultRule? Take(HttpRequest request)
    {
        foreach (var slot in rules)
        {
            var rule = slot.Rule;
            if ((rule.Method is null || HttpMethods.Equals(rule.Method, request.Method))
                && (rule.PathPrefix is null || request.Path.StartsWithSegments(rule.PathPrefix, StringComparison.OrdinalIgnoreCase))
                && slot.TryUse())
            {
                return rule;
            }
        }

        return null;
    }

    private sealed class Slot(FaultRule rule, int remaining)
    {
        private int remaining = remaining;

        public FaultRule Rule { get; } = rule;

        public bool TryUse() => Interlocked.Decrement(ref remaining) >= 0;
    }
}
