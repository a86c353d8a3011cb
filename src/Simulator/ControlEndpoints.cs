using System.Text.Json;
using System.Text.Json.Nodes;

namespace Avatar.Simulator;

/// <summary>
/// What a person and a test harness do to the simulator: finish an H5 page, switch variants, plan faults, read counters.
/// None of this exists at xcompute.
/// </summary>
internal static class ControlEndpoints
{
    public static void MapControl(this IEndpointRouteBuilder app)
    {
        app.MapGet("/h5/{key}", H5Page);
        app.MapPost("/h5/{key}/complete", CompleteH5);

        var control = app.MapGroup("/_sim");
        control.MapGet("/settings", (SimulatorState state) => Results.Json(state.Settings, ControlJson.Options));
        control.MapPut("/settings", UpdateSettings);
        control.MapPost("/reset", (SimulatorState state, FaultPlan faults) =>
        {
            state.Settings = state.Initial;
            faults.Clear();
            return Results.Json(state.Settings, ControlJson.Options);
        });
        control.MapPost("/faults", (FaultRule rule, FaultPlan faults) =>
        {
            faults.Add(rule);
            return Results.Accepted();
        });
        control.MapDelete("/faults", (FaultPlan faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        control.MapPost("/groups", (SimulatorState state, TimeProvider clock) =>
        {
            var groupId = Ids.Group(clock.GetUtcNow());
            state.AddGroup(groupId);
            return Results.Json(new { groupId });
        });
        control.MapPost("/tasks/{id}/cancel", (string id, SimulatorState state) =>
        {
            if (state.FindTask(id) is not { } task)
            {
                return Results.NotFound();
            }

            task.Cancelled = true;
            return Results.NoContent();
        });
        control.MapGet("/stats", (SimulatorState state) => Results.Json(state.Stats.Snapshot()));

        // Every review with its assets and when it really finished (or will): lateness = outcome event - finishedAt.
        control.MapGet("/reviews", (SimulatorState state) => Results.Json(state.Reviews.Select(r => new
        {
            id = r.Id,
            created = r.Created,
            finishesAt = r.FinishesAt,
            assetIds = r.Assets.Select(a => a.AssetId),
        })));
        control.MapGet("/tokens", (SimulatorState state) => Results.Json(state.Tokens));
    }

    private static IResult H5Page(string key, SimulatorState state)
    {
        if (state.FindByH5Key(key) is null)
        {
            return Results.NotFound();
        }

        return Results.Content($"""
            <!doctype html>
            <html><body>
            <h1>Real-person verification (simulated)</h1>
            <form method="post" action="/h5/{key}/complete?outcome=success"><button>Pass verification</button></form>
            <form method="post" action="/h5/{key}/complete?outcome=failure"><button>Fail verification</button></form>
            </body></html>
            """, "text/html");
    }

    /// <summary>The person finishes the H5 page; like upstream, the browser is redirected to the callback URL.</summary>
    private static IResult CompleteH5(string key, string? outcome, SimulatorState state, TimeProvider clock)
    {
        if (state.FindByH5Key(key) is not { } session)
        {
            return Results.NotFound();
        }

        var now = clock.GetUtcNow();
        if (session.State == PersonState.Pending && now > session.ExpiresAt)
        {
            return Results.Problem("this H5 link has expired", statusCode: 410);
        }

        var passed = outcome is null or "success";
        if (session.State == PersonState.Pending)
        {
            session.GroupId = passed ? Ids.Group(now) : null;
            session.State = passed ? PersonState.Verified : PersonState.Failed;
            if (session.GroupId is not null)
            {
                state.AddGroup(session.GroupId);
            }
        }

        var separator = session.CallbackUrl.Contains('?') ? '&' : '?';
        var resultCode = session.State == PersonState.Verified ? "10000" : "10001";
        return Results.Redirect($"{session.CallbackUrl}{separator}bytedToken={Uri.EscapeDataString(session.BytedToken)}&resultCode={resultCode}");
    }

    /// <summary>Overlays the given JSON fields on the current settings.</summary>
    private static async Task<IResult> UpdateSettings(HttpRequest request, SimulatorState state)
    {
        if (await JsonNode.ParseAsync(request.Body) is not JsonObject changes)
        {
            return Results.BadRequest("a JSON object of settings is required");
        }

        var current = JsonSerializer.SerializeToNode(state.Settings, ControlJson.Options)!.AsObject();
        foreach (var (name, value) in changes)
        {
            current[name] = value?.DeepClone();
        }

        state.Settings = current.Deserialize<SimulatorSettings>(ControlJson.Options)!;
        return Results.Json(state.Settings, ControlJson.Options);
    }
}

internal static class ControlJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}
