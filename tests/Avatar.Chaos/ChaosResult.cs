using System.Globalization;

namespace Avatar.Chaos;

/// <summary>What the flows of a chaos run ended with.</summary>
public sealed record ChaosResult(int Flows, int Terminal, int Duplicates, int Conflicting, int SubmitOutcomeUnknown, Dictionary<string, int> Outcomes)
{
    public long InErrorQueues { get; init; }

    public long SecretLines { get; init; }

    public long LogLines { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>Every flow ended, none with two different endings, nothing parked in _error, no secret logged.</summary>
    public bool Passed => Terminal == Flows && Conflicting == 0 && InErrorQueues == 0 && SecretLines == 0;

    public void Print(TextWriter output)
    {
        output.WriteLine($"  terminal             {Terminal}/{Flows} flows after {Elapsed.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s");
        output.WriteLine($"  outcomes             {string.Join(", ", Outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"))}");
        output.WriteLine($"  duplicate copies     {Duplicates} (the same terminal event delivered again)");
        output.WriteLine($"  conflicting          {Conflicting} (flows with two different terminal events)");
        output.WriteLine($"  submit unknown       {SubmitOutcomeUnknown} (a submit in flight when its worker died)");
        output.WriteLine($"  in _error            {InErrorQueues}");
        output.WriteLine($"  secrets in logs      {SecretLines} of {LogLines} worker log lines");
        output.WriteLine($"chaos: {Terminal}/{Flows} terminal, {Duplicates} duplicate, {Conflicting} conflicting, " +
            $"{SubmitOutcomeUnknown} submit_outcome_unknown, {InErrorQueues} in _error, {SecretLines} secrets in logs");
    }
}
