using System.Text.Json;
using System.Text.Json.Nodes;

namespace Avatar.Simulator;

/// <summary>The xcompute API: <c>POST /v1/seedance2/real-avatar</c> (three operations) and <c>GET /v1/tasks/{id}</c>.</summary>
internal static class XComputeEndpoints
{
    private const int MaxAssets = 20;

    public static void MapXCompute(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/seedance2/real-avatar", RealAvatar);
        app.MapGet("/v1/tasks/{id}", GetTask);
    }

    private static async Task<IResult> RealAvatar(HttpRequest request, SimulatorState state, TimeProvider clock)
    {
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body is null)
        {
            return Invalid("the request body must be a JSON object");
        }

        // One endpoint, three operations: the fields pick which.
        if (body["group_id"] is not null)
        {
            return SubmitAssets(body, state, clock);
        }

        if (body["byted_token"] is not null)
        {
            return QueryVerification(body, state, clock);
        }

        return body["callback_url"] is not null ? CreateSession(body, request, state, clock) : Invalid("callback_url is required");
    }

    private static IResult CreateSession(JsonObject body, HttpRequest request, SimulatorState state, TimeProvider clock)
    {
        var callbackUrl = (string?)body["callback_url"];
        if (!IsHttpUrl(callbackUrl))
        {
            return Invalid("callback_url must be an absolute http(s) URL");
        }

        state.Stats.Count($"create:{callbackUrl}");
        var now = clock.GetUtcNow();
        var session = new SimSession
        {
            TaskId = Ids.Task(),
            H5Key = Guid.NewGuid().ToString("N"),
            BytedToken = Ids.Token(),
            CallbackUrl = callbackUrl!,
            ExpiresAt = now + state.Settings.TokenLifetime,
        };
        state.Add(session);
        state.Add(new SessionTask { Id = session.TaskId, Created = now, Session = session });
        return Ok(new JsonObject { ["id"] = session.TaskId, ["status"] = "completed" });
    }

    private static IResult QueryVerification(JsonObject body, SimulatorState state, TimeProvider clock)
    {
        var settings = state.Settings;
        var now = clock.GetUtcNow();
        if (state.FindByToken((string?)body["byted_token"] ?? "") is not { } session)
        {
            return Invalid("byted_token is not valid", "invalid_token");
        }

        state.Stats.Count($"verify:{session.CallbackUrl}");
        if (session.TokenUsed && settings.SingleUseTokens)
        {
            return Invalid("byted_token has already been used", "invalid_token");
        }

        if (session.State == PersonState.Pending && now > session.ExpiresAt)
        {
            return Invalid("byted_token has expired; create a new session", "token_expired");
        }

        if (settings.Step2Shape == Step2Shape.Task)
        {
            session.TokenUsed = true;
            var task = new VerificationTask { Id = Ids.Task(), Created = now, Session = session };
            state.Add(task);
            return Ok(new JsonObject { ["id"] = task.Id, ["status"] = "processing" });
        }

        switch (session.State)
        {
            case PersonState.Pending when settings.PendingReply == PendingReply.Body:
                return Results.Json(new JsonObject { ["code"] = 400, ["msg"] = "ValidatePending: H5 verification is not finished yet" });
            case PersonState.Pending:
                return Invalid("H5 verification is not finished yet", "ValidatePending");
            case PersonState.Failed:
                session.TokenUsed = true;
                return Invalid("the person did not pass H5 verification", "verification_failed");
        }

        session.TokenUsed = true;
        var groupId = session.GroupId!;
        var raw = new JsonObject { ["Result"] = new JsonObject { ["GroupId"] = groupId } };
        return Ok(settings.Step2Shape switch
        {
            Step2Shape.Inline => new JsonObject { ["group_id"] = groupId },
            Step2Shape.RawResponse => new JsonObject { ["id"] = Ids.Task(), ["status"] = "completed", ["result"] = new JsonObject { ["raw_response"] = raw } },
            _ => new JsonObject { ["id"] = Ids.Task(), ["status"] = "completed", ["result"] = new JsonObject { ["group_id"] = groupId, ["raw_response"] = raw } },
        });
    }

    private static IResult SubmitAssets(JsonObject body, SimulatorState state, TimeProvider clock)
    {
        var groupId = (string?)body["group_id"] ?? "";
        state.Stats.Count($"submit:{groupId}");

        // By the first asset's URL too: a caller that gives every submission its own URLs (the chaos run) sees how often
        // each one was submitted.
        if (body["assets"] is JsonArray { Count: > 0 } sent && sent[0] is JsonObject { } first && (string?)first["url"] is { } firstUrl)
        {
            state.Stats.Count($"submit-asset:{firstUrl}");
        }
        if (!state.IsGroup(groupId))
        {
            return Invalid($"group_id {groupId} is not a verified asset group");
        }

        var assetType = (string?)body["asset_type"] ?? "Video";
        if (assetType is not ("Video" or "Image"))
        {
            return Invalid("asset_type must be Video or Image");
        }

        if (body["assets"] is not JsonArray { Count: > 0 and <= MaxAssets } items)
        {
            return Invalid($"assets must hold 1 to {MaxAssets} items");
        }

        var assets = new List<SimAsset>();
        foreach (var item in items)
        {
            var url = (string?)item?["url"];
            var name = (string?)item?["name"];
            if (!IsHttpUrl(url) || string.IsNullOrWhiteSpace(name) || name.Length > 255)
            {
                return Invalid("every asset needs an absolute http(s) url and a name of 1 to 255 characters");
            }

            assets.Add(new SimAsset(Ids.Asset(), url!, name, OutcomeOf(url!, name)));
        }

        var task = new ReviewTask { Id = Ids.Task(), Created = clock.GetUtcNow(), GroupId = groupId, Assets = assets, Shape = ReviewShape.Draw(state.Settings, Random.Shared) };
        state.Add(task);
        state.Stats.Count($"review:{groupId}:{task.Id}");
        return Ok(new JsonObject
        {
            ["id"] = task.Id,
            ["object"] = "seedance.avatar.asset.task",
            ["status"] = "processing",
            ["progress"] = 10,
            ["model"] = "doubao-seedance-2.0",
        });
    }

    /// <summary>The review verdict is picked by the asset: "reject" in its name or URL fails it, "stuck" never finishes.</summary>
    private static AssetOutcome OutcomeOf(string url, string name) =>
        $"{name} {url}".ToLowerInvariant() switch
        {
            var text when text.Contains("stuck") => AssetOutcome.Stuck,
            var text when text.Contains("reject") => AssetOutcome.Failed,
            _ => AssetOutcome.Active,
        };

    private static IResult GetTask(string id, HttpContext context, SimulatorState state, TimeProvider clock)
    {
        state.Stats.Count($"task:{id}");
        var task = state.FindTask(id);
        if (task is not null && clock.GetUtcNow() - task.Created < state.Settings.ReadLag)
        {
            // Within the read lag a task is as unknown as one that never existed: the replica that answers has not seen it.
            state.Stats.Count($"task-lagging:{id}");
            task = null;
        }

        if (task is null)
        {
            return Results.Json(new { error = new { code = "task_not_found", type = "invalid_request_error", message = $"task {id} does not exist" } }, statusCode: 404);
        }

        return Ok(TaskView.Render(task, state.Settings, clock.GetUtcNow(), $"{context.Request.Scheme}://{context.Request.Host}"));
    }

    private static bool IsHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static IResult Ok(JsonObject data) => Results.Json(new JsonObject { ["code"] = 200, ["data"] = data });

    private static IResult Invalid(string message, string code = "invalid_request") =>
        Results.Json(new { error = new { code, type = "invalid_request_error", message } }, statusCode: 400);
}
