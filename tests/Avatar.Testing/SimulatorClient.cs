using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Avatar.Simulator;

namespace Avatar.Testing;

/// <summary>The simulator's control side: the person on the H5 page, the switches, the fault plan and the counters.</summary>
public sealed class SimulatorClient(HttpClient http)
{
    public Uri BaseAddress => http.BaseAddress!;

    public async Task ResetAsync() => (await http.PostAsync("/_sim/reset", null)).EnsureSuccessStatusCode();

    public async Task ConfigureAsync(object changes) =>
        (await http.PutAsJsonAsync("/_sim/settings", changes, ControlOptions)).EnsureSuccessStatusCode();

    public async Task AddFaultAsync(FaultRule rule) => (await http.PostAsJsonAsync("/_sim/faults", rule)).EnsureSuccessStatusCode();

    public async Task<string> MintGroupAsync()
    {
        var reply = await http.PostAsync("/_sim/groups", null);
        reply.EnsureSuccessStatusCode();
        return (await reply.Content.ReadFromJsonAsync<JsonObject>())!["groupId"]!.GetValue<string>();
    }

    /// <summary>The person finishes the H5 page; returns where the browser is redirected.</summary>
    public async Task<Uri> CompleteH5Async(string h5Link, bool pass = true)
    {
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var reply = await noRedirects.PostAsync($"{h5Link}/complete?outcome={(pass ? "success" : "failure")}", null);
        if ((int)reply.StatusCode != 302)
        {
            throw new InvalidOperationException($"H5 completion answered {(int)reply.StatusCode}");
        }

        return reply.Headers.Location!;
    }

    public async Task CancelTaskAsync(string taskId) => (await http.PostAsync($"/_sim/tasks/{taskId}/cancel", null)).EnsureSuccessStatusCode();

    /// <summary>Every byted token the simulator handed out.</summary>
    public async Task<IReadOnlyList<string>> TokensAsync() => (await http.GetFromJsonAsync<List<string>>("/_sim/tokens"))!;

    /// <summary>Every review task, with when it really finished (or will).</summary>
    public async Task<IReadOnlyList<SimulatorReview>> ReviewsAsync() => (await http.GetFromJsonAsync<List<SimulatorReview>>("/_sim/reviews"))!;

    public async Task<SimulatorStats> StatsAsync() => (await http.GetFromJsonAsync<SimulatorStats>("/_sim/stats"))!;

    private static readonly JsonSerializerOptions ControlOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}

public sealed record SimulatorStats(Dictionary<string, int> Counts, Dictionary<string, PollStats> Polls)
{
    public int Count(string key) => Counts.GetValueOrDefault(key);

    public int CountStartingWith(string prefix) => Counts.Where(c => c.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(c => c.Value);
}

public sealed record SimulatorReview(string Id, DateTimeOffset Created, DateTimeOffset FinishesAt, string[] AssetIds);

public sealed record PollStats(int Count, int MaxConcurrent, DateTimeOffset[] StartedAt);
