using System.Globalization;

namespace Avatar.Chaos;

/// <summary>What the flows of a chaos run ended with.</summary>
public sealed record ChaosResult(
    int Flows, int Terminal, int Duplicates, int Conflicting, int SubmitOutcomeUnknown, HashSet<Guid> UnknownIds, Dictionary<string, int> Outcomes)
{
    /// <summary>Submissions xcompute received more than once, other than those reported <c>submit_outcome_unknown</c>.</summary>
    public int SubmittedTwice { get; init; }

    public long InErrorQueues { get; init; }

    public long SecretLines { get; init; }

    public long LogLines { get; init; }

    /// <summary>Worker processes that left although the run neither stopped nor killed them.</summary>
    public int WorkerExits { get; init; }

    /// <summary>Lines the workers wrote per flow, at the Information level the run sets: a log someone can read during an incident.</summary>
    public double LogLinesPerFlow => Flows == 0 ? 0 : LogLines / (double)Flows;

    /// <summary>The most log lines per flow a run may write.</summary>
    public const double MaxLogLinesPerFlow = 5;

    public TimeSpan Elapsed { get; init; }

    /// <summary>
    /// Every flow ended, none with two different endings, nothing parked in _error, no secret logged, no worker left by
    /// itself, fewer than one submission in a hundred of unknown outcome, and a readable log.
    /// </summary>
    public bool Passed => Terminal == Flows && Conflicting == 0 && InErrorQueues == 0 && SecretLines == 0 && WorkerExits == 0 && SubmittedTwice == 0
        && SubmitOutcomeUnknown * 100 < Math.Max(1, Submissions) && LogLinesPerFlow < MaxLogLinesPerFlow;

    public int Submissions { get; init; }

    public void Print(TextWriter output)
    {
        output.WriteLine($"  terminal             {Terminal}/{Flows} flows after {Elapsed.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s");
        output.WriteLine($"  outcomes             {string.Join(", ", Outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"))}");
        output.WriteLine($"  duplicate copies     {Duplicates} (the same terminal event delivered again)");
        output.WriteLine($"  conflicting          {Conflicting} (flows with two different terminal events)");
        output.WriteLine($"  submit unknown       {SubmitOutcomeUnknown} (a submit in flight when its worker died)");
        output.WriteLine($"  submitted twice      {SubmittedTwice} (submissions xcompute received more than once, unknown ones left out)");
        output.WriteLine($"  in _error            {InErrorQueues}");
        output.WriteLine($"  secrets in logs      {SecretLines} of {LogLines} worker log lines");
        output.WriteLine($"  log lines per flow   {LogLinesPerFlow.ToString("0.0", CultureInfo.InvariantCulture)} (under {MaxLogLinesPerFlow})");
        output.WriteLine($"  worker exits         {WorkerExits} (workers that left without being stopped or killed)");
        output.WriteLine($"chaos: {Terminal}/{Flows} terminal, {Duplicates} duplicate, {Conflicting} conflicting, " +
            $"{SubmitOutcomeUnknown} submit_outcome_unknown, {InErrorQueues} in _error, {SecretLines} secrets in logs, " +
            $"{WorkerExits} worker exits, {LogLinesPerFlow.ToString("0.0", CultureInfo.InvariantCulture)} log lines per flow");
    }
}
